#pragma once
// Binary logistic regression by Newton-Raphson with an L2 penalty on the coefficients (not the
// intercept): Platt scaling of SVM outputs and the ensemble's stacking meta-model. Newton's method
// converges to the unique optimum, so a refit on the same data gives the same coefficients.
#include <vector>

#include "deeptirp/io/numbers.h"  // sigmoid

namespace deeptirp::clinical {

struct LogisticFit {
  std::vector<double> coef;
  double intercept = 0;
  double predict(const std::vector<double>& x) const;  // probability
  double linear(const std::vector<double>& x) const;   // log-odds
};

// x: one row per case; target: 0..1 (Platt uses smoothed targets, not just 0 and 1).
LogisticFit fit_logistic(const std::vector<std::vector<double>>& x,
                         const std::vector<double>& target, double l2);

// Platt (1999) as refined by Lin, Lin & Weng (2007): P = 1 / (1 + exp(A f + B)) fitted on held-out
// decision values with the targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2). Returns {A, B}.
std::vector<double> fit_platt(const std::vector<double>& decision, const std::vector<int>& labels);
double apply_platt(const std::vector<double>& ab, double decision);

// A probability's log-odds, the probability kept within 1e-7 of 0 and 1 so that it is finite:
// the decision value when Platt scaling recalibrates a model's probabilities.
double probability_log_odds(double p);
// The calibrated probability of `p` by a Platt fit {A, B} on probability_log_odds.
double calibrate_probability(const std::vector<double>& ab, double p);

}  // namespace deeptirp::clinical
