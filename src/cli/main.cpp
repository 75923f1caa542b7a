// deeptirp: one verb per step of the study. The library does the work; the verbs parse and call.
#include <torch/version.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "cli/command.h"
#include "deeptirp/error.h"
#include "deeptirp/version.h"

namespace deeptirp::cli {
namespace {

std::multimap<int, AddCommand>& registry() {
  static std::multimap<int, AddCommand> commands;
  return commands;
}

}  // namespace

bool register_command(int order, AddCommand add) {
  registry().emplace(order, std::move(add));
  return true;
}

void add_all_commands(CLI::App& app) {
  for (auto& [order, add] : registry()) add(app);
}

}  // namespace deeptirp::cli

int main(int argc, char** argv) {
  CLI::App app{
      "deeptirp: train, evaluate, explain and deploy classifiers of bone lesions on radiographs\n"
      "(primary bone tumour vs bone infection, as in the DeepTIRP study)."};
  app.set_version_flag("--version", std::string("deeptirp ") + deeptirp::kVersion +
                                        " (LibTorch " + TORCH_VERSION + ")");
  app.require_subcommand(1);
  deeptirp::cli::add_all_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const deeptirp::Error& e) {
    std::cerr << "deeptirp: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "deeptirp: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
