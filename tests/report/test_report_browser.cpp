// The report in a real browser (Debian's headless Chromium): it loads with no console output and
// no errors, and every chart renders. The screenshot is kept as a test artefact in
// <build>/test-artefacts/report.png. Skips when chromium is not installed.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/core.hpp>
#include <regex>
#include <sstream>

#include "deeptirp/report/report.h"
#include "report/report_fixture.h"
#include "test_support.h"

namespace deeptirp::report {
namespace {

namespace fs = std::filesystem;
using deeptirp::testing::run_command;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string chromium_path() {
  std::string out;
  if (run_command("command -v chromium", &out) != 0) return "";
  return out.substr(0, out.find('\n'));
}

// One headless Chromium run with its own profile, so that parallel tests never share one.
// Virtual time lets every chart finish without waiting in real time.
int run_chromium(const fs::path& scratch, const std::string& action, const fs::path& page,
                 const fs::path& stdout_file, std::string* log) {
  const fs::path profile = scratch / ("profile-" + stdout_file.stem().string());
  const fs::path log_file = scratch / (stdout_file.stem().string() + ".log");
  const std::string command =
      "(timeout 180 " + chromium_path() +
      " --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check"
      " --disable-extensions --mute-audio --hide-scrollbars --enable-logging=stderr --v=0"
      " --user-data-dir='" +
      profile.string() + "' --virtual-time-budget=20000 " + action + " 'file://" + page.string() +
      "' > '" + stdout_file.string() + "' 2> '" + log_file.string() + "')";
  const int status = run_command(command);
  *log = read_text(log_file);
  return status;
}

// Console messages of the page, as Chromium logs them (":CONSOLE:" lines).
std::string console_lines(const std::string& log) {
  std::string lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(":CONSOLE") != std::string::npos) lines += line + "\n";
  }
  return lines;
}

std::string body_attribute(const std::string& dom, const std::string& name) {
  const std::regex body(R"re(<body [^>]*data-charts-total[^>]*>)re");
  std::smatch tag;
  if (!std::regex_search(dom, tag, body)) return "<no body with chart counts>";
  const std::regex attribute(name + "=\"([^\"]*)\"");
  const std::string text = tag.str();
  std::smatch value;
  return std::regex_search(text, value, attribute) ? value[1].str() : "<absent>";
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class ReportBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (chromium_path().empty()) {
      GTEST_SKIP()
          << "chromium is not installed (apt-get install chromium; scripts/setup.sh --test)";
    }
    scratch = deeptirp::testing::scratch_dir("report-browser");
    write_report(deeptirp::testing::make_results(scratch), scratch, scratch / "report.html");
    html = read_text(scratch / "report.html");
  }
  // The page's DOM after its scripts ran; empty when Chromium failed (`log` says why).
  std::string dump_dom(const fs::path& page, std::string* log) const {
    const fs::path dom = scratch / (page.stem().string() + ".dom.html");
    if (run_chromium(scratch, "--dump-dom", page, dom, log) != 0) return "";
    return read_text(dom);
  }

  fs::path scratch;
  std::string html;
};

TEST_F(ReportBrowserTest, EveryChartRendersWithNoErrors) {
  std::string log;
  const std::string dom = dump_dom(scratch / "report.html", &log);
  ASSERT_FALSE(dom.empty()) << log;
  const std::size_t charts = count(html, "class=\"chart-spec\"");
  ASSERT_GT(charts, 0u);
  EXPECT_EQ(body_attribute(dom, "data-charts-done"), "true");
  EXPECT_EQ(body_attribute(dom, "data-charts-total"), std::to_string(charts));
  EXPECT_EQ(body_attribute(dom, "data-charts-rendered"), std::to_string(charts));
  EXPECT_EQ(body_attribute(dom, "data-errors"), "");
  EXPECT_EQ(body_attribute(dom, "data-warnings"), "");  // Vega's complaints about a spec
  const std::regex drawn(R"re(<svg [^>]*class="marks")re");
  EXPECT_EQ(std::distance(std::sregex_iterator(dom.begin(), dom.end(), drawn), {}), charts);
  EXPECT_EQ(console_lines(log), "");
}

TEST_F(ReportBrowserTest, ABrokenChartIsReported) {
  // The check above must be able to fail: one spec with a mark Vega-Lite does not know.
  const std::string rect = "\"mark\":\"rect\"";
  const std::size_t at = html.find(rect);
  ASSERT_NE(at, std::string::npos);
  std::string broken = html;
  broken.replace(at, rect.size(), "\"mark\":\"no-such-mark\"");
  std::ofstream(scratch / "broken.html", std::ios::binary) << broken;
  std::string log;
  const std::string dom = dump_dom(scratch / "broken.html", &log);
  ASSERT_FALSE(dom.empty()) << log;
  const std::size_t charts = count(html, "class=\"chart-spec\"");
  EXPECT_EQ(body_attribute(dom, "data-charts-done"), "true");
  EXPECT_EQ(body_attribute(dom, "data-charts-rendered"), std::to_string(charts - 1));
  const std::string id = "chart-" + std::to_string(count(html.substr(0, at), "data-chart=\""));
  EXPECT_EQ(body_attribute(dom, "data-errors").rfind(id + ": ", 0), 0u)
      << body_attribute(dom, "data-errors");
}

TEST_F(ReportBrowserTest, ScreenshotIsKeptAsAnArtefact) {
  // Test programs live in <build>/tests; the artefact goes to <build>/test-artefacts.
  const fs::path artefacts =
      fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "test-artefacts";
  fs::create_directories(artefacts);
  const fs::path png = artefacts / "report.png";
  fs::remove(png);
  std::string log;
  ASSERT_EQ(run_chromium(scratch, "--window-size=1280,4000 --screenshot='" + png.string() + "'",
                         scratch / "report.html", scratch / "screenshot.txt", &log),
            0)
      << log;
  ASSERT_TRUE(fs::exists(png)) << log;
  const cv::Mat shot = cv::imread(png.string(), cv::IMREAD_GRAYSCALE);
  ASSERT_EQ(shot.size(), cv::Size(1280, 4000));
  cv::Scalar mean, stddev;
  cv::meanStdDev(shot, mean, stddev);
  EXPECT_GT(stddev[0], 20.0) << "the screenshot is nearly blank";
  EXPECT_EQ(console_lines(log), "");
  std::cout << "screenshot: " << png.string() << "\n";
}

}  // namespace
}  // namespace deeptirp::report
