#pragma once
// The image models' predictions, as `deeptirp predict` writes them (image, patient_id, split,
// <target>, probability, logit), joined to a manifest's cases on the image path as written.
#include <filesystem>
#include <string>
#include <vector>

#include "deeptirp/data/manifest.h"

namespace deeptirp::ensemble {

struct ImageSource {
  std::string name;  // becomes the column name in the ensemble's predictions
  std::filesystem::path csv;
};

// "NAME=path"; a missing '=' or an empty name is an Error quoting the argument.
ImageSource parse_image_source(const std::string& argument);

// The probability of each of `rows` from the source's CSV. An image of those rows that the CSV
// lacks, an image listed twice, or a probability outside [0, 1] is an Error naming the image and
// the file (and line).
std::vector<double> image_probabilities(const ImageSource& source, const Manifest& manifest,
                                        const std::vector<std::size_t>& rows);

}  // namespace deeptirp::ensemble
