#include "deeptirp/ensemble/image_predictions.h"

#include "deeptirp/data/predictions.h"
#include "deeptirp/error.h"

namespace deeptirp::ensemble {

ImageSource parse_image_source(const std::string& argument) {
  const auto eq = argument.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == argument.size())
    throw Error("--image '" + argument + "': expected NAME=predictions.csv");
  return {argument.substr(0, eq), argument.substr(eq + 1)};
}

std::vector<double> image_probabilities(const ImageSource& source, const Manifest& manifest,
                                        const std::vector<std::size_t>& rows) {
  return PredictionsTable::read(source.csv)
      .of_cases("probability", manifest, rows, "image model '" + source.name + "'");
}

}  // namespace deeptirp::ensemble
