#include "deeptirp/study/study.h"

#include <iostream>
#include <map>

#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/error.h"
#include "deeptirp/readers/reader_study.h"
#include "deeptirp/study/stage.h"
#include "deeptirp/study/study_context.h"

namespace deeptirp::study {
namespace {

// The config sections every stage reads through the study config (target, classes, columns).
Fingerprint base_fingerprint(const StudyContext& ctx) {
  Fingerprint f;
  for (const char* key : {"target", "positive", "classes", "clinical", "centres", "split"})
    f.add_yaml(ctx.yaml.root, key);
  return f;
}

std::string data_fingerprint(const StudyContext& ctx) {
  Fingerprint f = base_fingerprint(ctx);
  f.add_yaml(ctx.yaml.root, "import");
  const StudyPlan& p = ctx.plan;
  f.add(p.table.string()).add(p.images.string()).add(p.btxrd.string()).add(p.task);
  f.add(p.manifest.string());
  // The data's own list; the image files themselves are trusted not to change under a study.
  if (!p.table.empty()) f.add_file(p.table);
  if (!p.manifest.empty()) f.add_file(p.manifest);
  if (!p.btxrd.empty()) f.add_file(p.btxrd / "dataset.csv");
  return f.hex();
}

std::string model_fingerprint(const StudyContext& ctx, const std::string& data,
                              const ImageModelSpec& spec) {
  Fingerprint f;
  f.add(data).add_yaml(ctx.yaml.root, "image").add_yaml(ctx.yaml.root, "train").add(ctx.device);
  f.add(spec.name).add(spec.architecture).add(spec.preset).add(spec.weights);
  for (const auto& t : spec.train) f.add(t);
  if (!spec.weights.empty()) f.add_file(spec.weights);
  return f.hex();
}

void require_input(const StudyContext& ctx, const std::string& key,
                   const std::filesystem::path& path, bool folder) {
  if (path.empty()) return;
  std::error_code ec;
  const bool there =
      folder ? std::filesystem::is_directory(path, ec) : std::filesystem::is_regular_file(path, ec);
  if (!there)
    throw Error(ctx.plan.yaml.string() + ": " + key + ": " + path.string() + ": no such " +
                (folder ? "folder" : "file"));
}

// Every file the study names, and the readers' calls as a table, before the first stage: a
// missing file must not surface after the models have trained for an hour.
void check_inputs(const StudyContext& ctx) {
  require_input(ctx, "study.table", ctx.plan.table, false);
  require_input(ctx, "study.images", ctx.plan.table.empty() ? "" : ctx.plan.images, true);
  require_input(ctx, "study.btxrd", ctx.plan.btxrd, true);
  require_input(ctx, "study.manifest", ctx.plan.manifest, false);
  for (std::size_t i = 0; i < ctx.plan.models.size(); ++i)
    require_input(ctx, "models[" + std::to_string(i) + "].weights", ctx.plan.models[i].weights,
                  false);
  require_input(ctx, "readers.calls", ctx.readers.calls, false);
  if (!ctx.readers.calls.empty())
    readers::read_reader_calls(ctx.readers.calls, ctx.config.classes, ctx.readers.columns);
}

}  // namespace

StudyContext load_study_context(const std::filesystem::path& yaml, const std::filesystem::path& out,
                                const std::string& device, bool quiet) {
  StudyContext ctx;
  const auto path = std::filesystem::absolute(yaml).lexically_normal();
  ctx.yaml_text = read_config_text(path);
  ctx.yaml = YamlDocument::parse(ctx.yaml_text, path);
  ctx.config = parse_study_config(ctx.yaml);
  ctx.plan = parse_study_plan(ctx.yaml, out, ctx.config.target);
  ctx.clinical = clinical::parse_clinical_config(ctx.yaml, ctx.config.seed);
  ctx.ensemble = ensemble::parse_ensemble_config(ctx.yaml, ctx.config.seed);
  ctx.evaluate = evaluate::parse_evaluate_config(ctx.yaml, ctx.config.seed);
  ctx.readers = readers::parse_reader_config(ctx.yaml);
  ctx.device = device;
  ctx.quiet = quiet;
  for (const auto& spec : ctx.plan.models) ctx.train[spec.name] = image_train_config(ctx, spec);
  return ctx;
}

StudyRunResult run_study(const StudyRunOptions& options) {
  StudyContext ctx = load_study_context(options.yaml, options.out, options.device, options.quiet);
  check_inputs(ctx);
  std::filesystem::create_directories(ctx.plan.out);
  if (!options.quiet)
    std::cout << "study " << ctx.plan.yaml.string() << " -> " << ctx.plan.out.string() << "\n";

  StudyRunResult result;
  StageRunner stages(ctx.plan.out, options.rerun, options.quiet);
  auto stage = [&](const std::string& name, const std::string& fingerprint, auto work) {
    (stages.run(name, fingerprint, work) ? result.stages_run : result.stages_cached) += 1;
  };

  const std::string data = data_fingerprint(ctx);
  stage("data", data, [&] { run_data_stage(ctx); });
  ctx.cases = read_manifest(ctx.manifest(), ctx.config);

  Fingerprint parts;  // every part the ensemble combines
  std::map<std::string, std::string> model_prints;
  for (const auto& spec : ctx.plan.models) {
    const std::string print = model_fingerprint(ctx, data, spec);
    model_prints[spec.name] = print;
    parts.add(print);
    stage("model:" + spec.name, print, [&] { run_image_model_stage(ctx, spec, print); });
  }
  const std::string clinical =
      Fingerprint().add(data).add_yaml(ctx.yaml.root, "clinical_model").hex();
  stage("clinical", clinical, [&] { run_clinical_stage(ctx); });
  const std::string ensemble = parts.add(clinical).add_yaml(ctx.yaml.root, "ensemble").hex();
  stage("ensemble", ensemble, [&] { run_ensemble_stage(ctx); });

  Fingerprint evaluated;
  evaluated.add(ensemble).add_yaml(ctx.yaml.root, "evaluate").add_yaml(ctx.yaml.root, "readers");
  for (const auto& spec : ctx.plan.models) {
    const std::string print = Fingerprint()
                                  .add(model_prints[spec.name])
                                  .add_yaml(ctx.yaml.root, "explain")
                                  .add_yaml(ctx.yaml.root, "evaluate")
                                  .hex();
    evaluated.add(print);
    stage("explain:" + spec.name, print, [&] { run_explain_stage(ctx, spec); });
  }
  // The readers' calls are data too: a corrected call reruns the evaluation.
  if (!ctx.readers.calls.empty()) evaluated.add_file(ctx.readers.calls);
  evaluated.add_yaml(ctx.yaml.root, "study");  // the report's title and everything the study names
  const std::string evaluation = evaluated.hex();
  stage("evaluate", evaluation, [&] { run_evaluate_stage(ctx); });
  stage("bundle", evaluation, [&] { run_bundle_stage(ctx); });
  stage("report", Fingerprint().add(evaluation).add_yaml(ctx.yaml.root, "report").hex(),
        [&] { run_report_stage(ctx); });

  result.out = ctx.plan.out;
  result.results = ctx.results();
  result.report = ctx.report();
  result.bundle = ctx.bundle();
  return result;
}

}  // namespace deeptirp::study
