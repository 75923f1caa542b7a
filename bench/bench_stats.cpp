// Timings of the statistics that run on big sets: DeLong's AUC variance (O(n
// log n) placements) and the stratified bootstrap of the AUC (O(n) per
// replicate). Reads the data sets that bench/stats_reference.py writes, so that
// bench/run_stats.sh compares like with like.
//
// usage: bench_stats DIR REPLICATES
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "deeptirp/stats/bootstrap.h"
#include "deeptirp/stats/roc.h"

namespace {

template <typename T>
std::vector<T> read_raw(const std::string &path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<T> values(static_cast<std::size_t>(in.tellg()) / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char *>(values.data()), values.size() * sizeof(T));
  return values;
}

deeptirp::stats::Classes load(const std::string &dir, const std::string &name) {
  const auto scores = read_raw<double>(dir + "/" + name + "_scores.f64");
  const auto labels = read_raw<std::uint8_t>(dir + "/" + name + "_labels.u8");
  return deeptirp::stats::split_by_label(scores, std::vector<int>(labels.begin(), labels.end()));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_stats DIR REPLICATES\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::size_t replicates = std::stoul(argv[2]);

  const auto delong_data = load(dir, "delong");
  double best = 1e9;
  deeptirp::stats::AucEstimate e{};
  for (int run = 0; run < 3; ++run) {
    const auto start = std::chrono::steady_clock::now();
    e = deeptirp::stats::delong_auc(delong_data);
    best = std::min(best, seconds_since(start));
  }
  std::printf(
      "{\"delong_n\": %zu, \"delong_auc\": %.17g, \"delong_se\": %.6g, "
      "\"delong_s\": %.6f,",
      e.n_pos + e.n_neg, e.auc, e.se, best);

  const auto boot_data = load(dir, "boot");
  const auto start = std::chrono::steady_clock::now();
  const auto b = deeptirp::stats::bootstrap_auc(boot_data, replicates, 3);
  std::printf(
      " \"boot_n\": %zu, \"boot_replicates\": %zu, \"boot_s\": %.6f,"
      " \"boot_ci\": [%.6f, %.6f]}\n",
      boot_data.cases.size() + boot_data.controls.size(), replicates, seconds_since(start),
      b.ci_low, b.ci_high);
  return 0;
}
