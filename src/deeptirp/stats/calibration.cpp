#include "deeptirp/stats/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "deeptirp/error.h"
#include "deeptirp/io/numbers.h"

namespace deeptirp::stats {
namespace {

constexpr double kEdge = 1e-15;
constexpr int kMaxNewtonSteps = 100;

double logit(double p) {
  p = std::clamp(p, kEdge, 1.0 - kEdge);
  return std::log(p / (1.0 - p));
}

// Maximum likelihood of  logit P(y) = a + b·x  by Newton-Raphson; with
// `fit_slope` false the slope stays at 1 (an offset) and only a is fitted.
void fit_logistic(const std::vector<double> &x, const std::vector<int> &y, bool fit_slope,
                  double *a, double *b) {
  *a = 0.0;
  *b = 1.0;
  for (int step = 0; step < kMaxNewtonSteps; ++step) {
    double g0 = 0.0, g1 = 0.0, h00 = 0.0, h01 = 0.0, h11 = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double mu = sigmoid(*a + *b * x[i]);
      const double w = mu * (1.0 - mu);
      g0 += y[i] - mu;
      g1 += (y[i] - mu) * x[i];
      h00 += w;
      h01 += w * x[i];
      h11 += w * x[i] * x[i];
    }
    double da = 0.0, db = 0.0;
    if (fit_slope) {
      const double det = h00 * h11 - h01 * h01;
      if (!(det > 0.0)) break;
      da = (h11 * g0 - h01 * g1) / det;
      db = (h00 * g1 - h01 * g0) / det;
    } else {
      if (!(h00 > 0.0)) break;
      da = g0 / h00;
    }
    *a += da;
    *b += db;
    if (std::fabs(da) < 1e-12 * (1.0 + std::fabs(*a)) &&
        std::fabs(db) < 1e-12 * (1.0 + std::fabs(*b))) {
      return;
    }
  }
  throw Error(std::string("the calibration ") + (fit_slope ? "slope" : "intercept") +
              " has no finite estimate: the scores separate the labels perfectly");
}

std::vector<ReliabilityBin> reliability_bins(const std::vector<double> &p,
                                             const std::vector<int> &y, std::size_t bins) {
  std::vector<ReliabilityBin> out;
  std::vector<double> sum_p(bins, 0.0), sum_y(bins, 0.0);
  std::vector<std::size_t> n(bins, 0);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto k = std::min(bins - 1, static_cast<std::size_t>(p[i] * static_cast<double>(bins)));
    ++n[k];
    sum_p[k] += p[i];
    sum_y[k] += y[i];
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < bins; ++k) {
    const double count = static_cast<double>(n[k]);
    out.push_back({static_cast<double>(k) / static_cast<double>(bins),
                   static_cast<double>(k + 1) / static_cast<double>(bins), n[k],
                   n[k] ? sum_p[k] / count : nan, n[k] ? sum_y[k] / count : nan});
  }
  return out;
}

}  // namespace

Calibration calibration(const std::vector<double> &probabilities, const std::vector<int> &labels,
                        std::size_t bins, bool allow_separation) {
  if (probabilities.size() != labels.size())
    throw Error("probabilities and labels differ in length");
  if (probabilities.empty()) throw Error("calibration needs at least one prediction");
  if (bins == 0) throw Error("calibration needs at least one bin");
  std::vector<double> logits;
  double squares = 0.0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const double p = probabilities[i];
    if (!(p >= 0.0 && p <= 1.0)) throw Error("calibration: a probability outside [0, 1]");
    squares += (p - labels[i]) * (p - labels[i]);
    logits.push_back(logit(p));
  }
  Calibration c{};
  c.n = probabilities.size();
  c.brier = squares / static_cast<double>(c.n);
  c.bins = reliability_bins(probabilities, labels, bins);
  try {
    double unused_slope = 0.0;
    fit_logistic(logits, labels, false, &c.intercept, &unused_slope);
    double unused_intercept = 0.0;
    fit_logistic(logits, labels, true, &unused_intercept, &c.slope);
  } catch (const Error &) {
    if (!allow_separation) throw;
    c.intercept = c.slope = std::numeric_limits<double>::quiet_NaN();
  }
  return c;
}

}  // namespace deeptirp::stats
