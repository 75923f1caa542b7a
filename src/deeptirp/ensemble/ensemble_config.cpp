#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/error.h"

namespace deeptirp::ensemble {
namespace {

const std::vector<std::string> kKinds = {"mean", "weighted", "stacking"};

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

void check_ensemble_kind(const std::string& kind, const std::string& where) {
  if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end())
    throw Error(where + ": unknown ensemble kind '" + kind + "' (known: mean, weighted, stacking)");
}

EnsembleConfig parse_ensemble_config(const std::string& yaml_text, const std::filesystem::path& path,
                                     std::uint64_t default_seed) {
  EnsembleConfig config;
  config.seed = default_seed;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(path.string() + ": not valid YAML: " + e.what());
  }
  const YAML::Node section = root ? root["ensemble"] : YAML::Node();
  if (!section || section.IsNull()) return config;
  if (!section.IsMap()) fail(path, "ensemble", "expected a mapping");
  const std::set<std::string> known = {"kinds", "folds", "ridge", "aggregate", "seed"};
  for (const auto& item : section) {
    const auto key = item.first.as<std::string>();
    if (!known.count(key))
      fail(path, "ensemble." + key, "unknown key (known: aggregate, folds, kinds, ridge, seed)");
  }
  if (const YAML::Node kinds = section["kinds"]) {
    config.kinds.clear();
    if (kinds.IsScalar()) {
      config.kinds.push_back(read_as<std::string>(kinds, path, "ensemble.kinds"));
    } else if (kinds.IsSequence()) {
      for (const auto& k : kinds) config.kinds.push_back(read_as<std::string>(k, path, "ensemble.kinds"));
    } else {
      fail(path, "ensemble.kinds", "expected a list of kinds");
    }
    if (config.kinds.empty()) fail(path, "ensemble.kinds", "lists no kind");
    for (const auto& k : config.kinds)
      check_ensemble_kind(k, path.string() + ": key 'ensemble.kinds'");
  }
  if (section["folds"]) config.folds = read_as<int>(section["folds"], path, "ensemble.folds");
  if (config.folds < 2 || config.folds > 20) fail(path, "ensemble.folds", "must be between 2 and 20");
  if (section["ridge"]) config.ridge = read_as<double>(section["ridge"], path, "ensemble.ridge");
  if (!(config.ridge >= 0)) fail(path, "ensemble.ridge", "must be >= 0");
  if (section["aggregate"])
    config.aggregate =
        parse_aggregate(read_as<std::string>(section["aggregate"], path, "ensemble.aggregate"),
                        path.string() + ": key 'ensemble.aggregate'");
  if (section["seed"]) config.seed = read_as<std::uint64_t>(section["seed"], path, "ensemble.seed");
  return config;
}

EnsembleConfig load_ensemble_config(const std::filesystem::path& path, std::uint64_t default_seed) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the study config");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ensemble_config(text.str(), path, default_seed);
}

}  // namespace deeptirp::ensemble
