#pragma once
// Diagnostic accuracy at one threshold: the confusion matrix and its
// proportions with 95% intervals, and the threshold that maximises Youden's J
// (Youden, Cancer 1950).
#include <cstddef>
#include <cstdint>

#include "deeptirp/stats/roc.h"

namespace deeptirp::stats {

// A subject is called positive when its score is >= threshold.
struct ConfusionMatrix {
  std::size_t tp = 0;
  std::size_t fp = 0;
  std::size_t tn = 0;
  std::size_t fn = 0;
};
ConfusionMatrix confusion_matrix(const Classes &classes, double threshold);

struct Interval {
  double value;
  double ci_low;
  double ci_high;
};
// Wilson's score interval (Wilson, JASA 1927) for k successes in n trials; NaN
// when n is 0.
Interval wilson_interval(std::size_t k, std::size_t n, double level = 0.95);

struct DiagnosticMetrics {
  ConfusionMatrix matrix;
  Interval accuracy;
  Interval sensitivity;
  Interval specificity;
  Interval ppv;
  Interval npv;
  Interval f1;
};
// Wilson intervals for the proportions. F1 is not a proportion but a monotone
// function of one, F1 = 2J / (1 + J) with J = TP / (TP + FP + FN), so its
// interval is Wilson's for J, mapped.
DiagnosticMetrics diagnostic_metrics(const Classes &classes, double threshold, double level = 0.95);
// The same point values with stratified bootstrap percentile intervals instead.
DiagnosticMetrics bootstrap_diagnostic_metrics(const Classes &classes, double threshold,
                                               std::size_t replicates, std::uint64_t seed,
                                               double level = 0.95);

// The ROC point with the largest sensitivity + specificity - 1; among ties the
// highest threshold.
RocPoint youden_optimal(const Classes &classes);

}  // namespace deeptirp::stats
