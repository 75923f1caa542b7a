// deeptirp ensemble: image models + clinical model (fit on the validation split; predict).
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "deeptirp/ensemble/ensemble.h"

namespace deeptirp::cli {
namespace {

std::vector<ensemble::ImageSource> sources(const std::vector<std::string>& args) {
  std::vector<ensemble::ImageSource> out;
  for (const auto& a : args) out.push_back(ensemble::parse_image_source(a));
  return out;
}

void add_fit(CLI::App* parent) {
  struct Args {
    std::string config, manifest, clinical, out, kinds;
    std::vector<std::string> images;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = parent->add_subcommand("fit",
                                         "Choose and fit the ensemble (zmean, halves, mean, "
                                         "weighted, stacking) on the validation split");
  cmd->add_option("--config", a->config, "Study config (ensemble section)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--manifest", a->manifest, "Split manifest")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--image", a->images,
                  "NAME=predictions.csv of an image model (`deeptirp predict`); repeat")
      ->required();
  cmd->add_option("--clinical", a->clinical, "Folder written by `clinical train`")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", a->out, "Folder for ensemble.json")->required();
  cmd->add_option("--kinds", a->kinds,
                  "Candidate kinds, e.g. mean,stacking (default: the config's)");
  cmd->callback([a] {
    ensemble::EnsembleFitRequest r;
    r.config = a->config;
    r.manifest = a->manifest;
    r.clinical = a->clinical;
    r.out = a->out;
    r.images = sources(a->images);
    std::stringstream kinds(a->kinds);
    for (std::string k; std::getline(kinds, k, ',');)
      if (!k.empty()) r.kinds.push_back(k);
    const ensemble::EnsembleModel m = ensemble::fit_ensemble_files(r);
    std::cout << ensemble::format_selection(m) << "chosen: " << m.kind
              << " (refitted on the whole validation split)\nwrote " << a->out
              << "/ensemble.json\n";
  });
}

void add_predict(CLI::App* parent) {
  auto r = std::make_shared<ensemble::EnsemblePredictRequest>();
  struct Args {
    std::string model, manifest, clinical, out;
    std::vector<std::string> images;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = parent->add_subcommand("predict", "Ensemble probabilities for a manifest");
  cmd->add_option("--model", a->model, "Folder written by `ensemble fit`")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--manifest", a->manifest, "Manifest")->required()->check(CLI::ExistingFile);
  cmd->add_option("--image", a->images, "NAME=predictions.csv, the same names as at fit; repeat")
      ->required();
  cmd->add_option("--clinical", a->clinical, "Folder written by `clinical train`")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", a->out, "Predictions CSV")->required();
  cmd->add_option("--split", r->split, "Only this split (train, validation, test, external_test)");
  cmd->add_flag("--per-patient", r->per_patient,
                "One row per patient: the config's aggregate (mean when it says none)");
  cmd->add_option("--aggregate", r->aggregate,
                  "mean | max, overriding the config's (with --per-patient)");
  cmd->callback([r, a] {
    r->model = a->model;
    r->manifest = a->manifest;
    r->clinical = a->clinical;
    r->out = a->out;
    r->images = sources(a->images);
    const std::size_t n = ensemble::predict_ensemble_files(*r);
    std::cout << "wrote " << a->out << ": " << n << (r->per_patient ? " patients\n" : " images\n");
  });
}

void add_ensemble(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("ensemble", "Image models + clinical model: fit, predict");
  cmd->require_subcommand(1);
  add_fit(cmd);
  add_predict(cmd);
}

const bool registered = register_command(130, add_ensemble);

}  // namespace
}  // namespace deeptirp::cli
