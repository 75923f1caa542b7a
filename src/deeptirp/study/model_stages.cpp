// The parts of the study: each image model, the clinical model and the ensemble, each fitted and
// then asked for every case's probability.
#include <fstream>
#include <iostream>

#include "deeptirp/clinical/clinical_config.h"
#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/study/study_context.h"
#include "deeptirp/train/predict.h"
#include "deeptirp/train/train_config.h"
#include "deeptirp/train/trainer.h"

namespace deeptirp::study {

TrainConfig image_train_config(const StudyContext& ctx, const ImageModelSpec& spec) {
  TrainConfig config = train_preset(spec.preset);
  config.study = ctx.plan.yaml.string();
  apply_train_section(config, ctx.yaml);
  config.model = spec.architecture;
  config.weights = spec.weights;
  config.device = ctx.device;
  for (const auto& assignment : spec.train) apply_train_override(config, assignment);
  config.manifest = ctx.manifest().string();
  config.out = ctx.run_dir(spec.name).string();
  if (ctx.quiet) config.log = "quiet";
  check_train_config(config);
  return config;
}

void run_image_model_stage(const StudyContext& ctx, const ImageModelSpec& spec,
                           const std::string& fingerprint) {
  const TrainConfig& config = ctx.train.at(spec.name);
  // A run this stage started with the same inputs resumes; any other is started afresh.
  const auto marker = ctx.model_dir(spec.name) / "fingerprint";
  const bool resume = std::filesystem::exists(ctx.run_dir(spec.name) / "last.json") &&
                      std::filesystem::exists(marker) && read_file_bytes(marker) == fingerprint;
  if (!resume) {
    std::filesystem::remove_all(ctx.model_dir(spec.name));
    std::filesystem::create_directories(ctx.model_dir(spec.name));
    write_file_atomically(marker, fingerprint);
  } else if (!ctx.quiet) {
    std::cout << "resuming " << config.out << "\n";
  }
  TrainControl control;
  control.resume = resume;
  control.study = &ctx.config;
  control.manifest = &ctx.cases;
  const TrainResult trained = train(config, control);
  if (!ctx.quiet)
    std::cout << spec.name << ": best epoch " << trained.best_epoch << " of " << trained.epochs_done
              << " (validation " << config.monitor << " " << trained.best_metric << ")\n";
  PredictRequest request;
  request.model = ctx.run_dir(spec.name);
  request.manifest = ctx.manifest();
  request.manifest_read = &ctx.cases;
  request.out = ctx.image_predictions(spec.name);
  request.device = ctx.device;
  request.cache_dir = trained.cache;  // train and validation crops are decoded already
  predict(request);
}

void run_clinical_stage(const StudyContext& ctx) {
  const clinical::ClinicalModel model = clinical::fit_clinical(ctx.cases, ctx.config, ctx.clinical);
  if (!ctx.quiet)
    std::cout << clinical::format_cv_table(model.cv_table(), model.kind(), model.params());
  model.save(ctx.clinical_model());
  clinical::write_clinical_predictions(model, ctx.cases, ctx.clinical_predictions(), "");
}

void run_ensemble_stage(const StudyContext& ctx) {
  std::vector<ensemble::ImageSource> images;
  for (const auto& spec : ctx.plan.models)
    images.push_back({spec.name, ctx.image_predictions(spec.name)});
  ensemble::EnsembleFitRequest fit;
  fit.config = ctx.plan.yaml;
  fit.manifest = ctx.manifest();
  fit.clinical = ctx.clinical_model();
  fit.out = ctx.ensemble_model();
  fit.images = images;
  const ensemble::EnsembleModel model =
      ensemble::fit_ensemble_on(fit, ctx.config, ctx.ensemble, ctx.cases);
  if (!ctx.quiet) std::cout << ensemble::format_selection(model);
  ensemble::EnsemblePredictRequest request;
  request.model = ctx.ensemble_model();
  request.manifest = ctx.manifest();
  request.clinical = ctx.clinical_model();
  request.out = ctx.ensemble_predictions();
  request.images = images;
  request.manifest_read = &ctx.cases;
  ensemble::predict_ensemble_files(request);
}

}  // namespace deeptirp::study
