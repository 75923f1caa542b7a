#include "deeptirp/clinical/logistic.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>

#include "deeptirp/error.h"
#include "deeptirp/io/numbers.h"

namespace deeptirp::clinical {

double LogisticFit::linear(const std::vector<double>& x) const {
  double z = intercept;
  for (std::size_t j = 0; j < coef.size(); ++j) z += coef[j] * x[j];
  return z;
}

double LogisticFit::predict(const std::vector<double>& x) const { return sigmoid(linear(x)); }

namespace {

double penalised_deviance(const LogisticFit& f, const std::vector<std::vector<double>>& x,
                          const std::vector<double>& t, double l2) {
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double z = f.linear(x[i]);
    // log(1 + e^z) - t z, computed without overflow
    d += (z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) - t[i] * z;
  }
  for (double c : f.coef) d += 0.5 * l2 * c * c;
  return d;
}

}  // namespace

LogisticFit fit_logistic(const std::vector<std::vector<double>>& x,
                         const std::vector<double>& target, double l2) {
  if (x.empty() || x.size() != target.size()) throw Error("logistic regression: no cases");
  const int d = static_cast<int>(x[0].size()), p = d + 1;
  LogisticFit f;
  f.coef.assign(d, 0.0);
  double current = penalised_deviance(f, x, target, l2);
  for (int iteration = 0; iteration < 100; ++iteration) {
    cv::Mat hessian = cv::Mat::zeros(p, p, CV_64F), gradient = cv::Mat::zeros(p, 1, CV_64F);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double mu = f.predict(x[i]), w = std::max(mu * (1 - mu), 1e-12);
      std::vector<double> row(p, 1.0);
      for (int j = 0; j < d; ++j) row[j + 1] = x[i][j];
      for (int a = 0; a < p; ++a) {
        gradient.at<double>(a) += (mu - target[i]) * row[a];
        for (int b = 0; b < p; ++b) hessian.at<double>(a, b) += w * row[a] * row[b];
      }
    }
    for (int j = 0; j < d; ++j) {
      gradient.at<double>(j + 1) += l2 * f.coef[j];
      hessian.at<double>(j + 1, j + 1) += l2;
    }
    for (int a = 0; a < p; ++a) hessian.at<double>(a, a) += 1e-10;  // keeps it positive definite
    cv::Mat step;
    cv::solve(hessian, gradient, step, cv::DECOMP_CHOLESKY);
    // Step halving: Newton may overshoot on (nearly) separable data.
    double scale = 1.0, next = current;
    LogisticFit candidate = f;
    for (int half = 0; half < 30; ++half, scale *= 0.5) {
      candidate.intercept = f.intercept - scale * step.at<double>(0);
      for (int j = 0; j < d; ++j) candidate.coef[j] = f.coef[j] - scale * step.at<double>(j + 1);
      next = penalised_deviance(candidate, x, target, l2);
      if (next <= current) break;
    }
    if (next > current) break;
    f = candidate;
    current = next;
    if (scale * cv::norm(step, cv::NORM_INF) < 1e-10) break;  // Newton: quadratic convergence
  }
  return f;
}

std::vector<double> fit_platt(const std::vector<double>& decision, const std::vector<int>& labels) {
  double positives = 0, negatives = 0;
  for (int y : labels) (y ? positives : negatives) += 1;
  const double hi = (positives + 1) / (positives + 2), lo = 1 / (negatives + 2);
  std::vector<std::vector<double>> x;
  std::vector<double> t;
  for (std::size_t i = 0; i < decision.size(); ++i) {
    x.push_back({decision[i]});
    t.push_back(labels[i] ? hi : lo);
  }
  const LogisticFit f = fit_logistic(x, t, 0.0);
  return {-f.coef[0], -f.intercept};  // Platt's sign convention: 1 / (1 + exp(A f + B))
}

double apply_platt(const std::vector<double>& ab, double decision) {
  return sigmoid(-(ab[0] * decision + ab[1]));
}

double probability_log_odds(double p) {
  constexpr double kFloor = 1e-7;
  p = std::clamp(p, kFloor, 1 - kFloor);
  return std::log(p / (1 - p));
}

double calibrate_probability(const std::vector<double>& ab, double p) {
  return apply_platt(ab, probability_log_odds(p));
}

}  // namespace deeptirp::clinical
