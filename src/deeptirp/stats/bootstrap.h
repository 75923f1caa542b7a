#pragma once
// Stratified bootstrap as pROC does it (Carpenter & Bithell, Stat Med 2000):
// cases and controls are resampled separately, so every replicate keeps the
// study's numbers of each, and the interval is the percentile interval of the
// replicates.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "deeptirp/stats/roc.h"

namespace deeptirp::stats {

constexpr std::size_t kDefaultReplicates = 2000;  // pROC's default boot.n

// How often each case and each control was drawn in one replicate.
using ReplicateStatistic = std::function<double(const std::vector<std::uint32_t> &case_weights,
                                                const std::vector<std::uint32_t> &control_weights)>;

// One value of `statistic` per replicate. The draws come from std::mt19937_64
// seeded with `seed` and our own bounded mapping, so the same seed gives the
// same replicates on every platform.
std::vector<double> stratified_bootstrap(std::size_t n_cases, std::size_t n_controls,
                                         std::size_t replicates, std::uint64_t seed,
                                         const ReplicateStatistic &statistic);

// The central `level` interval of the values: R's quantile(type = 7), which
// pROC uses.
std::pair<double, double> percentile_interval(std::vector<double> values, double level);

struct BootstrapEstimate {
  double estimate;  // on the original data
  double se;        // standard deviation of the replicates
  double ci_low;
  double ci_high;
  std::size_t replicates;
};
BootstrapEstimate summarise_replicates(double estimate, const std::vector<double> &replicates,
                                       double level);

// The AUC with a stratified bootstrap interval. Each replicate costs O(n):
// scores are ranked once, and a replicate only counts draws per rank.
BootstrapEstimate bootstrap_auc(const Classes &classes, std::size_t replicates, std::uint64_t seed,
                                double level = 0.95);

}  // namespace deeptirp::stats
