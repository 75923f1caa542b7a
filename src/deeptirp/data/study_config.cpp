#include "deeptirp/data/study_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "deeptirp/data/preprocess.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/error.h"
#include "deeptirp/io/numbers.h"

namespace deeptirp {
std::vector<std::string> StudyConfig::clinical_features() const {
  std::vector<std::string> all = numeric_features;
  all.insert(all.end(), categorical_features.begin(), categorical_features.end());
  return all;
}

namespace {

// clinical.ranges: {column: [low, high]}, for numeric columns only; age defaults to 0..120 years.
void read_ranges(const YamlReader& r, const YAML::Node& clinical, StudyConfig& config) {
  const bool has_age = std::find(config.numeric_features.begin(), config.numeric_features.end(),
                                 "age") != config.numeric_features.end();
  if (has_age) config.numeric_ranges["age"] = {0, 120};
  const YAML::Node ranges = clinical ? clinical["ranges"] : YAML::Node();
  if (!ranges || ranges.IsNull()) return;
  if (!ranges.IsMap()) r.fail("clinical.ranges", "expected a mapping of column: [low, high]");
  for (const auto& item : ranges) {
    const std::string column = r.as<std::string>(item.first, "clinical.ranges");
    const std::string key = "clinical.ranges." + column;
    if (std::find(config.numeric_features.begin(), config.numeric_features.end(), column) ==
        config.numeric_features.end())
      r.fail(key, "not a numeric clinical column (clinical.numeric)");
    const auto bounds = r.as<std::vector<double>>(item.second, key);
    if (bounds.size() != 2 || !(bounds[0] <= bounds[1]))
      r.fail(key, "expected [low, high] with low <= high");
    config.numeric_ranges[column] = {bounds[0], bounds[1]};
  }
}

}  // namespace

StudyConfig parse_study_config(const YamlDocument& study) {
  StudyConfig config;
  config.path = study.file();
  const YamlReader& r = study.reader;
  const YAML::Node& root = study.root;
  if (!root || root.IsNull())
    throw Error(config.path.string() +
                ": empty; a study config names at least its target: and positive: class");
  r.only_keys(root, "",
              {"target", "positive", "classes", "clinical", "centres", "split", "image", "import",
               "study", "train", "models", "clinical_model", "ensemble", "evaluate", "readers",
               "explain", "report"});
  r.get(root, "target", "target", config.target);
  r.get(root, "positive", "positive", config.positive);
  r.get_list(root, "classes", "classes", config.classes);

  const YAML::Node clinical = root["clinical"];
  r.only_keys(clinical, "clinical", {"numeric", "categorical", "ranges"});
  r.get_list(clinical, "numeric", "clinical.numeric", config.numeric_features);
  r.get_list(clinical, "categorical", "clinical.categorical", config.categorical_features);
  read_ranges(r, clinical, config);

  const YAML::Node centres = root["centres"];
  r.only_keys(centres, "centres", {"external"});
  r.get_list(centres, "external", "centres.external", config.external_centres);

  const YAML::Node split = root["split"];
  r.only_keys(split, "split", {"train", "validation", "test", "seed"});
  r.get(split, "train", "split.train", config.split.train);
  r.get(split, "validation", "split.validation", config.split.validation);
  r.get(split, "test", "split.test", config.split.test);
  r.get(split, "seed", "split.seed", config.seed);

  const YAML::Node image = root["image"];
  r.only_keys(image, "image",
              {"size", "channels", "roi_margin", "min_crop", "hflip", "vflip", "intensity"});
  r.get(image, "size", "image.size", config.image.size);
  r.get(image, "channels", "image.channels", config.image.channels);
  r.get(image, "roi_margin", "image.roi_margin", config.image.roi_margin);
  r.get(image, "min_crop", "image.min_crop", config.image.min_crop);
  r.get(image, "hflip", "image.hflip", config.image.hflip);
  r.get(image, "vflip", "image.vflip", config.image.vflip);
  r.get(image, "intensity", "image.intensity", config.image.intensity);

  const YAML::Node columns = root["import"];
  r.only_keys(columns, "import", {"image", "patient_id", "centre", "subtype", "roi"});
  r.get(columns, "image", "import.image", config.import_columns.image);
  r.get(columns, "patient_id", "import.patient_id", config.import_columns.patient_id);
  r.get(columns, "centre", "import.centre", config.import_columns.centre);
  r.get(columns, "subtype", "import.subtype", config.import_columns.subtype);
  r.get_list(columns, "roi", "import.roi", config.import_columns.roi);

  // Consistency checks, each naming its key.
  if (config.target.empty()) r.fail("target", "must name a column");
  if (!config.classes.empty() && !config.positive.empty() &&
      std::find(config.classes.begin(), config.classes.end(), config.positive) ==
          config.classes.end())
    r.fail("positive", "'" + config.positive + "' is not one of classes");
  if (const auto problem = split_ratios_problem(config.split)) r.fail(problem->key, problem->what);
  if (config.image.size < 8 || config.image.size > 4096)
    r.fail("image.size", "must be between 8 and 4096 pixels");
  if (config.image.channels != 1 && config.image.channels != 3)
    r.fail("image.channels", "must be 1 or 3");
  if (config.image.roi_margin < 0 || config.image.roi_margin > 2)
    r.fail("image.roi_margin", "must be between 0 and 2");
  if (!(config.image.min_crop >= 0 && config.image.min_crop <= 1))
    r.fail("image.min_crop", "must be between 0 and 1 (a fraction of the image's shorter side)");
  if (!is_intensity_kind(config.image.intensity))
    r.fail("image.intensity",
           "'" + config.image.intensity + "' is not one of " + intensity_kinds_text());
  if (config.import_columns.roi.size() != 4)
    r.fail("import.roi", "must list four columns: x0, y0, x1, y1");
  std::set<std::string> seen;
  for (const auto& f : config.clinical_features())
    if (!seen.insert(f).second) r.fail("clinical", "column '" + f + "' is listed twice");
  if (seen.count(config.target)) r.fail("clinical", "the target column cannot be a feature");
  return config;
}

namespace {

std::string rounded(double value) {  // 0.7 + 0.2 + 0.2 shows as 1.1, not 1.0999999999999999
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

std::optional<ConfigProblem> split_ratios_problem(const SplitRatios& s) {
  const std::pair<const char*, double> ratios[] = {
      {"split.train", s.train}, {"split.validation", s.validation}, {"split.test", s.test}};
  for (const auto& [key, value] : ratios)
    if (!(value >= 0 && value <= 1))
      return ConfigProblem{key, format_number(value) + " is not a fraction in [0, 1]"};
  if (!(s.train > 0)) return ConfigProblem{"split.train", "must be above 0"};
  const double sum = s.train + s.validation + s.test;
  if (std::abs(sum - 1) > 1e-6)
    return ConfigProblem{"split", "train, validation and test add to " + rounded(sum) + ", not 1"};
  return std::nullopt;
}

StudyConfig load_study_config(const std::filesystem::path& path) {
  return parse_study_config(YamlDocument::load(path));
}

}  // namespace deeptirp
