#include "deeptirp/stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "deeptirp/error.h"
#include "deeptirp/stats/random.h"

namespace deeptirp::stats {
namespace {

// One stratified replicate: n_cases draws among the cases, then n_controls
// among the controls. Every bootstrap here draws in this order, so equal seeds
// mean equal resamples.
template <typename OnCase, typename OnControl>
void resample(IndexDraws &draws, std::uint32_t n_cases, std::uint32_t n_controls, OnCase on_case,
              OnControl on_control) {
  for (std::uint32_t k = 0; k < n_cases; ++k) on_case(draws(n_cases));
  for (std::uint32_t k = 0; k < n_controls; ++k) on_control(draws(n_controls));
}

void check_sizes(std::size_t n_cases, std::size_t n_controls, std::size_t replicates) {
  if (n_cases == 0 || n_controls == 0) throw Error("the bootstrap needs cases and controls");
  if (replicates < 2) throw Error("the bootstrap needs at least 2 replicates");
  if (n_cases > UINT32_MAX || n_controls > UINT32_MAX) {
    throw Error("the bootstrap takes at most 2^32 - 1 cases and as many controls");
  }
}

// Rank of every score among the distinct scores of both classes, for sorted
// scores.
std::vector<std::uint32_t> ranks_among(const std::vector<double> &sorted_scores,
                                       const std::vector<double> &distinct) {
  std::vector<std::uint32_t> ranks(sorted_scores.size());
  std::size_t u = 0;
  for (std::size_t i = 0; i < sorted_scores.size(); ++i) {
    while (distinct[u] < sorted_scores[i]) ++u;
    ranks[i] = static_cast<std::uint32_t>(u);
  }
  return ranks;
}

}  // namespace

std::vector<double> stratified_bootstrap(std::size_t n_cases, std::size_t n_controls,
                                         std::size_t replicates, std::uint64_t seed,
                                         const ReplicateStatistic &statistic) {
  check_sizes(n_cases, n_controls, replicates);
  IndexDraws draws(seed);
  std::vector<std::uint32_t> case_weights(n_cases);
  std::vector<std::uint32_t> control_weights(n_controls);
  std::vector<double> values;
  values.reserve(replicates);
  for (std::size_t r = 0; r < replicates; ++r) {
    std::fill(case_weights.begin(), case_weights.end(), 0u);
    std::fill(control_weights.begin(), control_weights.end(), 0u);
    resample(
        draws, static_cast<std::uint32_t>(n_cases), static_cast<std::uint32_t>(n_controls),
        [&](std::uint32_t i) { ++case_weights[i]; },
        [&](std::uint32_t j) { ++control_weights[j]; });
    values.push_back(statistic(case_weights, control_weights));
  }
  return values;
}

std::pair<double, double> percentile_interval(std::vector<double> values, double level) {
  if (values.empty()) throw Error("no bootstrap replicates to summarise");
  std::sort(values.begin(), values.end());
  auto quantile = [&](double prob) {
    const double h = (static_cast<double>(values.size()) - 1.0) * prob;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  return {quantile((1.0 - level) / 2.0), quantile(1.0 - (1.0 - level) / 2.0)};
}

BootstrapEstimate summarise_replicates(double estimate, const std::vector<double> &replicates,
                                       double level) {
  double mean = 0.0;
  for (double v : replicates) mean += v;
  mean /= static_cast<double>(replicates.size());
  double sum_squares = 0.0;
  for (double v : replicates) sum_squares += (v - mean) * (v - mean);
  const auto [low, high] = percentile_interval(replicates, level);
  return {estimate, std::sqrt(sum_squares / static_cast<double>(replicates.size() - 1)), low, high,
          replicates.size()};
}

BootstrapEstimate bootstrap_auc(const Classes &classes, std::size_t replicates, std::uint64_t seed,
                                double level) {
  std::vector<double> cases = classes.cases;
  std::vector<double> controls = classes.controls;
  std::sort(cases.begin(), cases.end());
  std::sort(controls.begin(), controls.end());
  std::vector<double> distinct;
  std::merge(cases.begin(), cases.end(), controls.begin(), controls.end(),
             std::back_inserter(distinct));
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const std::vector<std::uint32_t> case_rank = ranks_among(cases, distinct);
  const std::vector<std::uint32_t> control_rank = ranks_among(controls, distinct);

  check_sizes(cases.size(), controls.size(), replicates);
  // The draws of stratified_bootstrap, counted straight into ranks.
  std::vector<std::uint32_t> cases_at(distinct.size());
  std::vector<std::uint32_t> controls_at(distinct.size());
  const double pairs =
      2.0 * static_cast<double>(cases.size()) * static_cast<double>(controls.size());
  IndexDraws draws(seed);
  std::vector<double> values;
  values.reserve(replicates);
  for (std::size_t r = 0; r < replicates; ++r) {
    std::fill(cases_at.begin(), cases_at.end(), 0u);
    std::fill(controls_at.begin(), controls_at.end(), 0u);
    resample(
        draws, static_cast<std::uint32_t>(cases.size()),
        static_cast<std::uint32_t>(controls.size()),
        [&](std::uint32_t i) { ++cases_at[case_rank[i]]; },
        [&](std::uint32_t j) { ++controls_at[control_rank[j]]; });
    // Twice the Mann-Whitney count in integers: a case above a control counts
    // 2, a tie 1.
    std::uint64_t controls_below = 0;
    std::uint64_t twice_count = 0;
    for (std::size_t u = 0; u < distinct.size(); ++u) {
      twice_count += cases_at[u] * (2 * controls_below + controls_at[u]);
      controls_below += controls_at[u];
    }
    values.push_back(static_cast<double>(twice_count) / pairs);
  }
  return summarise_replicates(auc(classes), values, level);
}

}  // namespace deeptirp::stats
