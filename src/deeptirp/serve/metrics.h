#pragma once
// What `GET /metrics` tells a Prometheus server: requests by path and status, request latency,
// the batcher's queue depth and the sizes of the batches it formed (text exposition format
// 0.0.4). Updated from every worker thread; one mutex, as an update takes nanoseconds.
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace deeptirp::serve {

// A cumulative histogram over fixed upper bounds, as Prometheus histograms are.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // `name`_bucket{le="..."}, `name`_sum and `name`_count lines.
  std::string text(const std::string& name) const;

 private:
  std::vector<double> upper_bounds_;
  std::vector<std::size_t> counts_;  // per bound, not cumulative; the last is +Inf
  double sum_ = 0;
  std::size_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request(const std::string& path, int status, double seconds);
  void batch(std::size_t size);
  void queue_depth(std::size_t depth);
  std::string text() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::size_t> requests_;
  Histogram latency_, batch_sizes_;
  std::size_t queue_depth_ = 0;
};

}  // namespace deeptirp::serve
