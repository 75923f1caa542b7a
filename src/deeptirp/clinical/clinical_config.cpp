#include "deeptirp/clinical/clinical_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "deeptirp/clinical/classifier.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/error.h"

namespace deeptirp::clinical {
std::vector<std::string> parse_model_list(const std::string& list, const std::string& where) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    check_kind(name, where);
    out.push_back(name);
  }
  if (out.empty()) throw Error(where + ": no model kinds given (known: " + known_kinds() + ")");
  return out;
}

ClinicalConfig parse_clinical_config(const YamlDocument& study, std::uint64_t default_seed) {
  ClinicalConfig config;
  config.seed = default_seed;
  const YamlReader& r = study.reader;
  const std::filesystem::path& path = study.file();
  const YAML::Node section = study.section("clinical_model");
  if (!section || section.IsNull()) return config;
  r.only_keys(section, "clinical_model", {"models", "folds", "repeats", "imputation", "seed"});
  if (const YAML::Node models = section["models"]) {
    const std::string key = "clinical_model.models";
    if (models.IsScalar()) {
      config.models =
          parse_model_list(models.as<std::string>(), path.string() + ": key '" + key + "'");
    } else if (models.IsSequence()) {
      for (const auto& m : models) {
        const auto name = r.as<std::string>(m, key);
        check_kind(name, path.string() + ": key '" + key + "'");
        config.models.push_back(name);
      }
    } else {
      r.fail(key, "expected a list of model kinds");
    }
  }
  if (section["folds"]) config.folds = r.as<int>(section["folds"], "clinical_model.folds");
  if (config.folds < 2 || config.folds > 20)
    r.fail("clinical_model.folds", "must be between 2 and 20");
  if (section["repeats"]) config.repeats = r.as<int>(section["repeats"], "clinical_model.repeats");
  if (config.repeats < 1 || config.repeats > 20)
    r.fail("clinical_model.repeats", "must be between 1 and 20");
  if (section["imputation"])
    config.imputation = r.as<std::string>(section["imputation"], "clinical_model.imputation");
  if (config.imputation != "median" && config.imputation != "random")
    r.fail("clinical_model.imputation", "'" + config.imputation + "' is not one of median, random");
  if (section["seed"]) config.seed = r.as<std::uint64_t>(section["seed"], "clinical_model.seed");
  return config;
}

}  // namespace deeptirp::clinical
