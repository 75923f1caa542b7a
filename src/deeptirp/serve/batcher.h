#pragma once
// Dynamic batching, as inference servers do it: cases that arrive while the models are busy wait
// in a bounded queue, and each forward pass takes up to `max_batch` of them, waiting at most
// `max_wait` after the first for the batch to fill, but only while more cases are on their way
// (announced by Arrival, still being decoded): a lone request is never kept waiting for nobody. A
// full queue refuses at once (the client retries later) rather than letting latency grow without
// bound; a case whose deadline passed while it waited is answered with an error instead of being
// computed for nobody.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "deeptirp/bundle/bundle.h"
#include "deeptirp/error.h"

namespace deeptirp::serve {

class Metrics;

struct BatcherOptions {
  std::size_t max_batch = 1;              // 1 = no batching
  std::chrono::milliseconds max_wait{0};  // how long a batch may wait to fill
  std::size_t queue_limit = 64;           // cases waiting; more are refused (QueueFull)
};

class QueueFull : public Error {
 public:
  using Error::Error;
};

class DeadlinePassed : public Error {
 public:
  using Error::Error;
};

using Clock = std::chrono::steady_clock;
using CasePtr = std::shared_ptr<const bundle::PreparedCase>;

class Batcher {
 public:
  // `run` predicts a batch, one result per case in order (Bundle::predict on prepared cases).
  using Run = std::function<std::vector<bundle::BatchPrediction>(const std::vector<CasePtr>&)>;
  Batcher(Run run, BatcherOptions options, Metrics* metrics = nullptr);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Held from a request's arrival until its case is submitted (or refused), so that a forming
  // batch knows to wait for it.
  class Arrival {
   public:
    explicit Arrival(Batcher& batcher);
    ~Arrival();
    Arrival(const Arrival&) = delete;
    Arrival& operator=(const Arrival&) = delete;

   private:
    Batcher& batcher_;
  };

  // Throws QueueFull when `queue_limit` cases wait, Error after stop().
  std::future<bundle::BatchPrediction> submit(CasePtr c, Clock::time_point deadline);
  std::size_t queue_depth() const;
  // Refuses new cases, finishes the queued ones, joins the batching thread.
  void stop();

 private:
  struct Waiting {
    CasePtr c;
    Clock::time_point deadline;
    std::promise<bundle::BatchPrediction> promise;
  };
  void loop();
  std::vector<Waiting> next_batch(std::unique_lock<std::mutex>& lock);

  Run run_;
  BatcherOptions options_;
  Metrics* metrics_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Waiting> queue_;
  std::size_t on_the_way_ = 0;  // Arrivals alive
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace deeptirp::serve
