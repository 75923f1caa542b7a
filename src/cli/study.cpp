// deeptirp study run: every step of the study from one YAML, each stage cached.
#include <iostream>

#include "cli/command.h"
#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/study/study.h"

namespace deeptirp::cli {
namespace {

void add_study(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("study", "The whole study in one command");
  cmd->require_subcommand(1);
  struct Args {
    std::string yaml, out, device = "cpu";
    std::vector<std::string> rerun;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* run = cmd->add_subcommand(
      "run",
      "Import, split, train, predict, clinical model, ensemble, heat maps, evaluation, "
      "reader study, bundle and report; finished stages are skipped on a rerun");
  run->add_option("study", args->yaml, "Study YAML (see docs/study.md)")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_option("--out", args->out, "Results folder (default: the YAML's study.out)");
  run->add_option("--rerun", args->rerun,
                  "Stages to run even when up to date: data, model:NAME, clinical, ensemble, "
                  "explain:NAME, evaluate, bundle, report, or all")
      ->delimiter(',');
  run->add_option("--device", args->device, "cpu | cuda | cuda:N")->capture_default_str();
  run->add_flag("--quiet", args->quiet, "No progress output");
  run->callback([args] {
    const auto result =
        study::run_study({args->yaml, args->out, args->rerun, args->device, args->quiet});
    if (!args->quiet) std::cout << evaluate::format_headline(read_json_file(result.results));
    std::cout << "study: " << result.stages_run << " stages run, " << result.stages_cached
              << " up to date\n  results " << result.results.string() << "\n  report  "
              << result.report.string() << "\n  bundle  " << result.bundle.string() << "\n";
  });
}

const bool registered = register_command(5, add_study);

}  // namespace
}  // namespace deeptirp::cli
