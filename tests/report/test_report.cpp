// The HTML report: every section from a realistic results.json, the chart libraries inlined and
// nothing fetched from a network, text escaped, optional parts left out, byte-identical reruns,
// and errors that name the file at fault.
#include <gdcmBase64.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/report/html.h"
#include "deeptirp/report/report.h"
#include "report/report_fixture.h"
#include "test_support.h"

namespace deeptirp::report {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string render(const json& results, const fs::path& base, const std::string& name,
                   ReportOptions options = {}) {
  const fs::path out = base / name;
  write_report(results, base, out, options);
  return read_text(out);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ReportHtml, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(ReportHtml, EscapesTextAndScriptJson) {
  EXPECT_EQ(escape_html("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(script_json(json{{"x", "</script><!--"}}), "{\"x\":\"\\u003c/script>\\u003c!--\"}");
  EXPECT_EQ(json::parse(script_json(json{{"x", "</script>"}}))["x"], "</script>");
}

TEST(ReportHtml, FormatsNumbersCisAndNulls) {
  EXPECT_EQ(format_number(0.91234), "0.912");
  EXPECT_EQ(format_number(json()), "–");
  EXPECT_EQ(format_proportion(json{{"value", 0.883}, {"ci", {0.781, 0.94}}}),
            "88.3 <span class=\"ci\">(78.1–94.0)</span>");
  EXPECT_EQ(format_with_ci(0.9, json{nullptr, nullptr}), "0.900");
  EXPECT_EQ(format_p(0.00001), "&lt;0.001");
  EXPECT_EQ(format_p(0.0123), "0.012");
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base = deeptirp::testing::scratch_dir("report");
    results = deeptirp::testing::make_results(base);
  }
  fs::path base;
  json results;
};

TEST_F(ReportTest, HasEverySectionInTheStudysOrder) {
  const std::string html = render(results, base, "report.html");
  std::size_t last = 0;
  for (const char* id : {"data", "roc", "performance", "confusion", "subtypes", "readers",
                         "calibration", "training", "heatmaps", "reproducibility"}) {
    const std::size_t at = html.find("<section id=\"" + std::string(id) + "\">");
    ASSERT_NE(at, std::string::npos) << id;
    EXPECT_GT(at, last) << id << " is out of order";
    last = at;
    EXPECT_NE(html.find("href=\"#" + std::string(id) + "\""), std::string::npos) << id;
  }
  for (const char* text : {"Table 2.", "Table 3.", "Table 4.", "osteosarcoma", "Ewing sarcoma",
                           "efficientnet_b3", "xgboost max_depth=2", "positive: tumour",
                           "<dt>Seed</dt><dd>42</dd>", "&lt;0.001", "0.830 <span class=\"ci\">",
                           "does it hold on the test sets?", "external test", "61.5",
                           "0.410 <span class=\"aside\">(calibrated)</span>"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
  // Charts: ROC, confusion, Cohen and calibration per set, and the two training charts.
  EXPECT_EQ(count(html, "class=\"chart-spec\""), 2u * 4u + 2u);
  EXPECT_EQ(count(html, "<figure class=\"case right\">"), 1u);
  EXPECT_EQ(count(html, "<figure class=\"case wrong\">"), 1u);
  EXPECT_EQ(count(html, "src=\"data:image/png;base64,"), 2u);
}

TEST_F(ReportTest, InlinesTheChartLibrariesAndReferencesNothingOutside) {
  const std::string html = render(results, base, "report.html");
  const fs::path vega = fs::path(DEEPTIRP_SOURCE_DIR) / "third_party/vega";
  for (const char* library : {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"}) {
    const std::string text = read_text(vega / library);
    ASSERT_GT(text.size(), 10000u) << library;
    EXPECT_NE(html.find(text), std::string::npos) << library << " is not inlined whole";
  }
  EXPECT_LT(html.find("vega.min.js"), html.find("vega-lite.min.js"));
  EXPECT_LT(html.find("vega-lite.min.js"), html.find("vega-embed.min.js"));
  const std::regex outside(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, outside));
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

TEST_F(ReportTest, EscapesCaseIdsConfigAndNames) {
  results["heatmaps"][0]["image"] = "images/<script>alert(1)</script>.dcm";
  results["config"]["text"] = "note: </pre><img src=x onerror=alert(2)>\n";
  results["readers"]["cohen"][0]["a"] = "R</script><b>";
  const std::string html = render(results, base, "report.html");
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(html.find("images/&lt;script&gt;alert(1)&lt;/script&gt;.dcm"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_NE(html.find("&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_EQ(html.find("R</script>"), std::string::npos);
  EXPECT_NE(html.find("R\\u003c/script>\\u003cb>"), std::string::npos);
}

TEST_F(ReportTest, LeavesOutReadersTrainingAndHeatMapsWhenAbsent) {
  results.erase("readers");
  results.erase("training");
  results.erase("heatmaps");
  const std::string html = render(results, base, "report.html");
  for (const char* id : {"readers", "training", "heatmaps"}) {
    EXPECT_EQ(html.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
    EXPECT_EQ(html.find("href=\"#" + std::string(id) + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(html.find("Table 4."), std::string::npos);
  EXPECT_EQ(html.find("\"Readers\""), std::string::npos);  // no reader points on the ROC charts
  EXPECT_EQ(html.find("Points: each reader"), std::string::npos);
  EXPECT_EQ(count(html, "class=\"chart-spec\""), 2u * 3u);
  EXPECT_NE(html.find("<section id=\"roc\">"), std::string::npos);
}

TEST_F(ReportTest, SameResultsGiveTheSameBytes) {
  const std::string first = render(results, base, "first.html");
  const std::string second = render(results, base, "second.html");
  EXPECT_GT(first.size(), 500000u);
  EXPECT_TRUE(first == second) << "two runs differ";
}

TEST_F(ReportTest, ScalesHeatMapsToTheThumbnailSize) {
  ReportOptions options;
  options.thumbnail = 60;
  const std::string html = render(results, base, "report.html", options);
  const std::regex uri(R"re(src="data:image/png;base64,([A-Za-z0-9+/=]+)")re");
  std::vector<cv::Size> sizes;
  for (std::sregex_iterator it(html.begin(), html.end(), uri), end; it != end; ++it) {
    const std::string text = (*it)[1];
    std::vector<char> bytes(gdcm::Base64::GetDecodeLength(text.data(), text.size()));
    bytes.resize(gdcm::Base64::Decode(bytes.data(), bytes.size(), text.data(), text.size()));
    const cv::Mat image = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(image.empty());
    sizes.push_back(image.size());
  }
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], cv::Size(60, 60));  // 224 x 224
  EXPECT_EQ(sizes[1], cv::Size(60, 40));  // 300 x 200
}

TEST_F(ReportTest, MissingHeatMapIsAnErrorNamingIt) {
  results["heatmaps"][1]["png"] = "explain/b3/gradcam/img_gone.png";
  const fs::path out = base / "report.html";
  try {
    write_report(results, base, out);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("img_gone.png"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ReportTest, FileErrorsNameTheFileAndField) {
  const fs::path bad = base / "bad.json";
  std::ofstream(bad) << "{\"models\": [\n  {\"name\": 1,}\n]}";
  try {
    write_report_file(bad, base / "bad.html");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  results["models"][2].erase("name");
  std::ofstream(base / "results.json") << results.dump();
  try {
    write_report_file(base / "results.json", base / "r.html");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("results.json: results: models[2]"), std::string::npos)
        << e.what();
  }
}

TEST_F(ReportTest, ReadsResultsJsonWithPngsBesideIt) {
  std::ofstream(base / "results.json") << results.dump(2);
  write_report_file(base / "results.json", base / "from_file.html");
  EXPECT_EQ(read_text(base / "from_file.html"), render(results, base, "direct.html"));
}

}  // namespace
}  // namespace deeptirp::report
