#pragma once
// Clinical features from a manifest's clinical columns, as the study config declares them.
// Everything is learnt on the rows given to fit_encoder (the training split only):
// - numeric columns: a missing value gets the training median, or (imputation "random", as the
//   study did) a draw from the observed training values; mean and SD for standardising;
// - categorical columns: one-hot over the levels seen in training, in sorted order; a missing
//   value gets the training mode or a random draw. A level never seen in training maps to all
//   zeros (no column is switched on): the model then sees "none of the known levels".
// Random draws are seeded by the encoder's seed and the image's path, so a case gets the same
// value whatever rows it is predicted with, and a reloaded encoder gives the same values.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "deeptirp/data/manifest.h"

namespace deeptirp::clinical {

struct NumericFeature {
  std::string column;
  double median = 0;
  std::vector<std::pair<double, int>> observed;  // value, count in training (for random draws)
  double mean = 0, sd = 1;                       // after imputation, for standardising
};

struct CategoricalFeature {
  std::string column;
  std::vector<std::pair<std::string, int>> levels;  // sorted; count in training
  std::string mode;
};

struct FeatureEncoder {
  std::vector<NumericFeature> numeric;
  std::vector<CategoricalFeature> categorical;
  std::string imputation = "median";  // or "random"
  std::uint64_t seed = 0;

  std::vector<std::string> names() const;  // age, sex=F, sex=M, site=femur, ...
  // One CV_32F row per manifest row; numeric columns standardised when asked.
  cv::Mat encode(const Manifest& manifest, const std::vector<std::size_t>& rows,
                 bool standardise) const;
  nlohmann::json to_json() const;
  static FeatureEncoder from_json(const nlohmann::json& j, const std::string& source);
};

// Learns imputation, levels and standardisation from `rows` of the manifest. A feature the
// manifest lacks, a number that does not parse, or a column with no value in those rows is an
// Error naming it.
FeatureEncoder fit_encoder(const Manifest& manifest, const std::vector<std::size_t>& rows,
                           const std::vector<std::string>& numeric,
                           const std::vector<std::string>& categorical,
                           const std::string& imputation, std::uint64_t seed);

}  // namespace deeptirp::clinical
