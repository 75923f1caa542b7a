#include "deeptirp/stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "deeptirp/error.h"
#include "deeptirp/stats/random.h"

namespace deeptirp::stats {
namespace {

void draw(std::mt19937_64& generator, std::vector<std::uint32_t>& weights) {
  std::fill(weights.begin(), weights.end(), 0u);
  const std::uint64_t n = weights.size();
  for (std::uint64_t k = 0; k < n; ++k) ++weights[bounded_index(generator, n)];
}

// Rank of every score among the distinct scores of both classes, for sorted scores.
std::vector<std::uint32_t> ranks_among(const std::vector<double>& sorted_scores,
                                       const std::vector<double>& distinct) {
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
                                         const ReplicateStatistic& statistic) {
  if (n_cases == 0 || n_controls == 0) throw Error("the bootstrap needs cases and controls");
  if (replicates < 2) throw Error("the bootstrap needs at least 2 replicates");
  std::mt19937_64 generator(seed);
  std::vector<std::uint32_t> case_weights(n_cases);
  std::vector<std::uint32_t> control_weights(n_controls);
  std::vector<double> values;
  values.reserve(replicates);
  for (std::size_t r = 0; r < replicates; ++r) {
    draw(generator, case_weights);
    draw(generator, control_weights);
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

BootstrapEstimate summarise_replicates(double estimate, const std::vector<double>& replicates,
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

BootstrapEstimate bootstrap_auc(const Classes& classes, std::size_t replicates,
                                std::uint64_t seed, double level) {
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

  std::vector<std::int64_t> cases_at(distinct.size());
  std::vector<std::int64_t> controls_at(distinct.size());
  const double pairs = 2.0 * static_cast<double>(cases.size()) * static_cast<double>(controls.size());
  // Twice the Mann-Whitney count in integers: a case above a control counts 2, a tie 1.
  auto replicate_auc = [&](const std::vector<std::uint32_t>& case_weights,
                           const std::vector<std::uint32_t>& control_weights) {
    std::fill(cases_at.begin(), cases_at.end(), 0);
    std::fill(controls_at.begin(), controls_at.end(), 0);
    for (std::size_t i = 0; i < case_weights.size(); ++i) cases_at[case_rank[i]] += case_weights[i];
    for (std::size_t j = 0; j < control_weights.size(); ++j) {
      controls_at[control_rank[j]] += control_weights[j];
    }
    std::int64_t controls_below = 0;
    std::int64_t twice_count = 0;
    for (std::size_t u = 0; u < distinct.size(); ++u) {
      twice_count += cases_at[u] * (2 * controls_below + controls_at[u]);
      controls_below += controls_at[u];
    }
    return static_cast<double>(twice_count) / pairs;
  };
  const std::vector<double> values =
      stratified_bootstrap(cases.size(), controls.size(), replicates, seed, replicate_auc);
  return summarise_replicates(auc(classes), values, level);
}

}  // namespace deeptirp::stats
