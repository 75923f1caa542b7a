// The executable as a user meets it: help, version, errors and exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "test_support.h"

namespace deeptirp {
namespace {

std::string run(const std::string& args, int* status = nullptr) {
  std::string out;
  int rc = testing::run_command(std::string(DEEPTIRP_EXE) + " " + args, &out);
  if (status) *status = rc;
  return out;
}

// The verbs `deeptirp --help` lists.
std::vector<std::string> verbs() {
  const std::string help = run("--help");
  std::vector<std::string> found;
  auto at = help.find("Subcommands:");
  if (at == std::string::npos) return found;
  std::istringstream lines(help.substr(at));
  std::string line;
  std::getline(lines, line);
  const std::regex verb(R"(^  ([a-z][a-z-]*)\s)");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, verb)) found.push_back(m[1]);
  }
  return found;
}

TEST(Cli, HelpListsTheStudyVerbsAndEachHasHelp) {
  const auto listed = verbs();
  for (const char* expected : {"import", "split"})
    EXPECT_NE(std::find(listed.begin(), listed.end(), expected), listed.end()) << expected;
  for (const auto& verb : listed) {
    int rc = -1;
    const std::string out = run(verb + " --help", &rc);
    EXPECT_EQ(rc, 0) << verb;
    EXPECT_NE(out.find("Usage:"), std::string::npos) << verb;
  }
}

TEST(Cli, VersionNamesLibTorch) {
  int rc = -1;
  const std::string out = run("--version", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(deeptirp \d+\.\d+\.\d+ \(LibTorch \d+\.\d+)")))
      << out;
}

TEST(Cli, ErrorIsOneLineAndNonZero) {
  auto dir = testing::scratch_dir("cli-error");
  std::ofstream(dir / "m.csv") << "image,patient_id,label\na.png,p1,x\nb.png,p2,\n";
  int rc = 0;
  const std::string out = run("split --manifest " + (dir / "m.csv").string(), &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("deeptirp: error: "), std::string::npos) << out;
  EXPECT_NE(out.find("m.csv line 3, column 'label'"), std::string::npos) << out;
  // The manifest is untouched and no temporary file is left behind.
  int files = 0;
  for ([[maybe_unused]] auto& f : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);
}

TEST(Cli, UnknownVerbFails) {
  int rc = 0;
  run("frobnicate", &rc);
  EXPECT_NE(rc, 0);
}

}  // namespace
}  // namespace deeptirp
