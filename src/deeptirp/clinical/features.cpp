#include "deeptirp/clinical/features.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"

namespace deeptirp::clinical {
namespace {

std::size_t column_of(const Manifest& m, const std::string& name) {
  const int index = m.clinical_index(name);
  if (index < 0) {
    std::string have;
    for (const auto& c : m.clinical_columns) have += (have.empty() ? "" : ", ") + c;
    throw Error(m.path.string() + ": no clinical column '" + name +
                "' that the study config declares (clinical columns: " +
                (have.empty() ? "none" : have) + ")");
  }
  return static_cast<std::size_t>(index);
}

bool numeric_value(const Manifest& m, const Case& c, std::size_t col, double& out) {
  const std::string& text = c.clinical[col];
  if (text.empty()) return false;
  if (!parse_number(text, out))
    throw Error(m.path.string() + " line " + std::to_string(c.line) + ", column '" +
                m.clinical_columns[col] + "': '" + text + "' is not a number");
  return true;
}

// FNV-1a: a stable hash of the image path and column, so draws do not depend on row order.
std::uint64_t stable_hash(const std::string& a, const std::string& b) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::string* s : {&a, &b}) {
    for (unsigned char ch : *s) h = (h ^ ch) * 1099511628211ULL;
    h = (h ^ 0xFF) * 1099511628211ULL;
  }
  return h;
}

template <typename T>
const T& draw(const std::vector<std::pair<T, int>>& counts, std::uint64_t seed,
              const std::string& image, const std::string& column) {
  std::mt19937_64 g(mix_seed(seed, stable_hash(image, column)));
  long total = 0;
  for (const auto& [value, n] : counts) total += n;
  long pick = static_cast<long>(uniform_index(g, static_cast<std::uint64_t>(total)));
  for (const auto& [value, n] : counts) {
    if (pick < n) return value;
    pick -= n;
  }
  return counts.back().first;
}

}  // namespace

std::vector<std::string> FeatureEncoder::names() const {
  std::vector<std::string> out;
  for (const auto& f : numeric) out.push_back(f.column);
  for (const auto& f : categorical)
    for (const auto& level : f.levels) out.push_back(f.column + "=" + level.first);
  return out;
}

cv::Mat FeatureEncoder::encode(const Manifest& m, const std::vector<std::size_t>& rows,
                               bool standardise) const {
  const int width = static_cast<int>(names().size());
  cv::Mat x = cv::Mat::zeros(static_cast<int>(rows.size()), width, CV_32F);
  std::vector<std::size_t> numeric_cols, categorical_cols;
  for (const auto& f : numeric) numeric_cols.push_back(column_of(m, f.column));
  for (const auto& f : categorical) categorical_cols.push_back(column_of(m, f.column));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Case& c = m.cases.at(rows[r]);
    float* out = x.ptr<float>(static_cast<int>(r));
    int k = 0;
    for (std::size_t j = 0; j < numeric.size(); ++j, ++k) {
      const NumericFeature& f = numeric[j];
      double v = 0;
      if (!numeric_value(m, c, numeric_cols[j], v))
        v = imputation == "random" ? draw(f.observed, seed, c.image, f.column) : f.median;
      out[k] = static_cast<float>(standardise ? (v - f.mean) / f.sd : v);
    }
    for (std::size_t j = 0; j < categorical.size(); ++j) {
      const CategoricalFeature& f = categorical[j];
      std::string v = c.clinical[categorical_cols[j]];
      if (v.empty()) v = imputation == "random" ? draw(f.levels, seed, c.image, f.column) : f.mode;
      for (const auto& level : f.levels) out[k++] = level.first == v ? 1.0f : 0.0f;
    }
  }
  return x;
}

