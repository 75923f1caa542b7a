#include "deeptirp/stats/roc.h"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

#include "deeptirp/error.h"
#include "deeptirp/stats/normal.h"

namespace deeptirp::stats {
namespace {

void require_both_classes(const Classes &classes) {
  if (classes.cases.empty() || classes.controls.empty()) {
    throw Error("ROC analysis needs both cases and controls, but one class is empty");
  }
}

double mean(const std::vector<double> &v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// Sample covariance (denominator n - 1), as R's var/cov that pROC uses.
double covariance(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() < 2) return 0.0;
  const double ma = mean(a);
  const double mb = mean(b);
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += (a[i] - ma) * (b[i] - mb);
  return sum / static_cast<double>(a.size() - 1);
}

double delong_variance(const DelongPlacements &p) {
  return covariance(p.cases, p.cases) / static_cast<double>(p.cases.size()) +
         covariance(p.controls, p.controls) / static_cast<double>(p.controls.size());
}

// df infinite: the normal reference of the paired test.
AucComparison compare(double auc_a, double auc_b, double variance, double df, double level) {
  AucComparison c{};
  c.auc_a = auc_a;
  c.auc_b = auc_b;
  c.diff = auc_a - auc_b;
  c.se = std::sqrt(std::max(variance, 0.0));
  // Identical curves: no difference and no variance; report "no evidence"
  // rather than 0/0.
  c.z = c.se > 0.0 ? c.diff / c.se : 0.0;
  c.df = df;
  double quantile = normal_quantile_for(level);
  if (std::isfinite(df)) {
    const boost::math::students_t t(df);
    c.p = 2.0 * boost::math::cdf(boost::math::complement(t, std::fabs(c.z)));
    quantile = boost::math::quantile(boost::math::complement(t, (1.0 - level) / 2.0));
  } else {
    c.p = two_sided_p(c.z);
  }
  const double half = quantile * c.se;
  c.ci_low = c.diff - half;
  c.ci_high = c.diff + half;
  return c;
}

}  // namespace

Classes split_by_label(const std::vector<double> &scores, const std::vector<int> &labels) {
  if (scores.size() != labels.size()) throw Error("scores and labels differ in length");
  Classes classes;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    (labels[i] ? classes.cases : classes.controls).push_back(scores[i]);
  }
  require_both_classes(classes);
  return classes;
}

std::vector<RocPoint> roc_curve(const Classes &classes) {
  require_both_classes(classes);
  std::vector<double> cases = classes.cases;
  std::vector<double> controls = classes.controls;
  std::sort(cases.begin(), cases.end());
  std::sort(controls.begin(), controls.end());
  std::vector<double> distinct = cases;
  distinct.insert(distinct.end(), controls.begin(), controls.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> thresholds{-inf};
  for (std::size_t i = 1; i < distinct.size(); ++i) {
    thresholds.push_back((distinct[i - 1] + distinct[i]) / 2.0);
  }
  thresholds.push_back(inf);

  std::vector<RocPoint> curve;
  const double m = static_cast<double>(cases.size());
  const double n = static_cast<double>(controls.size());
  for (double t : thresholds) {
    const auto below_cases = std::lower_bound(cases.begin(), cases.end(), t) - cases.begin();
    const auto below_controls =
        std::lower_bound(controls.begin(), controls.end(), t) - controls.begin();
    curve.push_back(
        {t, (m - static_cast<double>(below_cases)) / m, static_cast<double>(below_controls) / n});
  }
  return curve;
}

DelongPlacements delong_placements(const Classes &classes) {
  require_both_classes(classes);
  std::vector<double> cases = classes.cases;
  std::vector<double> controls = classes.controls;
  std::sort(cases.begin(), cases.end());
  std::sort(controls.begin(), controls.end());
  const double m = static_cast<double>(cases.size());
  const double n = static_cast<double>(controls.size());

  DelongPlacements p;
  p.cases.reserve(classes.cases.size());
  p.controls.reserve(classes.controls.size());
  for (double x : classes.cases) {
    const auto range = std::equal_range(controls.begin(), controls.end(), x);
    const double below = static_cast<double>(range.first - controls.begin());
    const double tied = static_cast<double>(range.second - range.first);
    p.cases.push_back((below + tied / 2.0) / n);
  }
  for (double y : classes.controls) {
    const auto range = std::equal_range(cases.begin(), cases.end(), y);
    const double above = static_cast<double>(cases.end() - range.second);
    const double tied = static_cast<double>(range.second - range.first);
    p.controls.push_back((above + tied / 2.0) / m);
  }
  p.auc = mean(p.cases);
  return p;
}

double auc(const Classes &classes) { return delong_placements(classes).auc; }

AucEstimate delong_auc(const Classes &classes, double level) {
  const DelongPlacements p = delong_placements(classes);
  AucEstimate e{};
  e.auc = p.auc;
  e.variance = delong_variance(p);
  e.se = std::sqrt(e.variance);
  const double half = normal_quantile_for(level) * e.se;
  e.ci_low = std::max(0.0, e.auc - half);
  e.ci_high = std::min(1.0, e.auc + half);
  e.n_pos = classes.cases.size();
  e.n_neg = classes.controls.size();
  return e;
}

AucComparison delong_paired(const Classes &a, const Classes &b, double level) {
  if (a.cases.size() != b.cases.size() || a.controls.size() != b.controls.size()) {
    throw Error(
        "a paired comparison needs both scores for the same cases and "
        "controls");
  }
  const DelongPlacements pa = delong_placements(a);
  const DelongPlacements pb = delong_placements(b);
  const double m = static_cast<double>(pa.cases.size());
  const double n = static_cast<double>(pa.controls.size());
  const double covariance_ab =
      covariance(pa.cases, pb.cases) / m + covariance(pa.controls, pb.controls) / n;
  const double variance = delong_variance(pa) + delong_variance(pb) - 2.0 * covariance_ab;
  return compare(pa.auc, pb.auc, variance, std::numeric_limits<double>::infinity(), level);
}

AucComparison delong_unpaired(const Classes &a, const Classes &b, double level) {
  const DelongPlacements pa = delong_placements(a);
  const DelongPlacements pb = delong_placements(b);
  const double va = delong_variance(pa);
  const double vb = delong_variance(pb);
  const double na = static_cast<double>(a.cases.size() + a.controls.size());
  const double nb = static_cast<double>(b.cases.size() + b.controls.size());
  const double df = (va + vb) * (va + vb) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
  return compare(pa.auc, pb.auc, va + vb, df, level);
}

}  // namespace deeptirp::stats
