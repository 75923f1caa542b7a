#pragma once
// Batches of model inputs over one split's cases, filled ahead by a pool of worker threads. The
// order (a seeded shuffle per epoch) and the flips (a generator per case and epoch) never depend
// on the number of workers or on which worker was faster.
#include <ATen/Tensor.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "deeptirp/data/augment.h"
#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/manifest.h"
#include "deeptirp/data/preprocess.h"

namespace deeptirp {

struct Batch {
  at::Tensor images;                 // [N, C, H, W] float32, normalised
  at::Tensor labels;                 // [N] float32, 1 = the positive class
  std::vector<std::size_t> indices;  // into Manifest::cases
};

struct LoaderOptions {
  int batch_size = 16;
  bool shuffle = false;  // a new order each epoch, from seed + epoch
  bool augment = false;  // training augmentation (the flips as ImageOptions allows, and more)
  std::string augment_level = "flips";  // AugmentLevel: flips | standard | strong
  bool drop_last = false;
  int workers = 0;   // 0 = the machine's hardware threads
  int prefetch = 2;  // batches prepared ahead per worker
  // Batches in page-locked host memory (needs CUDA): a copy to the GPU from them can be
  // asynchronous (non_blocking), overlapping the previous step's compute.
  bool pin_memory = false;
  std::uint64_t seed = 42;
  // Data-parallel training: of each step's `step_cases` consecutive cases of the epoch's order,
  // this loader yields the share of `rank` among `ranks` (rank_share), so that the ranks
  // together see the order of one process, whatever their number.
  int rank = 0, ranks = 1;
  std::size_t step_cases = 0;
};

// The cases of `rank` in `order`: each step of `step_cases` consecutive cases cut into `ranks`
// contiguous shares of step_cases / ranks (which must divide it); a last, shorter step gives the
// first ranks full shares and the rest less, or nothing.
std::vector<std::size_t> rank_share(const std::vector<std::size_t>& order, std::size_t step_cases,
                                    int rank, int ranks);
// The size of `rank`'s share of a step of `step_size` cases, where a full step has `step_cases`.
std::size_t rank_share_size(std::size_t step_size, std::size_t step_cases, int rank, int ranks);

// One case as a float [C, H, W] tensor.
at::Tensor image_tensor(const cv::Mat& image, const NormStats& stats, int channels);

class BatchLoader {
 public:
  // `manifest` and `cache` must outlive the loader; the cache's options give size and flips.
  BatchLoader(const Manifest& manifest, std::vector<std::size_t> cases, std::string positive,
              NormStats stats, ImageCache& cache, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts (or restarts) an epoch: workers begin filling its batches.
  void start_epoch(int epoch);
  // The next batch in order, or nothing at the end of the epoch. A worker's failure (an image
  // that cannot be read) is rethrown here as the Error naming the file.
  std::optional<Batch> next();
  std::size_t batches_per_epoch() const;
  int workers() const { return workers_; }

 private:
  void stop();
  void work();
  Batch build(std::size_t batch) const;

  const Manifest& manifest_;
  std::vector<std::size_t> cases_;
  std::string positive_;
  NormStats stats_;
  ImageCache& cache_;
  LoaderOptions options_;
  const AugmentLevel& augment_;
  int workers_ = 1;

  // Epoch state, guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::size_t> order_;
  int epoch_ = 0;
  std::size_t next_to_build_ = 0, next_to_return_ = 0, batches_ = 0;
  bool stopping_ = false;
  bool started_ = false;
  std::map<std::size_t, Batch> ready_;
  std::map<std::size_t, std::exception_ptr> failed_;
  std::vector<std::thread> threads_;
};

}  // namespace deeptirp
