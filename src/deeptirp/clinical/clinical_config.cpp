#include "deeptirp/clinical/clinical_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "deeptirp/clinical/classifier.h"
#include "deeptirp/error.h"

namespace deeptirp::clinical {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& key,
                       const std::string& what) {
  throw Error(path.string() + ": key '" + key + "': " + what);
}

template <typename T>
T read_as(const YAML::Node& node, const std::filesystem::path& path, const std::string& key) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail(path, key, "cannot read '" + YAML::Dump(node) + "' as the expected type");
  }
}

}  // namespace

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

ClinicalConfig parse_clinical_config(const std::string& yaml_text, const std::filesystem::path& path,
                                     std::uint64_t default_seed) {
  ClinicalConfig config;
  config.seed = default_seed;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(path.string() + ": not valid YAML: " + e.what());
  }
  const YAML::Node section = root ? root["clinical_model"] : YAML::Node();
  if (!section || section.IsNull()) return config;
  if (!section.IsMap()) fail(path, "clinical_model", "expected a mapping");
  const std::set<std::string> known = {"models", "folds", "imputation", "seed"};
  for (const auto& item : section) {
    const auto key = item.first.as<std::string>();
    if (!known.count(key))
      fail(path, "clinical_model." + key, "unknown key (known: folds, imputation, models, seed)");
  }
  if (const YAML::Node models = section["models"]) {
    const std::string key = "clinical_model.models";
    if (models.IsScalar()) {
      config.models = parse_model_list(models.as<std::string>(), path.string() + ": key '" + key + "'");
    } else if (models.IsSequence()) {
      for (const auto& m : models) {
        const auto name = read_as<std::string>(m, path, key);
        check_kind(name, path.string() + ": key '" + key + "'");
        config.models.push_back(name);
      }
    } else {
      fail(path, key, "expected a list of model kinds");
    }
  }
  if (section["folds"]) config.folds = read_as<int>(section["folds"], path, "clinical_model.folds");
  if (config.folds < 2 || config.folds > 20)
    fail(path, "clinical_model.folds", "must be between 2 and 20");
  if (section["imputation"])
    config.imputation = read_as<std::string>(section["imputation"], path, "clinical_model.imputation");
  if (config.imputation != "median" && config.imputation != "random")
    fail(path, "clinical_model.imputation",
         "'" + config.imputation + "' is not one of median, random");
  if (section["seed"])
    config.seed = read_as<std::uint64_t>(section["seed"], path, "clinical_model.seed");
  return config;
}

ClinicalConfig load_clinical_config(const std::filesystem::path& path, std::uint64_t default_seed) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the study config");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_clinical_config(text.str(), path, default_seed);
}

}  // namespace deeptirp::clinical
