#pragma once
// Calibration of predicted probabilities, following Van Calster et al. (J Clin
// Epidemiol 2016; BMC Med 2019, "Calibration: the Achilles heel of predictive
// analytics"):
//  - calibration slope: b from the logistic regression  logit P(y) = a + b ·
//  logit(p);
//  - calibration intercept ("calibration-in-the-large"): a from  logit P(y) = a
//  + logit(p), the
//    slope fixed at 1 (logit(p) as an offset), so it says whether predictions
//    are too high (< 0) or too low (> 0) on average.
// Ideal: intercept 0, slope 1. The Brier score is the mean squared error of the
// probabilities.
#include <cstddef>
#include <vector>

namespace deeptirp::stats {

struct ReliabilityBin {
  double lower;
  double upper;
  std::size_t n;
  double mean_predicted;  // NaN for an empty bin
  double observed;        // share of positives; NaN for an empty bin
};

struct Calibration {
  double brier;
  double intercept;
  double slope;
  std::vector<ReliabilityBin> bins;
  std::size_t n;
};

// Probabilities of 0 or 1 are moved to 1e-15 from the edge before taking logits
// (a saturated sigmoid); labels are 0/1. `bins` equal-width bins over [0, 1],
// the last one closed. Throws when the labels separate the logits perfectly
// (the fit has no finite solution).
// With `allow_separation`, such scores give NaN intercept and slope instead (a report still wants
// the Brier score and the bins of a perfect classifier).
Calibration calibration(const std::vector<double> &probabilities, const std::vector<int> &labels,
                        std::size_t bins = 10, bool allow_separation = false);

}  // namespace deeptirp::stats
