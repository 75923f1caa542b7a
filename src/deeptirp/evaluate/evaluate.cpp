#include "deeptirp/evaluate/evaluate.h"

#include <algorithm>
#include <map>

#include "deeptirp/stats/calibration.h"
#include "deeptirp/stats/diagnostic.h"
#include "deeptirp/stats/roc.h"
#include "deeptirp/stats/stats_json.h"

namespace deeptirp::evaluate {
namespace {

using stats::interval_json;

// The cases of one evaluated set, in manifest order.
struct SetCases {
  std::vector<std::size_t> rows;
  std::vector<int> labels;
};

stats::Classes classes_of(const SetCases& set, const std::vector<double>& probability) {
  stats::Classes classes;
  for (std::size_t k = 0; k < set.rows.size(); ++k)
    (set.labels[k] ? classes.cases : classes.controls).push_back(probability[set.rows[k]]);
  return classes;
}

// Accuracy per diagnosis: the study's Table 3.
nlohmann::json subtype_accuracy(const Manifest& manifest, const SetCases& set,
                                const std::vector<double>& probability, double threshold) {
  std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> counts;
  for (std::size_t k = 0; k < set.rows.size(); ++k) {
    const Case& c = manifest.cases[set.rows[k]];
    auto& [n, correct] = counts[{c.label, c.subtype.empty() ? "unspecified" : c.subtype}];
    ++n;
    correct += (probability[set.rows[k]] >= threshold) == (set.labels[k] == 1);
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [key, count] : counts)
    rows.push_back(
        {{"class", key.first},
         {"subtype", key.second},
         {"n", count.first},
         {"correct", count.second},
         {"accuracy", interval_json(stats::wilson_interval(count.second, count.first))}});
  return rows;
}

nlohmann::json calibration_json(const SetCases& set, const std::vector<double>& probability) {
  std::vector<double> p;
  for (std::size_t r : set.rows) p.push_back(probability[r]);
  const stats::Calibration c = stats::calibration(p, set.labels, 10, true);
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& b : c.bins)
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"n", b.n},
                    {"mean_predicted", b.mean_predicted},
                    {"observed", b.observed}});
  return {{"brier", c.brier}, {"intercept", c.intercept}, {"slope", c.slope}, {"bins", bins}};
}

nlohmann::json evaluate_part(const Manifest& manifest, const SetCases& set,
                             const Predictions& predictions, std::size_t part, double threshold,
                             const EvaluateConfig& config) {
  const auto& probability = predictions.probability[part];
  const stats::Classes classes = classes_of(set, probability);
  const stats::AucEstimate auc = stats::delong_auc(classes);
  const stats::DiagnosticMetrics m = stats::diagnostic_metrics(classes, threshold);
  nlohmann::json versus = nlohmann::json::array();
  for (std::size_t other = 0; other < predictions.parts.size(); ++other) {
    if (other == part) continue;
    const auto cmp = stats::delong_paired(classes, classes_of(set, predictions.probability[other]));
    versus.push_back({{"model", predictions.parts[other]}, {"auc_diff", cmp.diff}, {"p", cmp.p}});
  }
  return {{"n", set.rows.size()},
          {"positives", classes.cases.size()},
          {"negatives", classes.controls.size()},
          {"auc", auc.auc},
          {"auc_ci", {auc.ci_low, auc.ci_high}},
          {"roc", roc_points(classes.cases, classes.controls)},
          {"roc_band", roc_band(classes.cases, classes.controls, config.bootstrap, config.seed)},
          {"threshold", threshold},
          {"confusion",
           {{"tp", m.matrix.tp}, {"fp", m.matrix.fp}, {"tn", m.matrix.tn}, {"fn", m.matrix.fn}}},
          {"metrics",
           {{"accuracy", interval_json(m.accuracy)},
            {"sensitivity", interval_json(m.sensitivity)},
            {"specificity", interval_json(m.specificity)},
            {"ppv", interval_json(m.ppv)},
            {"npv", interval_json(m.npv)},
            {"f1", interval_json(m.f1)}}},
          {"subtypes", subtype_accuracy(manifest, set, probability, threshold)},
          {"calibration", calibration_json(set, probability)},
          {"versus", versus}};
}

SetCases set_cases(const Manifest& manifest, const std::string& split,
                   const std::string& positive) {
  SetCases set;
  for (std::size_t c = 0; c < manifest.cases.size(); ++c)
    if (manifest.cases[c].split == split) {
      set.rows.push_back(c);
      set.labels.push_back(manifest.cases[c].label == positive);
    }
  return set;
}

// A set without both classes has no ROC curve, sensitivity or specificity.
bool has_both_classes(const SetCases& set) {
  const auto positives = std::count(set.labels.begin(), set.labels.end(), 1);
  return positives > 0 && positives < static_cast<long>(set.labels.size());
}

// Sensitivity and specificity at the part's one threshold on validation, test and external test,
// whatever `sets` says: the report shows whether the threshold chosen on validation holds.
nlohmann::json threshold_transfer(const Manifest& manifest, const std::string& positive,
                                  const std::vector<double>& probability, double threshold) {
  nlohmann::json rows = nlohmann::json::array();
  for (const char* split : {"validation", "test", "external_test"}) {
    const SetCases set = set_cases(manifest, split, positive);
    if (!has_both_classes(set)) continue;
    const stats::DiagnosticMetrics m =
        stats::diagnostic_metrics(classes_of(set, probability), threshold);
    rows.push_back({{"set", split},
                    {"n", set.rows.size()},
                    {"sensitivity", interval_json(m.sensitivity)},
                    {"specificity", interval_json(m.specificity)}});
  }
  return rows;
}

}  // namespace

nlohmann::json evaluate_study(const Manifest& manifest, const std::string& positive,
                              const std::vector<Part>& parts, const Predictions& predictions,
                              const EvaluateConfig& config) {
  nlohmann::json result;
  result["data"] = data_summary(manifest);
  std::vector<double> thresholds;
  result["models"] = nlohmann::json::array();
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const Threshold threshold =
        part_threshold(predictions.probability[k], manifest, positive, config);
    thresholds.push_back(threshold.value);
    nlohmann::json model = parts[k].info;
    model["name"] = parts[k].name;
    model["kind"] = parts[k].kind;
    model["threshold"] = threshold.value;
    model["threshold_rule"] = config.threshold;
    model["calibration"] = threshold.to_json();
    model["at_threshold"] =
        threshold_transfer(manifest, positive, predictions.probability[k], threshold.value);
    result["models"].push_back(model);
  }
  result["sets"] = nlohmann::json::array();
  result["evaluation"] = nlohmann::json::array();
  for (const auto& set_name : config.sets) {
    const SetCases set = set_cases(manifest, set_name, positive);
    if (!has_both_classes(set)) continue;  // the study's sets always have both
    result["sets"].push_back(set_name);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      nlohmann::json e = evaluate_part(manifest, set, predictions, k, thresholds[k], config);
      e["model"] = parts[k].name;
      e["set"] = set_name;
      result["evaluation"].push_back(std::move(e));
    }
  }
  return result;
}

}  // namespace deeptirp::evaluate
