#include "deeptirp/stats/agreement.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "deeptirp/error.h"
#include "deeptirp/stats/columns.h"
#include "deeptirp/stats/normal.h"

namespace deeptirp::stats {

std::size_t Categories::index_of(const std::string &rating) const {
  for (std::size_t k = 0; k < names.size(); ++k)
    if (same_value(names[k], rating)) return k;
  throw Error("rating '" + rating + "' is not among the categories");
}

Categories ordered_categories(const std::vector<std::string> &ratings) {
  bool numeric = true;
  for (const auto &r : ratings) numeric = numeric && parse_number(r).has_value();
  Categories c;
  if (numeric) {
    std::map<double, std::string> by_value;  // "1" and "1.0" are one category
    for (const auto &r : ratings) by_value.emplace(*parse_number(r), r);
    for (const auto &[value, name] : by_value) {
      c.names.push_back(name);
      c.scores.push_back(value);
    }
  } else {
    std::map<std::string, int> by_name;
    for (const auto &r : ratings) by_name.emplace(r, 0);
    for (const auto &[name, unused] : by_name) {
      c.names.push_back(name);
      c.scores.push_back(static_cast<double>(c.names.size()));
    }
  }
  return c;
}

FleissKappa fleiss_kappa(const std::vector<std::vector<std::string>> &ratings, double level) {
  if (ratings.empty()) throw Error("Fleiss' kappa needs at least one subject");
  const std::size_t raters = ratings.front().size();
  if (raters < 2)
    throw Error("Fleiss' kappa needs at least two raters, got " + std::to_string(raters));
  std::vector<std::string> all;
  for (const auto &subject : ratings) {
    if (subject.size() != raters) throw Error("every subject needs the same number of raters");
    all.insert(all.end(), subject.begin(), subject.end());
  }
  FleissKappa f{};
  f.categories = ordered_categories(all);
  f.subjects = ratings.size();
  f.raters = raters;
  const std::size_t k = f.categories.names.size();
  if (k < 2)
    throw Error("Fleiss' kappa is undefined: every rating is '" + all.front() +
                "', so there is no agreement beyond chance to measure");
  const double ns = static_cast<double>(f.subjects);
  const double nr = static_cast<double>(raters);

  f.category_totals.assign(k, 0);
  std::vector<double> disagreement(k, 0.0);  // sum over subjects of n_ij (nr - n_ij)
  double agreement = 0.0;
  for (const auto &subject : ratings) {
    std::vector<std::size_t> counts(k, 0);
    for (const auto &r : subject) ++counts[f.categories.index_of(r)];
    double squares = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      const double n = static_cast<double>(counts[j]);
      squares += n * n;
      disagreement[j] += n * (nr - n);
      f.category_totals[j] += counts[j];
    }
    agreement += (squares - nr) / (nr * (nr - 1.0)) / ns;
  }
  double chance = 0.0;
  double sum_pq = 0.0;
  double sum_pq_q_minus_p = 0.0;
  for (std::size_t j = 0; j < k; ++j) {
    const double p = static_cast<double>(f.category_totals[j]) / (ns * nr);
    chance += p * p;
    sum_pq += p * (1.0 - p);
    sum_pq_q_minus_p += p * (1.0 - p) * (1.0 - 2.0 * p);
    f.category_kappa.push_back(1.0 - disagreement[j] / (ns * nr * (nr - 1.0) * p * (1.0 - p)));
  }
  f.kappa = (agreement - chance) / (1.0 - chance);
  f.se = std::sqrt(2.0 / (sum_pq * sum_pq * ns * nr * (nr - 1.0)) *
                   (sum_pq * sum_pq - sum_pq_q_minus_p));
  f.z = f.kappa / f.se;
  f.p = two_sided_p(f.z);
  const double half = normal_quantile_for(level) * f.se;
  f.ci_low = f.kappa - half;
  f.ci_high = f.kappa + half;
  return f;
}

KappaWeights parse_kappa_weights(const std::string &name) {
  if (name == "none") return KappaWeights::kNone;
  if (name == "linear") return KappaWeights::kLinear;
  if (name == "quadratic") return KappaWeights::kQuadratic;
  throw Error("unknown kappa weights '" + name + "' (expected none, linear or quadratic)");
}

