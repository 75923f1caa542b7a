#pragma once
// The study configuration (YAML): what the target is, which columns are clinical features, which
// centres are external, how to split, and how images are prepared. Later steps add sections.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/data/yaml_reader.h"

namespace deeptirp {

struct SplitRatios {
  double train = 0.7;  // the study's 7:1:2 split of hospital 1, by patient
  double validation = 0.1;
  double test = 0.2;
};

// Nothing when each ratio is a fraction in [0, 1], train is above 0 and they add to 1 (within
// 1e-6); else the key at fault (split.train, split.validation, split.test or split) and what is
// wrong. Ratios that do not add to 1 are refused, not rescaled: 0.7, 0.2, 0.2 is a typo more often
// than a wish.
struct ConfigProblem {
  std::string key, what;
};
std::optional<ConfigProblem> split_ratios_problem(const SplitRatios& ratios);

struct ImageOptions {
  int size = 224;           // square model input, as in the study
  int channels = 3;         // 3 repeats grey for ImageNet-pretrained stems; 1 keeps it grey
  double roi_margin = 0.1;  // added on every side of the ROI box, as a fraction of its longer side
  // The crop's least side, as a fraction of the radiograph's shorter side (0: the box and its
  // margin only, the study's crop). Where annotators drew small boxes for one class, as BTXRD's
  // centre 1 did for benign lesions, a tight crop enlarges that class more and the model learns
  // the enlargement; a crop of at least a fixed share of the image keeps one scale for all.
  double min_crop = 0;
  bool hflip = true;  // training flips, p = 0.5 each, as in the study
  bool vflip = true;
  // Per-image intensity standardisation of the crop, before the training split's z-score:
  // dataset (none), per-image (robust z-score), clahe, equalize. See standardise_intensity.
  std::string intensity = "dataset";
};

// Where `deeptirp import table` finds the manifest fields in a user's spreadsheet. The target and
// clinical columns keep their own names.
struct ImportColumns {
  std::string image = "image";
  std::string patient_id = "patient_id";
  std::string centre = "centre";
  std::string subtype = "subtype";
  std::vector<std::string> roi = {"roi_x0", "roi_y0", "roi_x1", "roi_y1"};
};

struct StudyConfig {
  std::filesystem::path path;                     // the file it came from, for messages
  std::string target = "label";                   // manifest column holding the study's target
  std::string positive;                           // positive class: probabilities are of this class
  std::vector<std::string> classes;               // every allowed target value; empty = any
  std::vector<std::string> numeric_features;      // e.g. age
  std::vector<std::string> categorical_features;  // e.g. sex, site
  // The plausible values of numeric columns (clinical.ranges: {age: [0, 120]}); a value outside is
  // an error naming its row. `age` gets 0..120 unless the config says otherwise.
  std::map<std::string, std::pair<double, double>> numeric_ranges;
  std::vector<std::string> external_centres;  // these centres form the external test set
  SplitRatios split;
  std::uint64_t seed = 42;
  ImageOptions image;
  ImportColumns import_columns;

  std::vector<std::string> clinical_features() const;  // numeric, then categorical
};

// Reads a study YAML. Unknown keys, wrong types and inconsistent values are errors that name the
// key and the file.
StudyConfig parse_study_config(const YamlDocument& study);
StudyConfig load_study_config(const std::filesystem::path& path);

}  // namespace deeptirp
