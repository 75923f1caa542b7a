// deeptirp report: the study's HTML report (one self-contained file) from results.json.
#include "deeptirp/report/report.h"

#include <filesystem>
#include <iostream>

#include "cli/command.h"

namespace deeptirp::cli {
namespace {

void add_report(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report",
      "Write the study's report: one HTML file, charts and heat maps inlined, that opens offline");
  struct Args {
    std::filesystem::path results, out;
    report::ReportOptions options;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--results", a->results, "results.json of `deeptirp study run` (docs/results.md)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out, "The HTML file to write")->required();
  cmd->add_option("--thumbnail", a->options.thumbnail,
                  "Longer side of the embedded heat maps, in pixels")
      ->capture_default_str()
      ->check(CLI::Range(16, 4096));
  cmd->callback([a] {
    report::write_report_file(a->results, a->out, a->options);
    std::cout << "wrote " << a->out.string() << " (" << std::filesystem::file_size(a->out) / 1024
              << " KiB)\n";
  });
}

const bool registered = register_command(160, add_report);

}  // namespace
}  // namespace deeptirp::cli
