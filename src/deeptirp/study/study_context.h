#pragma once
// What the study's stages share: the study YAML read once into every section's typed config,
// the manifest read once, and where each stage's outputs live.

#include <map>

#include "deeptirp/clinical/clinical_config.h"
#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/readers/reader_study.h"
#include "deeptirp/study/study_plan.h"
#include "deeptirp/train/train_config.h"

namespace deeptirp::study {

struct StudyContext {
  std::string yaml_text;  // as results.json records it
  YamlDocument yaml;      // its parse, for the stages' fingerprints
  StudyPlan plan;
  StudyConfig config;
  std::map<std::string, TrainConfig> train;  // by image model's name (image_train_config)
  clinical::ClinicalConfig clinical;
  ensemble::EnsembleConfig ensemble;
  evaluate::EvaluateConfig evaluate;
  readers::ReaderConfig readers;
  Manifest cases;  // the split manifest, read once the data stage has written it
  std::string device = "cpu";
  bool quiet = false;

  std::filesystem::path out(const std::string& part) const { return plan.out / part; }
  std::filesystem::path manifest() const { return out("data") / "manifest.csv"; }
  std::filesystem::path model_dir(const std::string& name) const { return out("models") / name; }
  std::filesystem::path run_dir(const std::string& name) const { return model_dir(name) / "run"; }
  std::filesystem::path image_predictions(const std::string& name) const {
    return model_dir(name) / "preds.csv";
  }
  std::filesystem::path clinical_model() const { return out("clinical") / "model"; }
  std::filesystem::path clinical_predictions() const { return out("clinical") / "preds.csv"; }
  std::filesystem::path ensemble_model() const { return out("ensemble") / "model"; }
  std::filesystem::path ensemble_predictions() const { return out("ensemble") / "preds.csv"; }
  std::filesystem::path explain_dir(const std::string& name) const { return out("explain") / name; }
  std::filesystem::path results() const { return out("evaluate") / "results.json"; }
  std::filesystem::path bundle() const { return out("bundle"); }
  std::filesystem::path report() const { return out("report.html"); }
};

// Reads and checks every section of the study YAML (a bad value anywhere stops the study before
// anything runs). `out`, when not empty, replaces study.out.
StudyContext load_study_context(const std::filesystem::path& yaml, const std::filesystem::path& out,
                                const std::string& device, bool quiet);

// Each image model's training config: its preset, the study's `train:` section, then its own
// `train:` fields; checked.
TrainConfig image_train_config(const StudyContext& ctx, const ImageModelSpec& spec);

void run_data_stage(const StudyContext& ctx);
// `fingerprint` marks the training run, so an interrupted run resumes only when nothing changed.
void run_image_model_stage(const StudyContext& ctx, const ImageModelSpec& spec,
                           const std::string& fingerprint);
void run_clinical_stage(const StudyContext& ctx);
void run_ensemble_stage(const StudyContext& ctx);
void run_explain_stage(const StudyContext& ctx, const ImageModelSpec& spec);
void run_evaluate_stage(const StudyContext& ctx);
void run_bundle_stage(const StudyContext& ctx);
void run_report_stage(const StudyContext& ctx);

}  // namespace deeptirp::study
