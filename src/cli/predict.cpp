// deeptirp predict: a trained model's probabilities for the cases of a manifest, or a deployable
// bundle's (every model, the clinical model, the ensemble and the predicted class).
#include "deeptirp/train/predict.h"

#include <iostream>

#include "cli/command.h"
#include "deeptirp/bundle/bundle.h"

namespace deeptirp::cli {
namespace {

void add_predict(CLI::App& app) {
  auto r = std::make_shared<PredictRequest>();
  auto b = std::make_shared<bundle::BundlePredictRequest>();
  auto model = std::make_shared<std::string>(), bundle_dir = std::make_shared<std::string>(),
       manifest = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Probabilities of a trained model, or of a deployable bundle, for a manifest's images");
  auto* model_opt =
      cmd->add_option("--model", *model, "Run folder (its best checkpoint) or checkpoint folder")
          ->check(CLI::ExistingDirectory);
  auto* bundle_opt =
      cmd->add_option("--bundle", *bundle_dir,
                      "Deployable bundle folder (instead of --model); the manifest then needs only "
                      "an `image` column")
          ->check(CLI::ExistingDirectory)
          ->excludes(model_opt);
  cmd->add_option("--manifest", *manifest, "Manifest of the images")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", *out, "Predictions CSV")->required();
  cmd->add_option("--split", r->split, "Only this split (train, validation, test, external_test)")
      ->excludes(bundle_opt);
  cmd->add_option("--tta", r->tta,
                  "Test-time augmentation: none | flips | views (default: the model's own, "
                  "train.tta)")
      ->excludes(bundle_opt);
  cmd->add_option("--device", r->device, "cpu | cuda")->capture_default_str()->excludes(bundle_opt);
  cmd->add_option("--precision", r->precision, "fp32 | bf16")->capture_default_str();
  cmd->add_option("--progress", b->progress, "With --bundle: auto | bar | plain | quiet")
      ->capture_default_str()
      ->needs(bundle_opt);
  cmd->callback([r, b, model, bundle_dir, manifest, out] {
    if (model->empty() == bundle_dir->empty())
      throw CLI::ValidationError("--model, --bundle", "give exactly one of them");
    std::size_t n = 0;
    if (!bundle_dir->empty()) {
      b->bundle = *bundle_dir;
      b->manifest = *manifest;
      b->out = *out;
      b->precision = r->precision;
      std::vector<std::string> notes;
      n = bundle::predict_bundle(*b, &notes);
      for (const auto& note : notes) std::cerr << "deeptirp: " << note << "\n";
    } else {
      r->model = *model;
      r->manifest = *manifest;
      r->out = *out;
      std::string note;
      n = predict(*r, &note);
      if (!note.empty()) std::cerr << "deeptirp: " << note << "\n";
    }
    std::cout << "wrote " << *out << ": " << n << " images\n";
  });
}

const bool registered = register_command(110, add_predict);

}  // namespace
}  // namespace deeptirp::cli
