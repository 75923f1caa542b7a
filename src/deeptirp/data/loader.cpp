#include "deeptirp/data/loader.h"

#include <torch/torch.h>

#include <algorithm>

#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"

namespace deeptirp {

at::Tensor image_tensor(const cv::Mat& image, const NormStats& stats, int channels) {
  at::Tensor t = torch::empty({channels, image.rows, image.cols}, torch::kFloat32);
  write_chw(image, stats, channels, t.data_ptr<float>());
  return t;
}

BatchLoader::BatchLoader(const Manifest& manifest, std::vector<std::size_t> cases,
                         std::string positive, NormStats stats, ImageCache& cache,
                         LoaderOptions options)
    : manifest_(manifest),
      cases_(std::move(cases)),
      positive_(std::move(positive)),
      stats_(stats),
      cache_(cache),
      options_(options),
      augment_(augment_level(options.augment_level)) {
  if (options_.batch_size < 1) throw Error("loader: the batch size must be at least 1");
  if (options_.ranks > 1 && (options_.rank < 0 || options_.rank >= options_.ranks ||
                             options_.step_cases == 0 || options_.step_cases % options_.ranks))
    throw Error("loader: rank " + std::to_string(options_.rank) + " of " +
                std::to_string(options_.ranks) + " cannot share steps of " +
                std::to_string(options_.step_cases) + " cases");
  for (std::size_t i : cases_)
    if (i >= manifest_.cases.size()) throw Error("loader: case index out of range");
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  workers_ = options_.workers > 0 ? options_.workers : static_cast<int>(hardware);
  options_.prefetch = std::max(1, options_.prefetch);
}

BatchLoader::~BatchLoader() { stop(); }

std::size_t BatchLoader::batches_per_epoch() const {
  std::size_t n = cases_.size();
  if (options_.ranks > 1) {  // this rank's share of every step
    const std::size_t step = options_.step_cases;
    n = (n / step) * rank_share_size(step, step, options_.rank, options_.ranks) +
        rank_share_size(n % step, step, options_.rank, options_.ranks);
  }
  const std::size_t b = static_cast<std::size_t>(options_.batch_size);
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void BatchLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::size_t rank_share_size(std::size_t step_size, std::size_t step_cases, int rank, int ranks) {
  const std::size_t share = step_cases / ranks, begin = share * rank;
  return step_size > begin ? std::min(share, step_size - begin) : 0;
}

std::vector<std::size_t> rank_share(const std::vector<std::size_t>& order, std::size_t step_cases,
                                    int rank, int ranks) {
  if (ranks <= 1) return order;
  if (step_cases == 0 || step_cases % ranks != 0)
    throw Error("loader: a step of " + std::to_string(step_cases) + " cases cannot be shared by " +
                std::to_string(ranks) + " ranks");
  std::vector<std::size_t> mine;
  for (std::size_t step = 0; step < order.size(); step += step_cases) {
    const std::size_t size = std::min(step_cases, order.size() - step);
    const std::size_t begin = step + step_cases / ranks * rank;
    const std::size_t n = rank_share_size(size, step_cases, rank, ranks);
    mine.insert(mine.end(), order.begin() + begin, order.begin() + begin + n);
  }
  return mine;
}

void BatchLoader::start_epoch(int epoch) {
  stop();
  std::lock_guard<std::mutex> lock(mutex_);
  order_ = cases_;
  if (options_.shuffle) {
    std::mt19937_64 g(mix_seed(options_.seed, static_cast<std::uint64_t>(epoch)));
    shuffle(order_, g);
  }
  order_ = rank_share(order_, options_.step_cases, options_.rank, options_.ranks);
  epoch_ = epoch;
  batches_ = batches_per_epoch();
  next_to_build_ = next_to_return_ = 0;
  ready_.clear();
  failed_.clear();
  stopping_ = false;
  started_ = true;
  const int n =
      static_cast<int>(std::min<std::size_t>(workers_, std::max<std::size_t>(batches_, 1)));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
}

void BatchLoader::work() {
  const std::size_t ahead = static_cast<std::size_t>(options_.prefetch) * workers_;
  while (true) {
    std::size_t batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] {
        return stopping_ || next_to_build_ >= batches_ || next_to_build_ < next_to_return_ + ahead;
      });
      if (stopping_ || next_to_build_ >= batches_) return;
      batch = next_to_build_++;
    }
    try {
      Batch b = build(batch);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(batch, std::move(b));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failed_.emplace(batch, std::current_exception());
    }
    changed_.notify_all();
  }
}

Batch BatchLoader::build(std::size_t batch) const {
  const std::size_t begin = batch * static_cast<std::size_t>(options_.batch_size);
  const std::size_t end = std::min(order_.size(), begin + options_.batch_size);
  const ImageOptions& io = cache_.options();
  Batch b;
  b.indices.assign(order_.begin() + begin, order_.begin() + end);
  const auto n = static_cast<std::int64_t>(b.indices.size());
  const auto memory = torch::TensorOptions(torch::kFloat32).pinned_memory(options_.pin_memory);
  b.images = torch::empty({n, io.channels, io.size, io.size}, memory);
  b.labels = torch::empty({n}, memory);
  float* images = b.images.data_ptr<float>();
  float* labels = b.labels.data_ptr<float>();
  const std::size_t per_image = static_cast<std::size_t>(io.channels) * io.size * io.size;
  for (std::int64_t k = 0; k < n; ++k) {
    const std::size_t index = b.indices[k];
    const Case& c = manifest_.cases[index];
    cv::Mat image;
    if (options_.augment) {
      // One generator per (epoch, case): the draws do not depend on batch or worker.
      std::mt19937_64 g(mix_seed(mix_seed(options_.seed, 0xF11Bu + epoch_), index));
      image = augment_crop(cache_.crop(manifest_.image_path(c), c.roi), io, augment_, g).image;
    } else {
      image = cache_.get(manifest_.image_path(c), c.roi);
    }
    write_chw(image, stats_, io.channels, images + k * per_image);
    labels[k] = c.label == positive_ ? 1.0f : 0.0f;
  }
  return b;
}

std::optional<Batch> BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!started_) throw Error("loader: call start_epoch() before next()");
  if (next_to_return_ >= batches_) return std::nullopt;
  const std::size_t want = next_to_return_;
  changed_.wait(lock, [&] { return ready_.count(want) || failed_.count(want); });
  if (auto f = failed_.find(want); f != failed_.end()) {
    std::exception_ptr e = f->second;
    failed_.erase(f);
    next_to_return_ = batches_;  // the epoch is over; workers wind down
    stopping_ = true;
    lock.unlock();
    changed_.notify_all();
    std::rethrow_exception(e);
  }
  Batch b = std::move(ready_[want]);
  ready_.erase(want);
  ++next_to_return_;
  lock.unlock();
  changed_.notify_all();
  return b;
}

}  // namespace deeptirp
