#include <algorithm>

#include <cmath>

#include "deeptirp/clinical/logistic.h"
#include "deeptirp/data/predictions.h"
#include "deeptirp/error.h"
#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/stats/diagnostic.h"
#include "deeptirp/stats/roc.h"

namespace deeptirp::evaluate {

Predictions read_predictions(const std::filesystem::path& csv, const Manifest& manifest,
                             const std::vector<std::string>& parts) {
  const PredictionsTable table = PredictionsTable::read(csv);
  Predictions p;
  p.parts = parts;
  for (const auto& part : parts)
    p.probability.push_back(table.of_cases(part, manifest, all_cases(manifest), part));
  return p;
}

namespace {

using clinical::probability_log_odds;

// Platt's fit on the validation log-odds; the raw probability whose calibrated value is the
// validation prevalence. A fit that ranks the wrong way round (A >= 0) has no such cut: 0.5.
Threshold calibrated_threshold(const stats::Classes& validation) {
  Threshold t;
  std::vector<double> decision;
  std::vector<int> labels;
  for (double p : validation.cases)
    decision.push_back(probability_log_odds(p)), labels.push_back(1);
  for (double p : validation.controls)
    decision.push_back(probability_log_odds(p)), labels.push_back(0);
  t.platt = clinical::fit_platt(decision, labels);
  t.prevalence = static_cast<double>(validation.cases.size()) / decision.size();
  const double a = t.platt[0], b = t.platt[1];
  if (a < 0) t.value = sigmoid((-probability_log_odds(t.prevalence) - b) / a);
  return t;
}

}  // namespace

nlohmann::json Threshold::to_json() const {
  if (platt.empty()) return nullptr;
  return {{"platt", platt}, {"prevalence", prevalence}};
}

Threshold part_threshold(const std::vector<double>& probability, const Manifest& manifest,
                         const std::string& positive, const EvaluateConfig& config) {
  double fixed = 0;
  if (config.threshold != "youden" && config.threshold != "calibrated" &&
      parse_number(config.threshold, fixed))
    return {fixed};
  stats::Classes validation;
  for (std::size_t c = 0; c < manifest.cases.size(); ++c) {
    if (manifest.cases[c].split != "validation") continue;
    (manifest.cases[c].label == positive ? validation.cases : validation.controls)
        .push_back(probability[c]);
  }
  // Without both classes in validation there is no curve to choose from: the plain 0.5.
  if (validation.cases.empty() || validation.controls.empty()) return {};
  if (config.threshold == "calibrated") return calibrated_threshold(validation);
  return {std::clamp(stats::youden_optimal(validation).threshold, 0.0, 1.0)};
}

}  // namespace deeptirp::evaluate
