#include "deeptirp/serve/batcher.h"

#include "deeptirp/serve/metrics.h"

namespace deeptirp::serve {

Batcher::Batcher(Run run, BatcherOptions options, Metrics* metrics)
    : run_(std::move(run)), options_(options), metrics_(metrics) {
  if (options_.max_batch < 1) throw Error("--max-batch must be at least 1");
  if (options_.queue_limit < 1) throw Error("--queue must be at least 1");
  thread_ = std::thread([this] { loop(); });
}

Batcher::~Batcher() { stop(); }

Batcher::Arrival::Arrival(Batcher& batcher) : batcher_(batcher) {
  std::lock_guard<std::mutex> lock(batcher_.mutex_);
  ++batcher_.on_the_way_;
}

Batcher::Arrival::~Arrival() {
  {
    std::lock_guard<std::mutex> lock(batcher_.mutex_);
    --batcher_.on_the_way_;
  }
  batcher_.arrived_.notify_all();
}

std::future<bundle::BatchPrediction> Batcher::submit(CasePtr c, Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) throw Error("the service is shutting down");
  if (queue_.size() >= options_.queue_limit)
    throw QueueFull(std::to_string(queue_.size()) + " cases are already waiting (--queue " +
                    std::to_string(options_.queue_limit) + ")");
  queue_.push_back({std::move(c), deadline, {}});
  auto future = queue_.back().promise.get_future();
  if (metrics_) metrics_->queue_depth(queue_.size());
  arrived_.notify_one();
  return future;
}

std::size_t Batcher::queue_depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void Batcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Waits for a first case, then up to max_wait for more, unless the batch fills, no case is on its
// way, or the service stops (queued cases are then taken at once). Cases past their deadline are
// answered here.
std::vector<Batcher::Waiting> Batcher::next_batch(std::unique_lock<std::mutex>& lock) {
  arrived_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (queue_.empty()) return {};
  const Clock::time_point until = Clock::now() + options_.max_wait;
  arrived_.wait_until(lock, until, [this] {
    return stopping_ || queue_.size() >= options_.max_batch || on_the_way_ == 0;
  });
  std::vector<Waiting> batch;
  const Clock::time_point now = Clock::now();
  while (!queue_.empty() && batch.size() < options_.max_batch) {
    Waiting w = std::move(queue_.front());
    queue_.pop_front();
    if (w.deadline < now) {
      w.promise.set_exception(std::make_exception_ptr(
          DeadlinePassed("the request's deadline passed while it waited for the models")));
      continue;
    }
    batch.push_back(std::move(w));
  }
  if (metrics_) metrics_->queue_depth(queue_.size());
  return batch;
}

void Batcher::loop() {
  for (;;) {
    std::vector<Waiting> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      batch = next_batch(lock);
      if (batch.empty() && stopping_ && queue_.empty()) return;
    }
    if (batch.empty()) continue;
    std::vector<CasePtr> cases;
    for (const auto& w : batch) cases.push_back(w.c);
    if (metrics_) metrics_->batch(cases.size());
    try {
      std::vector<bundle::BatchPrediction> results = run_(cases);
      if (results.size() != batch.size())
        throw Error("the batch gave " + std::to_string(results.size()) + " results for " +
                    std::to_string(batch.size()) + " cases");
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].promise.set_value(results[i]);
    } catch (...) {  // a failed pass fails its cases, never the service
      for (auto& w : batch) w.promise.set_exception(std::current_exception());
    }
  }
}

}  // namespace deeptirp::serve
