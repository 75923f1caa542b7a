// deeptirp readers: the reader study (radiologists' calls against the truth and the models).
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/readers/reader_study.h"

namespace deeptirp::cli {
namespace {

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// NAME=VALUE, a threshold in [0, 1].
std::map<std::string, double> thresholds(const std::vector<std::string>& args) {
  std::map<std::string, double> out;
  for (const auto& a : args) {
    const auto eq = a.find('=');
    std::size_t used = 0;
    double v = -1;
    try {
      if (eq != std::string::npos && eq > 0) v = std::stod(a.substr(eq + 1), &used);
    } catch (const std::exception&) {
    }
    if (eq == std::string::npos || eq == 0 || used != a.size() - eq - 1 || !(v >= 0 && v <= 1))
      throw Error("--threshold " + a + ": expected NAME=VALUE with VALUE between 0 and 1");
    out[a.substr(0, eq)] = v;
  }
  return out;
}

void add_readers(CLI::App& app) {
  struct Args {
    readers::ReaderStudyFiles files;
    std::string calls, models, sets = "test,external_test", json;
    std::vector<std::string> thresholds;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "readers",
      "Reader study: each reader's and group's accuracy, models against readers (McNemar, "
      "DeLong), Fleiss' and Cohen's kappa");
  cmd->add_option("--config", a->files.config, "Study config (readers section)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--manifest", a->files.manifest, "Split manifest (truth and sets)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--calls", a->calls,
                  "Readers' calls CSV (case, reader, group, call, confidence; default: the "
                  "config's readers.calls)");
  cmd->add_option("--predictions", a->files.predictions,
                  "Predictions CSV, e.g. from `deeptirp ensemble predict`")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--models", a->models,
                  "Model columns, e.g. b0,clinical,ensemble (default: every column after the "
                  "target)");
  cmd->add_option("--threshold", a->thresholds, "NAME=VALUE: a model's threshold (default 0.5)");
  cmd->add_option("--sets", a->sets, "Evaluated sets, in report order")->capture_default_str();
  cmd->add_option("--json", a->json, "Write the results.json \"readers\" object here");
  cmd->callback([a] {
    a->files.calls = a->calls;
    a->files.models = comma_list(a->models);
    a->files.sets = comma_list(a->sets);
    a->files.thresholds = thresholds(a->thresholds);
    const nlohmann::json result = readers::reader_study_files(a->files);
    std::cout << readers::format_reader_study(result);
    if (!a->json.empty()) {
      write_file_atomically(a->json, result.dump(2) + "\n");
      std::cout << "wrote " << a->json << "\n";
    }
  });
}

const bool registered = register_command(150, add_readers);

}  // namespace
}  // namespace deeptirp::cli
