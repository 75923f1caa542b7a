#include "deeptirp/serve/metrics.h"

#include <algorithm>
#include <sstream>

#include "deeptirp/io/numbers.h"

namespace deeptirp::serve {

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  const auto bound = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  ++counts_[bound - upper_bounds_.begin()];
  sum_ += value;
  ++count_;
}

std::string Histogram::text(const std::string& name) const {
  std::ostringstream out;
  std::size_t cumulative = 0;
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    cumulative += counts_[i];
    out << name << "_bucket{le=\"" << format_number(upper_bounds_[i]) << "\"} " << cumulative
        << "\n";
  }
  out << name << "_bucket{le=\"+Inf\"} " << count_ << "\n"
      << name << "_sum " << format_number(sum_) << "\n"
      << name << "_count " << count_ << "\n";
  return out.str();
}

// Latency bounds from 5 ms (a batch-1 forward pass of a small model) to 30 s (the default
// deadline); batch sizes in powers of two up to the largest --max-batch worth allowing.
Metrics::Metrics()
    : latency_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      batch_sizes_({1, 2, 4, 8, 16, 32, 64}) {}

void Metrics::request(const std::string& path, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{path, status}];
  latency_.observe(seconds);
}

void Metrics::batch(std::size_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  batch_sizes_.observe(static_cast<double>(size));
}

void Metrics::queue_depth(std::size_t depth) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_depth_ = depth;
}

std::string Metrics::text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  out << "# HELP deeptirp_requests_total HTTP requests answered, by path and status.\n"
      << "# TYPE deeptirp_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out << "deeptirp_requests_total{path=\"" << key.first << "\",status=\"" << key.second << "\"} "
        << n << "\n";
  out << "# HELP deeptirp_request_seconds Time from a request's arrival to its answer.\n"
      << "# TYPE deeptirp_request_seconds histogram\n"
      << latency_.text("deeptirp_request_seconds")
      << "# HELP deeptirp_queue_depth Cases waiting for a forward pass.\n"
      << "# TYPE deeptirp_queue_depth gauge\n"
      << "deeptirp_queue_depth " << queue_depth_ << "\n"
      << "# HELP deeptirp_batch_size Cases per forward pass.\n"
      << "# TYPE deeptirp_batch_size histogram\n"
      << batch_sizes_.text("deeptirp_batch_size");
  return out.str();
}

}  // namespace deeptirp::serve
