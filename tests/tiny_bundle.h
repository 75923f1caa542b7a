#pragma once
// A small trained study and its deployable bundle, for the tests of the stages after `bundle`
// (serve, pacs): one epoch of tiny image models at 64 px, the clinical model and the ensemble.
// Header-only, for test programs that link the train and bundle stages.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "deeptirp/bundle/bundle.h"
#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/train/predict.h"
#include "deeptirp/train/trainer.h"
#include "synthetic_study.h"

namespace deeptirp::testing {

inline TrainConfig tiny_train_config(const SyntheticStudy& s, const std::string& model,
                                     int channels, const std::string& run) {
  TrainConfig c = train_preset("cpu-quick");
  c.manifest = s.manifest_path.string();
  c.study = s.study_yaml.string();
  c.out = (s.dir / run).string();
  c.model = model;
  c.channels = channels;
  c.image_size = 64;
  c.batch_size = 8;
  c.epochs = 1;
  c.warmup_epochs = 0;  // cpu-quick's warm-up would spend the one epoch at a learning rate of 0
  c.schedule = "constant";
  c.workers = 2;
  c.threads = 2;
  c.log = "quiet";
  return c;
}

struct TinyBundle {
  SyntheticStudy study;
  std::filesystem::path bundle;
};

// One ViT-Ti/16 on one channel (its outputs vary from case to case after one epoch), logistic
// regression on the clinical columns, a stacked ensemble, threshold 0.5.
inline TinyBundle make_tiny_bundle(const std::string& name) {
  TinyBundle t;
  SyntheticStudyOptions o;
  o.cases = 60;
  o.seed = 7;
  o.width = 64;
  o.height = 80;
  o.ratios = SplitRatios{0.5, 0.3, 0.2};
  o.yaml_extra = "ensemble:\n  folds: 3\n";
  t.study = make_synthetic_study(name, o);
  const SyntheticStudy& s = t.study;
  train(tiny_train_config(s, "vit_ti_16", 1, "run-vit"));
  PredictRequest p;
  p.model = s.dir / "run-vit";
  p.manifest = s.manifest_path;
  p.out = s.dir / "vit.csv";
  p.workers = 2;
  predict(p);
  clinical::ClinicalConfig cc;
  cc.models = {"lr"};
  cc.folds = 3;
  clinical::fit_clinical(s.manifest, s.config, cc).save(s.dir / "clinical");
  ensemble::EnsembleFitRequest e;
  e.config = s.study_yaml;
  e.manifest = s.manifest_path;
  e.clinical = s.dir / "clinical";
  e.images = {{"vit", p.out}};
  e.kinds = {"stacking"};
  e.out = s.dir / "ensemble";
  ensemble::fit_ensemble_files(e);
  bundle::BundleSource source;
  source.study_yaml = s.study_yaml;
  source.image_runs = {{"vit", s.dir / "run-vit"}};
  source.clinical = s.dir / "clinical";
  source.ensemble = s.dir / "ensemble";
  t.bundle = s.dir / "bundle";
  bundle::export_bundle(source, t.bundle);
  return t;
}

}  // namespace deeptirp::testing
