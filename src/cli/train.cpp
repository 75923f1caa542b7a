// deeptirp train: one image model on a split manifest, with the study's recipe by default.
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "deeptirp/train/trainer.h"

namespace deeptirp::cli {
namespace {

void add_train(CLI::App& app) {
  struct Args {
    std::string config, preset = "paper";
    std::vector<std::string> sets;
    std::map<std::string, std::string> fields;
    bool resume = false, quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("train", "Train an image model (the study's recipe: --preset paper)");
  cmd->add_option("--config", args->config, "Study YAML; its `train:` section sets any field below")
      ->check(CLI::ExistingFile);
  cmd->add_option("--preset", args->preset, "paper | transformer | cpu-quick")
      ->capture_default_str();
  cmd->add_flag("--resume", args->resume, "Continue the run in --out from its last checkpoint");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->add_option("--set", args->sets, "Override a field: name=value (repeatable)");
  // Every field of the training config is also an option of its own: --epochs 2, --lr 0.01, ...
  for (const auto& field : train_fields())
    cmd->add_option("--" + field.name, args->fields[field.name], field.help);
  cmd->callback([args, cmd] {
    TrainConfig config = train_preset(args->preset);
    std::optional<StudyConfig> study;
    if (!args->config.empty()) {
      const YamlDocument yaml = YamlDocument::load(args->config);
      config.study = args->config;
      apply_train_section(config, yaml);
      study = parse_study_config(yaml);
    }
    for (const auto& field : train_fields())
      if (cmd->count("--" + field.name) > 0)
        apply_train_override(config, field.name + "=" + args->fields[field.name]);
    for (const auto& s : args->sets) apply_train_override(config, s);
    if (args->quiet) config.log = "quiet";
    TrainControl control;
    control.resume = args->resume;
    if (study) control.study = &*study;
    TrainResult result = train(config, control);
    std::cout << "best epoch " << result.best_epoch << " of " << result.epochs_done << " ("
              << config.monitor << " " << result.best_metric << "); run folder "
              << result.run.string() << "\n";
  });
}

const bool registered = register_command(100, add_train);

}  // namespace
}  // namespace deeptirp::cli
