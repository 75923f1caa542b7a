#pragma once
// Each verb lives in its own file and registers itself here, so adding a verb touches one file.
#include <CLI/CLI.hpp>

#include <functional>

namespace deeptirp::cli {

using AddCommand = std::function<void(CLI::App& app)>;

// `order` fixes the place of the verb in `deeptirp --help` (the study's order of steps).
bool register_command(int order, AddCommand add);

void add_all_commands(CLI::App& app);

}  // namespace deeptirp::cli
