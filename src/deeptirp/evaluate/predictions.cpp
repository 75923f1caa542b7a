#include <map>

#include "deeptirp/error.h"
#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/stats/diagnostic.h"
#include "deeptirp/stats/roc.h"

namespace deeptirp::evaluate {

Predictions read_predictions(const std::filesystem::path& csv, const Manifest& manifest,
                             const std::vector<std::string>& parts) {
  const CsvTable table = read_csv(csv);
  const std::size_t image_col = table.column("image");
  std::vector<std::size_t> part_cols;
  for (const auto& part : parts) part_cols.push_back(table.column(part));
  std::map<std::string, std::size_t> row_of;
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    if (!row_of.emplace(table.rows[r][image_col], r).second)
      throw Error(table.where(r, "image") + ": image '" + table.rows[r][image_col] +
                  "' is listed twice");
  Predictions p;
  p.parts = parts;
  p.probability.assign(parts.size(), std::vector<double>(manifest.cases.size()));
  for (std::size_t c = 0; c < manifest.cases.size(); ++c) {
    const auto it = row_of.find(manifest.cases[c].image);
    if (it == row_of.end())
      throw Error(csv.string() + ": no prediction for image '" + manifest.cases[c].image +
                  "' (manifest line " + std::to_string(manifest.cases[c].line) + ")");
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const std::string& cell = table.rows[it->second][part_cols[k]];
      double value = 0;
      if (!parse_number(cell, value) || value < 0 || value > 1)
        throw Error(table.where(it->second, parts[k]) + ": '" + cell +
                    "' is not a probability");
      p.probability[k][c] = value;
    }
  }
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
