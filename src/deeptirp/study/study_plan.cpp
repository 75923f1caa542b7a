#include "deeptirp/study/study_plan.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "deeptirp/data/predictions.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/error.h"
#include "deeptirp/explain/cam.h"
#include "deeptirp/models/registry.h"

namespace deeptirp::study {
namespace {

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& path) {
  if (path.empty()) return {};
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : (base / p).lexically_normal();
}

void read_study_section(const YamlReader& r, const YAML::Node& root, StudyPlan& plan) {
  const YAML::Node s = root["study"];
  r.only_keys(s, "study", {"title", "out", "table", "images", "btxrd", "task", "manifest"});
  const auto base = plan.yaml.parent_path();
  std::string out = "study", table, images, btxrd, manifest;
  r.get(s, "title", "study.title", plan.title);
  r.get(s, "out", "study.out", out);
  r.get(s, "table", "study.table", table);
  r.get(s, "images", "study.images", images);
  r.get(s, "btxrd", "study.btxrd", btxrd);
  r.get(s, "task", "study.task", plan.task);
  r.get(s, "manifest", "study.manifest", manifest);
  if (plan.out.empty()) plan.out = resolve(base, out);
  plan.table = resolve(base, table);
  plan.images = resolve(base, images);
  plan.btxrd = resolve(base, btxrd);
  plan.manifest = resolve(base, manifest);
  if (!table.empty() + !btxrd.empty() + !manifest.empty() != 1)
    r.fail("study", "name the data once: exactly one of table, btxrd or manifest");
}

ImageModelSpec read_model(const YamlReader& r, const YAML::Node& node, std::size_t index,
                          const std::filesystem::path& base) {
  const std::string key = "models[" + std::to_string(index) + "]";
  r.only_keys(node, key, {"name", "architecture", "preset", "weights", "train"});
  ImageModelSpec spec;
  std::string weights;
  r.get(node, "architecture", key + ".architecture", spec.architecture);
  spec.name = spec.architecture;
  r.get(node, "name", key + ".name", spec.name);
  r.get(node, "preset", key + ".preset", spec.preset);
  r.get(node, "weights", key + ".weights", weights);
  spec.weights = resolve(base, weights).string();
  try {
    architecture(spec.architecture);
  } catch (const Error& e) {
    r.fail(key + ".architecture", e.what());
  }
  if (const YAML::Node train = node["train"]) {
    if (!train.IsMap()) r.fail(key + ".train", "expected a mapping of training fields");
    for (const auto& item : train)
      spec.train.push_back(r.as<std::string>(item.first, key + ".train") + "=" +
                           r.as<std::string>(item.second, key + ".train"));
  }
  return spec;
}

}  // namespace

StudyPlan parse_study_plan(const YamlDocument& yaml, const std::filesystem::path& out,
                           const std::string& target) {
  StudyPlan plan;
  plan.yaml = std::filesystem::absolute(yaml.file()).lexically_normal();
  plan.out = out.empty() ? out : std::filesystem::absolute(out);
  const YamlReader& r = yaml.reader;
  const YAML::Node& root = yaml.root;
  read_study_section(r, root, plan);

  const YAML::Node models = root["models"];
  if (models && !models.IsSequence()) r.fail("models", "expected a list of image models");
  std::set<std::string> names;
  for (std::size_t i = 0; models && i < models.size(); ++i) {
    plan.models.push_back(read_model(r, models[i], i, plan.yaml.parent_path()));
    const std::string key = "models[" + std::to_string(i) + "].name";
    check_part_name(plan.models.back().name, target, plan.yaml.string() + ": key '" + key + "'");
    if (!names.insert(plan.models.back().name).second)
      r.fail(key, "'" + plan.models.back().name + "' is given twice");
  }
  if (plan.models.empty())
    plan.models.push_back({"efficientnet_b3", "efficientnet_b3", "paper", "", {}});

  const YAML::Node explain = root["explain"];
  r.only_keys(explain, "explain", {"methods", "cases", "sets"});
  r.get_list(explain, "methods", "explain.methods", plan.explain_methods);
  r.get(explain, "cases", "explain.cases", plan.explain_cases);
  r.get_list(explain, "sets", "explain.sets", plan.explain_sets);
  if (plan.explain_cases < 0) r.fail("explain.cases", "must be >= 0");
  for (const auto& method : plan.explain_methods) try {
      parse_cam_method(method);
    } catch (const Error& e) {
      r.fail("explain.methods", e.what());
    }

  const YAML::Node report = root["report"];
  r.only_keys(report, "report", {"thumbnail"});
  r.get(report, "thumbnail", "report.thumbnail", plan.thumbnail);
  if (plan.thumbnail < 32 || plan.thumbnail > 2048) r.fail("report.thumbnail", "must be 32..2048");
  return plan;
}

}  // namespace deeptirp::study
