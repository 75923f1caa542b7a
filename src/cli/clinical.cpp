// deeptirp clinical: the clinical-data model (train with a CV search over model kinds; predict).
#include <iostream>

#include "cli/command.h"
#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/error.h"

namespace deeptirp::cli {
namespace {

void add_train(CLI::App* parent) {
  struct Args {
    std::string config, manifest, out, models;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = parent->add_subcommand(
      "train",
      "Fit the clinical model on the train split; the kind and hyper-parameters by CV AUC");
  cmd->add_option("--config", a->config, "Study config (clinical features, clinical_model section)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--manifest", a->manifest, "Split manifest")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out, "Folder for clinical_model.json and the model file")->required();
  cmd->add_option("--models", a->models,
                  "Candidate kinds, e.g. rf,lr (default: the config's, else all of " +
                      clinical::known_kinds() + ")");
  cmd->callback([a] {
    const YamlDocument yaml = YamlDocument::load(a->config);
    const StudyConfig study = parse_study_config(yaml);
    clinical::ClinicalConfig config = clinical::parse_clinical_config(yaml, study.seed);
    if (!a->models.empty()) config.models = clinical::parse_model_list(a->models, "--models");
    const Manifest manifest = read_manifest(a->manifest, study);
    std::cout << "cross-validating (" << config.folds
              << " patient-grouped folds of the train split)\n";
    const auto progress = [](const clinical::CandidateScore& s) {
      std::cerr << "  " << s.kind << " " << clinical::format_params(s.params) << ": CV AUC "
                << s.auc_mean << "\n";
    };
    const clinical::ClinicalModel model =
        clinical::fit_clinical(manifest, study, config, {}, progress);
    model.save(a->out);
    std::cout << clinical::format_cv_table(model.cv_table(), model.kind(), model.params())
              << "chosen: " << model.kind() << " " << clinical::format_params(model.params())
              << " (refitted on the whole train split)\nwrote " << a->out
              << "/clinical_model.json\n";
  });
}

void add_predict(CLI::App* parent) {
  struct Args {
    std::string model, manifest, out, split;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = parent->add_subcommand("predict", "Clinical model probabilities for a manifest");
  cmd->add_option("--model", a->model, "Folder written by `clinical train`")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--manifest", a->manifest, "Manifest")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out,
                  "Predictions CSV (image, patient_id, split, <target>, probability)")
      ->required();
  cmd->add_option("--split", a->split, "Only this split (train, validation, test, external_test)");
  cmd->callback([a] {
    const std::size_t n = clinical::predict_clinical_csv(a->model, a->manifest, a->out, a->split);
    std::cout << "wrote " << a->out << ": " << n << " images\n";
  });
}

void add_clinical(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("clinical", "Clinical-data model: train, predict");
  cmd->require_subcommand(1);
  add_train(cmd);
  add_predict(cmd);
}

const bool registered = register_command(120, add_clinical);

}  // namespace
}  // namespace deeptirp::cli
