#include "deeptirp/stats/diagnostic.h"

#include <cmath>
#include <limits>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/stats/bootstrap.h"
#include "deeptirp/stats/normal.h"

namespace deeptirp::stats {
namespace {

double ratio(std::size_t k, std::size_t n) {
  return n == 0 ? std::numeric_limits<double>::quiet_NaN()
                : static_cast<double>(k) / static_cast<double>(n);
}

double f1_from_jaccard(double j) { return 2.0 * j / (1.0 + j); }

// The point values of every metric, in the order of DiagnosticMetrics.
std::vector<double> point_values(const ConfusionMatrix &c) {
  const std::size_t n = c.tp + c.fp + c.tn + c.fn;
  return {ratio(c.tp + c.tn, n),    ratio(c.tp, c.tp + c.fn),
          ratio(c.tn, c.tn + c.fp), ratio(c.tp, c.tp + c.fp),
          ratio(c.tn, c.tn + c.fn), ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)};
}

DiagnosticMetrics assemble(const ConfusionMatrix &m, const std::vector<Interval> &v) {
  return {m, v[0], v[1], v[2], v[3], v[4], v[5]};
}

}  // namespace

ConfusionMatrix confusion_matrix(const Classes &classes, double threshold) {
  if (!std::isfinite(threshold))
    throw Error("the threshold must be a finite number, not " + std::to_string(threshold));
  ConfusionMatrix m;
  for (double x : classes.cases) (x >= threshold ? m.tp : m.fn)++;
  for (double y : classes.controls) (y >= threshold ? m.fp : m.tn)++;
  return m;
}

Interval wilson_interval(std::size_t k, std::size_t n, double level) {
  if (n == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan};
  }
  const double z = normal_quantile_for(level);
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double denominator = 1.0 + z * z / nn;
  const double centre = (p + z * z / (2.0 * nn)) / denominator;
  const double half = z * std::sqrt(p * (1.0 - p) / nn + z * z / (4.0 * nn * nn)) / denominator;
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

DiagnosticMetrics diagnostic_metrics(const Classes &classes, double threshold, double level) {
  const ConfusionMatrix c = confusion_matrix(classes, threshold);
  const std::size_t n = c.tp + c.fp + c.tn + c.fn;
  const Interval jaccard = wilson_interval(c.tp, c.tp + c.fp + c.fn, level);
  const std::vector<Interval> v = {wilson_interval(c.tp + c.tn, n, level),
                                   wilson_interval(c.tp, c.tp + c.fn, level),
                                   wilson_interval(c.tn, c.tn + c.fp, level),
                                   wilson_interval(c.tp, c.tp + c.fp, level),
                                   wilson_interval(c.tn, c.tn + c.fn, level),
                                   {f1_from_jaccard(jaccard.value), f1_from_jaccard(jaccard.ci_low),
                                    f1_from_jaccard(jaccard.ci_high)}};
  return assemble(c, v);
}

DiagnosticMetrics bootstrap_diagnostic_metrics(const Classes &classes, double threshold,
                                               std::size_t replicates, std::uint64_t seed,
                                               double level) {
  const ConfusionMatrix c = confusion_matrix(classes, threshold);
  const std::vector<double> point = point_values(c);
  // One bootstrap stream for all metrics, so that they come from the same
  // replicates.
  std::vector<std::vector<double>> per_metric(point.size());
  auto replicate = [&](const std::vector<std::uint32_t> &case_weights,
                       const std::vector<std::uint32_t> &control_weights) {
    ConfusionMatrix r;
    for (std::size_t i = 0; i < case_weights.size(); ++i) {
      (classes.cases[i] >= threshold ? r.tp : r.fn) += case_weights[i];
    }
    for (std::size_t j = 0; j < control_weights.size(); ++j) {
      (classes.controls[j] >= threshold ? r.fp : r.tn) += control_weights[j];
    }
    const std::vector<double> values = point_values(r);
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (!std::isnan(values[k])) per_metric[k].push_back(values[k]);
    }
    return 0.0;
  };
  stratified_bootstrap(classes.cases.size(), classes.controls.size(), replicates, seed, replicate);
  std::vector<Interval> v;
  for (std::size_t k = 0; k < point.size(); ++k) {
    if (per_metric[k].empty()) {
      v.push_back({point[k], point[k], point[k]});
      continue;
    }
    const auto [low, high] = percentile_interval(per_metric[k], level);
    v.push_back({point[k], low, high});
  }
  return assemble(c, v);
}

RocPoint youden_optimal(const Classes &classes) {
  const std::vector<RocPoint> curve = roc_curve(classes);
  RocPoint best = curve.front();
  for (const RocPoint &p : curve) {
    if (p.sensitivity + p.specificity >= best.sensitivity + best.specificity) best = p;
  }
  return best;
}

}  // namespace deeptirp::stats
