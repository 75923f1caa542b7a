// What the study hands over: the deployable bundle and the report.
#include "deeptirp/bundle/bundle.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/report/report.h"
#include "deeptirp/study/study_context.h"

namespace deeptirp::study {
void run_bundle_stage(const StudyContext& ctx) {
  const nlohmann::json results = read_json_file(ctx.results());
  bundle::BundleSource source;
  source.study_yaml = ctx.plan.yaml;
  source.study = &ctx.config;
  for (const auto& spec : ctx.plan.models)
    source.image_runs.push_back({spec.name, ctx.run_dir(spec.name)});
  source.clinical = ctx.clinical_model();
  source.ensemble = ctx.ensemble_model();
  for (const auto& model : results["models"]) {
    source.thresholds[model["name"]] = model["threshold"];
    const nlohmann::json& calibration = model["calibration"];
    if (calibration.is_object())
      source.platt[model["name"]] = calibration["platt"].get<std::vector<double>>();
  }
  // The headline numbers travel with the models: who was tested on what, and how well.
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& e : results["evaluation"])
    metrics.push_back({{"model", e["model"]},
                       {"set", e["set"]},
                       {"n", e["n"]},
                       {"auc", e["auc"]},
                       {"auc_ci", e["auc_ci"]},
                       {"accuracy", e["metrics"]["accuracy"]},
                       {"sensitivity", e["metrics"]["sensitivity"]},
                       {"specificity", e["metrics"]["specificity"]}});
  source.metadata = {{"title", results["title"]},
                     {"seed", results["config"]["seed"]},
                     {"data", results["data"]},
                     {"metrics", metrics}};
  bundle::export_bundle(source, ctx.bundle());
}

void run_report_stage(const StudyContext& ctx) {
  report::ReportOptions options;
  options.thumbnail = ctx.plan.thumbnail;
  report::write_report_file(ctx.results(), ctx.report(), options);
}

}  // namespace deeptirp::study
