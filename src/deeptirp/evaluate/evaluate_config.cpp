#include <yaml-cpp/yaml.h>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/evaluate/evaluate.h"

namespace deeptirp::evaluate {

EvaluateConfig parse_evaluate_config(const YamlDocument& study, std::uint64_t default_seed) {
  EvaluateConfig config;
  config.seed = default_seed;
  const YamlReader& r = study.reader;
  const YAML::Node section = study.section("evaluate");
  if (!section || section.IsNull()) return config;
  r.only_keys(section, "evaluate", {"sets", "threshold", "bootstrap", "seed"});
  r.get_list(section, "sets", "evaluate.sets", config.sets);
  for (const auto& set : config.sets)
    if (std::find(kSplitNames.begin(), kSplitNames.end(), set) == kSplitNames.end())
      r.fail("evaluate.sets", "'" + set + "' is not a split name");
  r.get(section, "threshold", "evaluate.threshold", config.threshold);
  double fixed = 0;
  if (config.threshold != "youden" && config.threshold != "calibrated" &&
      !(parse_number(config.threshold, fixed) && fixed >= 0 && fixed <= 1))
    r.fail("evaluate.threshold",
           "expected 'calibrated', 'youden' or a probability, not '" + config.threshold + "'");
  r.get(section, "bootstrap", "evaluate.bootstrap", config.bootstrap);
  if (config.bootstrap < 100) r.fail("evaluate.bootstrap", "needs at least 100 replicates");
  r.get(section, "seed", "evaluate.seed", config.seed);
  return config;
}

}  // namespace deeptirp::evaluate
