// deeptirp preview: a contact sheet of the preprocessed ROI crops, per split and class.
#include "deeptirp/data/preview.h"

#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp::cli {
namespace {

void add_preview(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "preview",
      "Write a PNG contact sheet of the preprocessed ROI crops (what the model sees), "
      "one row per split x class");
  struct Args {
    std::filesystem::path manifest, config, out;
    PreviewOptions options;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--manifest", a->manifest, "The manifest CSV")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", a->config,
                  "The study YAML (default: study.yaml beside the manifest, if there is one)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out, "The PNG to write")->required();
  cmd->add_option("--per-group", a->options.per_group, "Crops per row")->capture_default_str();
  cmd->callback([a] {
    std::filesystem::path config_path = a->config;
    if (config_path.empty()) {
      const auto beside = a->manifest.parent_path() / "study.yaml";
      if (std::filesystem::exists(beside)) config_path = beside;
    }
    const StudyConfig config = config_path.empty() ? StudyConfig{} : load_study_config(config_path);
    const Manifest manifest = read_manifest(a->manifest, config);
    a->options.out = a->out;
    const PreviewResult r = write_preview(manifest, config, a->options);
    std::cout << "wrote " << a->out.string() << ": " << r.rows << " rows, " << r.crops << " crops"
              << (config_path.empty() ? "" : " (config " + config_path.string() + ")") << "\n";
  });
}

const bool registered = register_command(40, add_preview);

}  // namespace
}  // namespace deeptirp::cli
