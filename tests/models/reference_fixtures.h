#pragma once
// Fixtures from the Python reference scripts, generated once per build and script version: ctest
// runs every test in its own process, and starting python3 + torch for each would take most of the
// test time. The folder lives beside the test executable (so it goes with the build tree) and is
// keyed by the command line and the scripts' text, so editing a script regenerates it.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>

#include "test_support.h"

namespace deeptirp::testing {

inline std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::temp_directory_path() : exe.parent_path();
}

// Runs `command` with "{out}" replaced by a fresh folder, unless a folder for the same command and
// scripts is already there; returns the folder, or an empty path (with the log) when it failed.
inline std::filesystem::path reference_fixtures(const std::string& name, const std::string& command,
                                                const std::vector<std::string>& scripts,
                                                std::string* log) {
  namespace fs = std::filesystem;
  std::string key = command;
  for (const auto& script : scripts) {
    std::ifstream in(std::string(DEEPTIRP_SOURCE_DIR) + "/tools/" + script);
    key.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ostringstream id;
  id << name << "-" << std::hex << std::hash<std::string>{}(key);
  const fs::path root = executable_dir() / "reference-fixtures";
  const fs::path done = root / id.str();
  if (fs::exists(done / "complete")) return done;
  const fs::path work = root / (id.str() + ".tmp." + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  std::string full = command;
  for (size_t at; (at = full.find("{out}")) != std::string::npos;)
    full.replace(at, 5, work.string());
  if (run_command(full, log) != 0) {
    fs::remove_all(work);
    return {};
  }
  std::ofstream(work / "complete") << "ok\n";
  std::error_code ec;
  fs::rename(work, done, ec);  // another test process may have finished first: use its copy
  if (ec) fs::remove_all(work);
  return done;
}

}  // namespace deeptirp::testing
