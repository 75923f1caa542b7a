#include "deeptirp/ensemble/image_predictions.h"

#include <unordered_map>

#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"

namespace deeptirp::ensemble {

ImageSource parse_image_source(const std::string& argument) {
  const auto eq = argument.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == argument.size())
    throw Error("--image '" + argument + "': expected NAME=predictions.csv");
  return {argument.substr(0, eq), argument.substr(eq + 1)};
}

std::vector<double> image_probabilities(const ImageSource& source, const Manifest& manifest,
                                        const std::vector<std::size_t>& rows) {
  const CsvTable t = read_csv(source.csv);
  const std::size_t image_col = t.column("image"), p_col = t.column("probability");
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& image = t.rows[r][image_col];
    if (!row_of.emplace(image, r).second)
      throw Error(t.where(r, "image") + ": image '" + image + "' is listed twice (first on line " +
                  std::to_string(t.lines[row_of[image]]) + ")");
  }
  std::vector<double> p;
  p.reserve(rows.size());
  for (std::size_t r : rows) {
    const std::string& image = manifest.cases.at(r).image;
    const auto it = row_of.find(image);
    if (it == row_of.end())
      throw Error(source.csv.string() + " (image model '" + source.name +
                  "'): no prediction for image '" + image + "' (manifest " +
                  manifest.path.string() + " line " + std::to_string(manifest.cases[r].line) + ")");
    double v = 0;
    if (!parse_number(t.rows[it->second][p_col], v) || v < 0 || v > 1)
      throw Error(t.where(it->second, "probability") + ": '" + t.rows[it->second][p_col] +
                  "' is not a probability");
    p.push_back(v);
  }
  return p;
}

}  // namespace deeptirp::ensemble
