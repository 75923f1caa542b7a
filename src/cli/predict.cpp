// deeptirp predict: a trained model's probabilities for the cases of a manifest.
#include <iostream>

#include "cli/command.h"
#include "deeptirp/train/predict.h"

namespace deeptirp::cli {
namespace {

void add_predict(CLI::App& app) {
  auto r = std::make_shared<PredictRequest>();
  auto model = std::make_shared<std::string>(), manifest = std::make_shared<std::string>(),
       out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("predict", "Probabilities of a trained model for a manifest's images");
  cmd->add_option("--model", *model, "Run folder (its best checkpoint) or checkpoint folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--manifest", *manifest, "Manifest of the images")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", *out, "Predictions CSV")->required();
  cmd->add_option("--split", r->split, "Only this split (train, validation, test, external_test)");
  cmd->add_flag("--tta", r->flip_tta, "Average over the image and its flips");
  cmd->add_option("--device", r->device, "cpu | cuda")->capture_default_str();
  cmd->add_option("--precision", r->precision, "fp32 | bf16")->capture_default_str();
  cmd->callback([r, model, manifest, out] {
    r->model = *model;
    r->manifest = *manifest;
    r->out = *out;
    const std::size_t n = predict(*r);
    std::cout << "wrote " << *out << ": " << n << " images\n";
  });
}

const bool registered = register_command(110, add_predict);

}  // namespace
}  // namespace deeptirp::cli
