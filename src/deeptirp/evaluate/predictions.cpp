#include <algorithm>

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

double part_threshold(const std::vector<double>& probability, const Manifest& manifest,
                      const std::string& positive, const EvaluateConfig& config) {
  double fixed = 0;
  if (config.threshold != "youden" && parse_number(config.threshold, fixed)) return fixed;
  stats::Classes validation;
  for (std::size_t c = 0; c < manifest.cases.size(); ++c) {
    if (manifest.cases[c].split != "validation") continue;
    (manifest.cases[c].label == positive ? validation.cases : validation.controls)
        .push_back(probability[c]);
  }
  // Without both classes in validation there is no curve to choose from: the plain 0.5.
  if (validation.cases.empty() || validation.controls.empty()) return 0.5;
  return std::clamp(stats::youden_optimal(validation).threshold, 0.0, 1.0);
}

}  // namespace deeptirp::evaluate
