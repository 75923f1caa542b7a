#include "deeptirp/ensemble/ensemble.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/stats/roc.h"

namespace deeptirp::ensemble {
namespace {

constexpr const char* kFormat = "deeptirp-ensemble";

double logit(double p) {
  const double q = std::clamp(p, 1e-6, 1 - 1e-6);
  return std::log(q / (1 - q));
}

double auc_of(const std::vector<double>& score, const std::vector<int>& y) {
  return stats::auc(stats::split_by_label(score, y));
}

std::vector<double> part(const Components& d, std::size_t j, const std::vector<std::size_t>& idx) {
  std::vector<double> out;
  for (std::size_t i : idx) out.push_back(d.p[i][j]);
  return out;
}

template <typename T>
std::vector<T> pick(const std::vector<T>& v, const std::vector<std::size_t>& idx) {
  std::vector<T> out;
  for (std::size_t i : idx) out.push_back(v[i]);
  return out;
}

// Each part's centre and spread of logits over the cases `idx`.
struct Spread {
  double centre = 0, spread = 0;
};
Spread spread_of(const Components& d, std::size_t j, const std::vector<std::size_t>& idx) {
  double sum = 0, sum_sq = 0;
  for (std::size_t i : idx) {
    const double z = logit(d.p[i][j]);
    sum += z, sum_sq += z * z;
  }
  const double n = static_cast<double>(idx.size()), centre = sum / n;
  return {centre, std::sqrt(std::max(sum_sq / n - centre * centre, 0.0))};
}

// zmean: mean_j (logit p_j - centre_j) / spread_j over the k parts. halves: the same over the
// image models, standardised again, is one half and the clinical model's standardised logit the
// other, so three image models that agree do not outvote the clinical model three to one. Both are
// kept as the linear map on the logits that stacking also is.
void fit_standardised(const Components& d, const std::vector<std::size_t>& idx, bool halves,
                      clinical::LogisticFit& fit) {
  const std::size_t k = d.names.size(), images = k - 1;
  std::vector<Spread> s;
  for (std::size_t j = 0; j < k; ++j) s.push_back(spread_of(d, j, idx));
  // A part that says the same for every case carries nothing; its spread must not be 0.
  auto standardised = [&](std::size_t i, std::size_t j) {
    return s[j].spread < 1e-9 ? 0.0 : (logit(d.p[i][j]) - s[j].centre) / s[j].spread;
  };
  std::vector<double> weight(k, 1.0 / k);
  if (halves && images > 0) {
    // The image half's spread: that of the mean of the image models' standardised logits.
    double sum_sq = 0;
    for (std::size_t i : idx) {
      double u = 0;
      for (std::size_t j = 0; j < images; ++j) u += standardised(i, j) / images;
      sum_sq += u * u;
    }
    const double image_spread = std::sqrt(sum_sq / static_cast<double>(idx.size()));
    for (std::size_t j = 0; j < images; ++j)
      weight[j] = image_spread < 1e-9 ? 0 : 1 / (2 * images * image_spread);
    weight[images] = 0.5;
  }
  fit.coef.assign(k, 0.0);
  fit.intercept = 0;
  for (std::size_t j = 0; j < k; ++j) {
    if (s[j].spread < 1e-9) continue;
    fit.coef[j] = weight[j] / s[j].spread;
    fit.intercept -= weight[j] * s[j].centre / s[j].spread;
  }
}

// Fits `kind` on the cases `idx` of `d` (indices into d's rows).
EnsembleModel fit_kind(const Components& d, const std::vector<std::size_t>& idx,
                       const std::string& kind, const EnsembleConfig& config,
                       const clinical::FitObserver& observer, const std::string& stage) {
  EnsembleModel m;
  m.kind = kind;
  m.names = d.names;
  const std::size_t k = d.names.size();
  m.weights.assign(k, 1.0 / k);
  if (kind == "mean") return m;
  if (observer) observer(stage, pick(d.rows, idx));
  if (kind == "zmean" || kind == "halves") {
    fit_standardised(d, idx, kind == "halves", m.stacking);
    return m;
  }
  const std::vector<int> y = pick(d.labels, idx);
  if (kind == "weighted") {
    double total = 0;
    for (std::size_t j = 0; j < k; ++j) total += m.weights[j] = auc_of(part(d, j, idx), y);
    for (double& w : m.weights) w /= total;
  } else {
    std::vector<std::vector<double>> x;
    for (std::size_t i : idx) {
      std::vector<double> z;
      for (double p : d.p[i]) z.push_back(logit(p));
      x.push_back(z);
    }
    m.stacking = clinical::fit_logistic(x, std::vector<double>(y.begin(), y.end()), config.ridge);
  }
  return m;
}

}  // namespace

bool EnsembleModel::on_logits() const {
  return kind == "stacking" || kind == "zmean" || kind == "halves";
}

double EnsembleModel::combine(const std::vector<double>& p) const {
  if (p.size() != names.size())
    throw Error("ensemble: expected " + std::to_string(names.size()) + " probabilities");
  if (on_logits()) {
    std::vector<double> z;
    for (double v : p) z.push_back(logit(v));
    return stacking.predict(z);
  }
  double s = 0;
  for (std::size_t j = 0; j < p.size(); ++j) s += weights[j] * p[j];
  return s;
}

EnsembleModel fit_ensemble(const Components& d, const EnsembleConfig& config,
                           const clinical::FitObserver& observer) {
  if (d.p.empty()) throw Error("ensemble: no validation cases to fit on");
  std::vector<std::size_t> all(d.p.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const std::vector<int> fold =
      clinical::grouped_folds(d.patients, d.labels, config.folds, config.seed);
  std::vector<KindScore> selection;
  for (const auto& kind : config.kinds) {
    check_ensemble_kind(kind, "ensemble");
    std::vector<double> oof(d.p.size());
    for (int f = 0; f < config.folds; ++f) {
      std::vector<std::size_t> fit_idx, held;
      for (std::size_t i : all) (fold[i] == f ? held : fit_idx).push_back(i);
      const EnsembleModel m = fit_kind(d, fit_idx, kind, config, observer, "ensemble:cv");
      for (std::size_t i : held) oof[i] = m.combine(d.p[i]);
    }
    selection.push_back({kind, auc_of(oof, d.labels)});
  }
  const KindScore* best = &selection.front();
  for (const auto& s : selection)
    if (s.cv_auc > best->cv_auc) best = &s;
  EnsembleModel model = fit_kind(d, all, best->kind, config, observer, "ensemble:fit");
  model.selection = selection;
  model.aggregate = config.aggregate;
  for (std::size_t j = 0; j < d.names.size(); ++j)
    model.validation_aucs.push_back(auc_of(part(d, j, all), d.labels));
  return model;
}

nlohmann::json EnsembleModel::to_json() const {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = 1;
  j["kind"] = kind;
  j["names"] = names;
  j["weights"] = weights;
  j["stacking"] = {{"intercept", stacking.intercept}, {"coef", stacking.coef}};
  j["validation_aucs"] = validation_aucs;
  j["selection"] = nlohmann::json::array();
  for (const auto& s : selection)
    j["selection"].push_back({{"kind", s.kind}, {"cv_auc", s.cv_auc}});
  j["aggregate"] = aggregate_name(aggregate);
  j["target"] = target;
  j["positive"] = positive;
  return j;
}

EnsembleModel EnsembleModel::from_json(const nlohmann::json& j, const std::string& source) {
  if (j.value("format", "") != kFormat) throw Error(source + ": not a deeptirp ensemble model");
  try {
    EnsembleModel m;
    m.kind = j.at("kind").get<std::string>();
    check_ensemble_kind(m.kind, source + ": key 'kind'");
    m.names = j.at("names").get<std::vector<std::string>>();
    m.weights = j.at("weights").get<std::vector<double>>();
    m.stacking.intercept = j.at("stacking").at("intercept").get<double>();
    m.stacking.coef = j.at("stacking").at("coef").get<std::vector<double>>();
    m.validation_aucs = j.at("validation_aucs").get<std::vector<double>>();
    for (const auto& s : j.at("selection")) m.selection.push_back({s.at("kind"), s.at("cv_auc")});
    m.aggregate =
        parse_aggregate(j.at("aggregate").get<std::string>(), source + ": key 'aggregate'");
    m.target = j.at("target").get<std::string>();
    m.positive = j.at("positive").get<std::string>();
    if (m.weights.size() != m.names.size() ||
        (m.on_logits() && m.stacking.coef.size() != m.names.size()))
      throw Error(source + ": the weights do not match the parts");
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": " + e.what());
  }
}

void EnsembleModel::save(const std::filesystem::path& folder) const {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw Error(folder.string() + ": cannot create the folder: " + ec.message());
  write_file_atomically(folder / "ensemble.json", to_json().dump(2) + "\n");
}

EnsembleModel EnsembleModel::load(const std::filesystem::path& folder) {
  const auto path = folder / "ensemble.json";
  std::ifstream in(path);
  if (!in)
    throw Error(path.string() + ": cannot open the ensemble model (run `deeptirp ensemble fit`)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": " + e.what());
  }
  return from_json(j, path.string());
}

std::string format_selection(const EnsembleModel& m) {
  std::ostringstream out;
  char line[160];
  out << "  part                 validation AUC\n";
  for (std::size_t j = 0; j < m.names.size(); ++j) {
    std::snprintf(line, sizeof line, "  %-20s %.3f\n", m.names[j].c_str(), m.validation_aucs[j]);
    out << line;
  }
  out << "  ensemble kind        CV AUC over validation\n";
  for (const auto& s : m.selection) {
    std::snprintf(line, sizeof line, "%s %-20s %.3f\n", s.kind == m.kind ? "*" : " ",
                  s.kind.c_str(), s.cv_auc);
    out << line;
  }
  return out.str();
}

}  // namespace deeptirp::ensemble
