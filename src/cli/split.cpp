// deeptirp split: patient-level, label-stratified train/validation/test and external test.
#include <iostream>

#include "cli/command.h"
#include "deeptirp/data/split.h"
#include "deeptirp/error.h"

namespace deeptirp::cli {
namespace {

void add_split(CLI::App& app) {
  struct Args {
    std::string manifest, config, out, ratios;
    std::vector<std::string> external;
    std::uint64_t seed = 0;
    bool skip_bad_rows = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "split",
      "Split patients 7:1:2 into train/validation/test; external centres to external_test");
  cmd->add_option("--manifest", args->manifest, "Manifest to split")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", args->config, "Study config (target, ratios, seed, external centres)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Where to write the split manifest (default: in place)");
  CLI::Option* seed = cmd->add_option("--seed", args->seed, "Random seed (overrides the config)");
  cmd->add_option("--ratios", args->ratios, "train,validation,test, e.g. 0.7,0.1,0.2");
  cmd->add_option("--external", args->external, "Centres that form the external test set")
      ->delimiter(',');
  cmd->add_flag("--skip-bad-rows", args->skip_bad_rows,
                "Skip malformed rows and list them, instead of stopping at the first");
  cmd->callback([args, seed] {
    StudyConfig config = args->config.empty() ? StudyConfig{} : load_study_config(args->config);
    SplitOptions options{config.split, config.seed, config.external_centres};
    if (*seed) options.seed = args->seed;
    if (!args->external.empty()) options.external_centres = args->external;
    if (!args->ratios.empty()) {
      double r[3];
      if (std::sscanf(args->ratios.c_str(), "%lf,%lf,%lf", &r[0], &r[1], &r[2]) != 3 || r[0] <= 0 ||
          r[1] < 0 || r[2] < 0)
        throw Error("--ratios: expected three non-negative numbers like 0.7,0.1,0.2, got '" +
                    args->ratios + "'");
      options.ratios = {r[0], r[1], r[2]};
      if (const auto problem = split_ratios_problem(options.ratios))
        throw Error("--ratios: " + problem->what + " (" + problem->key + ")");
    }
    std::vector<BadRow> skipped;
    Manifest manifest = read_manifest(args->manifest, config, {args->skip_bad_rows}, &skipped);
    assign_splits(manifest, options);
    const std::string out = args->out.empty() ? args->manifest : args->out;
    write_manifest(out, manifest);
    std::cout << "wrote " << out << " (seed " << options.seed << ")\n"
              << format_split_counts(manifest) << "no patient is in two splits\n";
    if (!skipped.empty()) std::cout << describe_bad_rows(skipped);
  });
}

const bool registered = register_command(30, add_split);

}  // namespace
}  // namespace deeptirp::cli
