// `deeptirp pacs watch` as an engineer runs it beside a PACS, with both sides failing: Orthanc
// killed and restarted while the watcher runs, the watcher killed (kill -9) and restarted, new
// radiographs arriving in between. Nothing is lost and nothing is duplicated: every radiograph
// ends with exactly one SR and one heat map, and SIGTERM stops the watcher cleanly.
#include <gtest/gtest.h>

#include <regex>

#include "child_process.h"
#include "orthanc_server.h"
#include "test_support.h"
#include "tiny_bundle.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;
using testing::Child;
using testing::OrthancServer;

std::size_t count_of(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// Waits until Orthanc holds `n` of deeptirp's reports and `n` heat maps.
bool await_results(const OrthancServer& orthanc, std::size_t n, int seconds = 120) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (orthanc.instances("SR").size() >= n && orthanc.instances("OT").size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(PacsWatchCli, OrthancAndWatcherRestartsLoseNothingAndDuplicateNothing) {
  if (const std::string missing = testing::orthanc_missing(); !missing.empty())
    GTEST_SKIP() << "not installed: " << missing;
  const auto tiny = testing::make_tiny_bundle("pacs-watch-cli");
  const fs::path dir = tiny.study.dir;
  auto files = [&](std::size_t first, std::size_t count) {
    return testing::image_files(tiny.study.manifest, first, count);
  };
  OrthancServer orthanc(dir / "orthanc");
  orthanc.start();
  orthanc.store_scu(files(0, 2));
  const std::vector<std::string> args = {
      DEEPTIRP_EXE,         "pacs",        "watch",
      "--orthanc",          orthanc.url(), "--bundle",
      tiny.bundle.string(), "--state",     (dir / "state.json").string(),
      "--poll-ms",          "100"};
  auto watcher = std::make_unique<Child>(args, dir / "watch-1.log");
  ASSERT_TRUE(await_results(orthanc, 2)) << watcher->log();

  // Orthanc dies and comes back; the watcher waits for it.
  orthanc.kill();
  EXPECT_FALSE(watcher->await("(did not answer)", 30).empty()) << watcher->log();
  orthanc.start();
  orthanc.store_scu(files(2, 2));
  ASSERT_TRUE(await_results(orthanc, 4)) << watcher->log();
  EXPECT_NE(watcher->log().find("Orthanc answers again"), std::string::npos) << watcher->log();

  // The watcher dies; radiographs arrive while it is down; a new one carries on from its state.
  watcher->signal(SIGKILL);
  watcher->wait();
  orthanc.store_scu(files(4, 2));
  watcher = std::make_unique<Child>(args, dir / "watch-2.log");
  ASSERT_TRUE(await_results(orthanc, 6)) << watcher->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the feed's changes for them
  watcher->signal(SIGTERM);
  EXPECT_EQ(watcher->wait(), 0) << watcher->log();
  const std::string second = watcher->log();
  EXPECT_NE(second.find("SIGTERM: stopping after the current instance"), std::string::npos)
      << second;
  // The second watcher made only the two new radiographs' results.
  EXPECT_EQ(count_of(second, R"(: \w+ \(ensemble [0-9.e-]+\); SR and heat map stored\n)"), 2u)
      << second;

  EXPECT_EQ(orthanc.instances("SR").size(), 6u);
  EXPECT_EQ(orthanc.instances("OT").size(), 6u);
  EXPECT_EQ(orthanc.instances().size(), 18u);
  const std::string counts = testing::check_stored_results(orthanc, dir / "stored");
  if (!counts.empty())
    EXPECT_NE(counts.find(R"({"radiographs": 6, "reports": 6, "captures": 6})"), std::string::npos)
        << counts;
}

TEST(PacsWatchCli, ABundleThatDoesNotLoadIsAnErrorBeforeOrthancIsAsked) {
  const fs::path dir = testing::scratch_dir("pacs-watch-cli-absent");
  fs::create_directories(dir / "bundle");
  std::string output;
  const int rc = testing::run_command(
      std::string(DEEPTIRP_EXE) +
          " pacs watch --once --orthanc http://127.0.0.1:" + std::to_string(testing::free_port()) +
          " --bundle " + (dir / "bundle").string() + " --state " + (dir / "state.json").string(),
      &output);
  EXPECT_EQ(rc, 1) << output;
  EXPECT_NE(output.find("metadata.json"), std::string::npos) << output;
}

}  // namespace
}  // namespace deeptirp