FeatureEncoder fit_encoder(const Manifest& m, const std::vector<std::size_t>& rows,
                           const std::vector<std::string>& numeric,
                           const std::vector<std::string>& categorical,
                           const std::string& imputation, std::uint64_t seed) {
  if (imputation != "median" && imputation != "random")
    throw Error("unknown imputation '" + imputation + "' (median, random)");
  if (numeric.empty() && categorical.empty())
    throw Error(
        "the study config declares no clinical features (clinical.numeric, "
        "clinical.categorical)");
  FeatureEncoder e;
  e.imputation = imputation;
  e.seed = seed;
  for (const auto& name : numeric) {
    const std::size_t col = column_of(m, name);
    std::map<double, int> counts;
    std::vector<double> values;
    for (std::size_t r : rows) {
      double v = 0;
      if (numeric_value(m, m.cases.at(r), col, v)) ++counts[v], values.push_back(v);
    }
    if (values.empty())
      throw Error(m.path.string() + ": clinical column '" + name +
                  "' has no value in the training split");
    NumericFeature f;
    f.column = name;
    f.observed.assign(counts.begin(), counts.end());
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    f.median = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    e.numeric.push_back(f);
  }
  for (const auto& name : categorical) {
    const std::size_t col = column_of(m, name);
    std::map<std::string, int> counts;
    for (std::size_t r : rows)
      if (!m.cases.at(r).clinical[col].empty()) ++counts[m.cases.at(r).clinical[col]];
    if (counts.empty())
      throw Error(m.path.string() + ": clinical column '" + name +
                  "' has no value in the training split");
    CategoricalFeature f;
    f.column = name;
    f.levels.assign(counts.begin(), counts.end());
    int best = -1;
    for (const auto& [level, n] : f.levels)  // ties go to the first level in sorted order
      if (n > best) best = n, f.mode = level;
    e.categorical.push_back(f);
  }
  // Standardising statistics of the imputed training values.
  const cv::Mat x = e.encode(m, rows, false);
  for (std::size_t j = 0; j < e.numeric.size(); ++j) {
    double sum = 0, squares = 0;
    for (int r = 0; r < x.rows; ++r) sum += x.at<float>(r, static_cast<int>(j));
    const double mean = sum / x.rows;
    for (int r = 0; r < x.rows; ++r) {
      const double d = x.at<float>(r, static_cast<int>(j)) - mean;
      squares += d * d;
    }
    const double sd = x.rows > 1 ? std::sqrt(squares / (x.rows - 1)) : 0.0;
    e.numeric[j].mean = mean;
    e.numeric[j].sd = sd > 0 ? sd : 1.0;
  }
  return e;
}

nlohmann::json FeatureEncoder::to_json() const {
  nlohmann::json j;
  j["imputation"] = imputation;
  j["seed"] = seed;
  j["numeric"] = nlohmann::json::array();
  for (const auto& f : numeric) {
    nlohmann::json observed = nlohmann::json::array();
    for (const auto& [v, n] : f.observed) observed.push_back({v, n});
    j["numeric"].push_back({{"column", f.column},
                            {"median", f.median},
                            {"mean", f.mean},
                            {"sd", f.sd},
                            {"observed", observed}});
  }
  j["categorical"] = nlohmann::json::array();
  for (const auto& f : categorical) {
    nlohmann::json levels = nlohmann::json::array();
    for (const auto& [v, n] : f.levels) levels.push_back({v, n});
    j["categorical"].push_back({{"column", f.column}, {"mode", f.mode}, {"levels", levels}});
  }
  return j;
}

FeatureEncoder FeatureEncoder::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    FeatureEncoder e;
    e.imputation = j.at("imputation").get<std::string>();
    e.seed = j.at("seed").get<std::uint64_t>();
    for (const auto& f : j.at("numeric")) {
      NumericFeature n;
      n.column = f.at("column").get<std::string>();
      n.median = f.at("median").get<double>();
      n.mean = f.at("mean").get<double>();
      n.sd = f.at("sd").get<double>();
      for (const auto& o : f.at("observed"))
        n.observed.emplace_back(o[0].get<double>(), o[1].get<int>());
      e.numeric.push_back(n);
    }
    for (const auto& f : j.at("categorical")) {
      CategoricalFeature c;
      c.column = f.at("column").get<std::string>();
      c.mode = f.at("mode").get<std::string>();
      for (const auto& l : f.at("levels"))
        c.levels.emplace_back(l[0].get<std::string>(), l[1].get<int>());
      e.categorical.push_back(c);
    }
    return e;
  } catch (const nlohmann::json::exception& ex) {
    throw Error(source + ": features: " + ex.what());
  }
}

}  // namespace deeptirp::clinical
