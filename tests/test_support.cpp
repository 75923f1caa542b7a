#include "test_support.h"

#include <sys/wait.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "deeptirp/error.h"

namespace deeptirp::testing {
namespace {

struct ScratchCleanup {
  std::vector<std::filesystem::path> dirs;
  ~ScratchCleanup() {
    if (std::getenv("DEEPTIRP_KEEP_SCRATCH")) return;
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};
ScratchCleanup cleanup;

}  // namespace

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("DEEPTIRP_SHARED")) return env;
  std::filesystem::path p = DEEPTIRP_SHARED;
  return std::filesystem::exists(p / "data") ? p : std::filesystem::path();
}

std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("deeptirp-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir;
}

int run_command(const std::string& command, std::string* output) {
  std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer{};
  std::string text;
  while (std::fgets(buffer.data(), buffer.size(), pipe)) text += buffer.data();
  int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::optional<std::vector<std::string>> iod_errors(const std::filesystem::path& file) {
  if (run_command("command -v dciodvfy") != 0) return std::nullopt;
  std::string report;
  run_command("dciodvfy " + file.string(), &report);
  if (std::getenv("DEEPTIRP_SHOW_IOD")) std::printf("%s", report.c_str());
  std::vector<std::string> errors;
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("Error", 0) == 0) errors.push_back(line);
  return errors;
}

std::string reference_python() {
  std::string p = REFERENCE_PYTHON;
  return (p.empty() || p.find("NOTFOUND") != std::string::npos) ? "" : p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace deeptirp::testing
