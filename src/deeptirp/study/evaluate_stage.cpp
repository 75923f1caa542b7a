// results.json: the evaluation of every part on the test sets, the reader study, the heat-map
// gallery, the training curves, and the config, versions and seeds that produced them.
#include <torch/version.h>

#include <fstream>

#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/readers/reader_study.h"
#include "deeptirp/study/study_context.h"
#include "deeptirp/train/checkpoint.h"
#include "deeptirp/version.h"

namespace deeptirp::study {
namespace {

// Each part with what the report says of it; image models also add their training curves.
std::vector<evaluate::Part> study_parts(const StudyContext& ctx, nlohmann::json& training) {
  std::vector<evaluate::Part> parts;
  for (const auto& spec : ctx.plan.models) {
    evaluate::Part part{spec.name, "image", {{"architecture", spec.architecture}}};
    const auto last = checkpoint_folder(ctx.run_dir(spec.name), "last");
    if (last) {
      const nlohmann::json state = read_json_file(*last / "state.json");
      part.info["epochs"] = state.at("epoch");
      part.info["best_epoch"] = state.at("best_epoch");
      for (nlohmann::json epoch : state.at("history")) {
        epoch["model"] = spec.name;
        training.push_back(epoch);
      }
    }
    parts.push_back(part);
  }
  const auto clinical = clinical::ClinicalModel::load(ctx.clinical_model());
  parts.push_back(
      {"clinical",
       "clinical",
       {{"detail", clinical.kind() + " " + clinical::format_params(clinical.params())}}});
  const auto ensemble = ensemble::EnsembleModel::load(ctx.ensemble_model());
  parts.push_back({"ensemble", "ensemble", {{"detail", ensemble.kind}}});
  return parts;
}

// The reader study on the evaluated sets, each part calling cases at its own threshold.
nlohmann::json reader_results(const StudyContext& ctx, const nlohmann::json& results) {
  if (!ctx.readers.calls.empty()) {
    readers::ReaderStudyFiles files;
    files.config = ctx.plan.yaml;
    files.manifest = ctx.manifest();
    files.predictions = ctx.ensemble_predictions();
    for (const auto& model : results["models"]) {
      files.models.push_back(model["name"]);
      files.thresholds[model["name"]] = model["threshold"];
    }
    files.sets = results["sets"].get<std::vector<std::string>>();
    return readers::reader_study_on(files, ctx.config, ctx.readers, ctx.cases);
  }
  return nullptr;
}

nlohmann::json gallery(const StudyContext& ctx) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& spec : ctx.plan.models) {
    const auto file = ctx.explain_dir(spec.name) / "heatmaps.json";
    if (!std::filesystem::exists(file)) continue;
    for (nlohmann::json entry : read_json_file(file)) {
      const std::filesystem::path png = entry["png"].get<std::string>();
      entry["png"] = png.lexically_relative(ctx.results().parent_path()).string();
      // Shown in the report: the path from the study's folder, not this machine's whole path.
      const std::filesystem::path image = entry["image"].get<std::string>();
      const auto relative = image.lexically_relative(ctx.plan.yaml.parent_path());
      if (!relative.empty() && *relative.begin() != "..") entry["image"] = relative.string();
      all.push_back(entry);
    }
  }
  return all;
}

}  // namespace

void run_evaluate_stage(const StudyContext& ctx) {
  const Manifest& manifest = ctx.cases;
  nlohmann::json training = nlohmann::json::array();
  const std::vector<evaluate::Part> parts = study_parts(ctx, training);
  std::vector<std::string> names;
  for (const auto& p : parts) names.push_back(p.name);
  const auto predictions = evaluate::read_predictions(ctx.ensemble_predictions(), manifest, names);

  nlohmann::json results = {
      {"title", ctx.plan.title},
      {"tool", {{"name", "deeptirp"}, {"version", kVersion}, {"libtorch", TORCH_VERSION}}},
      {"config",
       {{"path", ctx.plan.yaml.filename().string()},
        {"text", ctx.yaml_text},
        {"seed", ctx.config.seed}}},
      {"target", ctx.config.target},
      {"positive", ctx.config.positive},
      {"classes", ctx.config.classes}};
  results.update(
      evaluate::evaluate_study(manifest, ctx.config.positive, parts, predictions, ctx.evaluate));
  results["training"] = training;
  if (nlohmann::json readers = reader_results(ctx, results); !readers.is_null())
    results["readers"] = readers;
  results["heatmaps"] = gallery(ctx);
  std::filesystem::create_directories(ctx.results().parent_path());
  write_json_file(ctx.results(), results);
}

}  // namespace deeptirp::study
