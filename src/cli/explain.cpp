// deeptirp explain: heat maps (Grad-CAM, Grad-CAM++, Score-CAM) of a trained model on a
// manifest's images, as overlays on the original radiographs and cams.csv.
#include <iostream>

#include "cli/command.h"
#include "deeptirp/explain/explain.h"

namespace deeptirp::cli {
namespace {

void add_explain(CLI::App& app) {
  auto r = std::make_shared<ExplainRequest>();
  auto model = std::make_shared<std::string>(), manifest = std::make_shared<std::string>(),
       out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("explain", "Heat maps of where a trained model looks");
  cmd->add_option("--model", *model, "Run folder (its best checkpoint) or checkpoint folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--manifest", *manifest, "Manifest of the images")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--method", r->method, "gradcam | gradcampp | scorecam")
      ->capture_default_str()
      ->check(CLI::IsMember({"gradcam", "gradcampp", "scorecam"}));
  cmd->add_option("--out", *out, "Folder for the overlay PNGs and cams.csv")->required();
  cmd->add_option("--limit", r->limit, "At most this many images (0 = all)");
  cmd->add_option("--split", r->split, "Only this split (train, validation, test, external_test)");
  cmd->add_flag("--negative", r->negative, "Explain the negative class instead of the positive");
  cmd->add_option("--score-batch", r->score_batch, "Score-CAM: masked images per forward pass")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--progress", r->progress, "auto | bar | plain | quiet")->capture_default_str();
  cmd->callback([r, model, manifest, out] {
    r->model = *model;
    r->manifest = *manifest;
    r->out = *out;
    explain(*r);
  });
}

const bool registered = register_command(140, add_explain);

}  // namespace
}  // namespace deeptirp::cli
