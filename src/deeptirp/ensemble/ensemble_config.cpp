#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/error.h"

namespace deeptirp::ensemble {
namespace {

const std::vector<std::string> kKinds = {"zmean", "halves", "mean", "weighted", "stacking"};

}  // namespace

void check_ensemble_kind(const std::string& kind, const std::string& where) {
  if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end())
    throw Error(where + ": unknown ensemble kind '" + kind +
                "' (known: zmean, halves, mean, weighted, stacking)");
}

EnsembleConfig parse_ensemble_config(const YamlDocument& study, std::uint64_t default_seed) {
  EnsembleConfig config;
  config.seed = default_seed;
  const YamlReader& r = study.reader;
  const std::filesystem::path& path = study.file();
  const YAML::Node section = study.section("ensemble");
  if (!section || section.IsNull()) return config;
  r.only_keys(section, "ensemble", {"kinds", "folds", "ridge", "aggregate", "seed"});
  if (const YAML::Node kinds = section["kinds"]) {
    config.kinds.clear();
    if (kinds.IsScalar()) {
      config.kinds.push_back(r.as<std::string>(kinds, "ensemble.kinds"));
    } else if (kinds.IsSequence()) {
      for (const auto& k : kinds) config.kinds.push_back(r.as<std::string>(k, "ensemble.kinds"));
    } else {
      r.fail("ensemble.kinds", "expected a list of kinds");
    }
    if (config.kinds.empty()) r.fail("ensemble.kinds", "lists no kind");
    for (const auto& k : config.kinds)
      check_ensemble_kind(k, path.string() + ": key 'ensemble.kinds'");
  }
  if (section["folds"]) config.folds = r.as<int>(section["folds"], "ensemble.folds");
  if (config.folds < 2 || config.folds > 20) r.fail("ensemble.folds", "must be between 2 and 20");
  if (section["ridge"]) config.ridge = r.as<double>(section["ridge"], "ensemble.ridge");
  if (!(config.ridge >= 0)) r.fail("ensemble.ridge", "must be >= 0");
  if (section["aggregate"])
    config.aggregate =
        parse_aggregate(r.as<std::string>(section["aggregate"], "ensemble.aggregate"),
                        path.string() + ": key 'ensemble.aggregate'");
  if (section["seed"]) config.seed = r.as<std::uint64_t>(section["seed"], "ensemble.seed");
  return config;
}

}  // namespace deeptirp::ensemble
