// deeptirp: one verb per step of the study. The library does the work; the verbs parse and call.
#include <torch/version.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
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
  // LibTorch's OpenMP threads busy-wait between parallel regions for ~300,000 spins by default,
  // starving our image loading threads (and anything else on the machine). Sleeping at once
  // (OMP_WAIT_POLICY=PASSIVE) pays a wake-up per operator instead, which slows batch-1 inference.
  // A short spin serves both (docs/performance.md). libgomp reads these once, when it is loaded:
  // set, then re-exec.
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) {
    ::setenv("GOMP_SPINCOUNT", "10000", 1);
    ::execv("/proc/self/exe", argv);  // returns only on failure; then run as we are
  }
  CLI::App app{
      "deeptirp: train, evaluate, explain and deploy classifiers of bone lesions on radiographs\n"
      "(primary bone tumour vs bone infection, as in the DeepTIRP study)."};
  app.set_version_flag("--version", std::string("deeptirp ") + deeptirp::kVersion + " (LibTorch " +
                                        TORCH_VERSION + ")");
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