namespace {

std::vector<std::vector<double>> agreement_weights(const Categories &c, KappaWeights kind) {
  const std::size_t k = c.scores.size();
  const double range = c.scores.back() - c.scores.front();
  std::vector<std::vector<double>> w(k, std::vector<double>(k, 0.0));
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const double d = range > 0.0 ? std::fabs(c.scores[i] - c.scores[j]) / range : 0.0;
      if (kind == KappaWeights::kNone) w[i][j] = i == j ? 1.0 : 0.0;
      if (kind == KappaWeights::kLinear) w[i][j] = 1.0 - d;
      if (kind == KappaWeights::kQuadratic) w[i][j] = 1.0 - d * d;
    }
  }
  return w;
}

}  // namespace

CohenKappa cohen_kappa(const std::vector<std::string> &rater1,
                       const std::vector<std::string> &rater2, KappaWeights weights, double level) {
  if (rater1.size() != rater2.size()) throw Error("the two raters rated different numbers");
  if (rater1.empty()) throw Error("Cohen's kappa needs at least one subject");
  // A rater who gives one category to every subject makes kappa 0 whatever the other does, with
  // a standard error of 0 under no agreement (and 0/0 when both do): neither a kappa nor a test
  // would mean anything.
  for (const auto *rater : {&rater1, &rater2})
    if (std::all_of(rater->begin(), rater->end(),
                    [&](const auto &r) { return r == rater->front(); }))
      throw Error(std::string("Cohen's kappa is undefined: rater ") +
                  (rater == &rater1 ? "1" : "2") + " rated every subject '" + rater->front() + "'");
  std::vector<std::string> all = rater1;
  all.insert(all.end(), rater2.begin(), rater2.end());
  CohenKappa c{};
  c.categories = ordered_categories(all);
  const std::size_t k = c.categories.names.size();
  c.table.assign(k, std::vector<std::size_t>(k, 0));
  for (std::size_t s = 0; s < rater1.size(); ++s) {
    ++c.table[c.categories.index_of(rater1[s])][c.categories.index_of(rater2[s])];
  }
  const double n = static_cast<double>(rater1.size());
  std::vector<std::vector<double>> p(k, std::vector<double>(k));
  std::vector<double> row(k, 0.0), col(k, 0.0);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      p[i][j] = static_cast<double>(c.table[i][j]) / n;
      row[i] += p[i][j];
      col[j] += p[i][j];
    }
  }
  const auto w = agreement_weights(c.categories, weights);
  // Notation of the SAS PROC FREQ documentation (Kappa Statistics, weighted
  // kappa); with identity weights these reduce to its simple-kappa formulas.
  std::vector<double> w_row(k, 0.0), w_col(k, 0.0);
  double observed = 0.0, expected = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      observed += w[i][j] * p[i][j];
      expected += w[i][j] * row[i] * col[j];
      w_row[i] += col[j] * w[i][j];
      w_col[j] += row[i] * w[i][j];
    }
  }
  c.kappa = (observed - expected) / (1.0 - expected);
  double a = 0.0, a0 = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const double d = w[i][j] - (w_row[i] + w_col[j]) * (1.0 - c.kappa);
      a += p[i][j] * d * d;
      const double d0 = w[i][j] - (w_row[i] + w_col[j]);
      a0 += row[i] * col[j] * d0 * d0;
    }
  }
  const double b = c.kappa - expected * (1.0 - c.kappa);
  const double scale = (1.0 - expected) * std::sqrt(n);
  c.ase = std::sqrt(std::max(0.0, a - b * b)) / scale;
  c.ase_h0 = std::sqrt(std::max(0.0, a0 - expected * expected)) / scale;
  const double half = normal_quantile_for(level) * c.ase;
  c.ci_low = c.kappa - half;
  c.ci_high = c.kappa + half;
  c.z = c.kappa / c.ase_h0;
  c.p = two_sided_p(c.z);
  c.p_one_sided = upper_tail_p(c.z);
  return c;
}

}  // namespace deeptirp::stats
