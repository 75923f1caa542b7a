// deeptirp train: one image model on a split manifest, with the study's recipe by default.
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "cli/command.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/error.h"
#include "deeptirp/train/launch.h"
#include "deeptirp/train/trainer.h"

namespace deeptirp::cli {
namespace {

// This command line as given (argv[1:]), without --nproc and its value: what each rank runs.
std::vector<std::string> command_line_without_nproc() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t at = 0; at < all.size();) {
    const std::size_t end = all.find('\0', at);
    args.push_back(all.substr(at, end - at));
    at = end == std::string::npos ? all.size() : end + 1;
  }
  std::vector<std::string> out;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;
      continue;
    }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    out.push_back(args[i]);
  }
  return out;
}

void add_train(CLI::App& app) {
  struct Args {
    std::string config, preset = "paper";
    std::vector<std::string> sets;
    std::map<std::string, std::string> fields;
    bool resume = false, quiet = false;
    int nproc = 1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("train", "Train an image model (the study's recipe: --preset paper)");
  cmd->add_option("--config", args->config, "Study YAML; its `train:` section sets any field below")
      ->check(CLI::ExistingFile);
  cmd->add_option("--preset", args->preset, "paper | transformer | cpu-quick")
      ->capture_default_str();
  cmd->add_flag("--resume", args->resume,
                "Continue the run in --out from its last checkpoint, with the settings it began "
                "with (a setting given that differs is refused)");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->add_option("--nproc", args->nproc,
                  "Data-parallel training in N processes on this machine (batch_size is the "
                  "step's, shared by them); on several machines, start each rank with torchrun's "
                  "variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) instead")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--set", args->sets, "Override a field: name=value (repeatable)");
  // Every field of the training config is also an option of its own: --epochs 2, --lr 0.01, ...
  for (const auto& field : train_fields())
    cmd->add_option("--" + field.name, args->fields[field.name], field.help);
  cmd->callback([args, cmd] {
    if (args->nproc > 1) return run_local_processes(args->nproc, command_line_without_nproc());
    std::optional<YamlDocument> yaml;
    if (!args->config.empty()) yaml = YamlDocument::load(args->config);
    // What this command line sets, in the order a fresh run applies it.
    std::vector<std::string> given;
    if (yaml) given.push_back("study=" + args->config);
    for (const auto& field : train_fields())
      if (cmd->count("--" + field.name) > 0)
        given.push_back(field.name + "=" + args->fields[field.name]);
    given.insert(given.end(), args->sets.begin(), args->sets.end());
    if (args->quiet) given.push_back("log=quiet");

    TrainConfig config;
    if (args->resume) {
      std::vector<std::string> all;
      if (cmd->count("--preset") > 0) all.push_back("preset=" + args->preset);
      if (yaml) {
        const std::vector<std::string> section = train_section_assignments(*yaml);
        all.insert(all.end(), section.begin(), section.end());
      }
      all.insert(all.end(), given.begin(), given.end());
      if (cmd->count("--out") == 0) throw Error("--resume needs --out, the run folder to continue");
      config = resume_train_config(args->fields["out"], all);
    } else {
      config = train_preset(args->preset);
      if (yaml) apply_train_section(config, *yaml);
      for (const auto& assignment : given) apply_train_override(config, assignment);
    }
    std::optional<StudyConfig> study;
    if (yaml) study = parse_study_config(*yaml);
    TrainControl control;
    control.resume = args->resume;
    if (study) control.study = &*study;
    TrainResult result = train(config, control);
    if (!result.writes) return;
    std::cout << "best epoch " << result.best_epoch << " of " << result.epochs_done << " ("
              << config.monitor << " " << result.best_metric << "); run folder "
              << result.run.string() << "\n";
  });
}

const bool registered = register_command(100, add_train);

}  // namespace
}  // namespace deeptirp::cli
