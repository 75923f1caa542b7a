// The page around the sections: head (style, the inlined chart libraries), title, contents, and
// the bootstrap that draws the charts. Nothing on the page depends on the date or on where the
// report was written, so the same results.json gives the same bytes.
#include "deeptirp/report/report.h"

#include <fstream>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/report/assets.h"
#include "deeptirp/report/html.h"
#include "deeptirp/report/results_view.h"
#include "deeptirp/report/sections.h"
#include "deeptirp/version.h"

namespace deeptirp::report {
namespace {

using nlohmann::json;

// Runs before the libraries, so that an error while loading them is caught too; report.js shows
// the collected errors on <body>.
const char* const kErrorCapture = R"(window.deeptirpErrors = [];
window.addEventListener("error", function (e) {
  window.deeptirpErrors.push(e.message || ("cannot load " + (e.target.src || e.target.href)));
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.deeptirpErrors.push("unhandled rejection: " + e.reason);
});)";

std::string inline_script(const Asset& asset) {
  // An inline script ends at the first "</script"; the libraries never contain one, but a new
  // version that did would silently break every report.
  if (asset.text.find("</script") != std::string_view::npos) {
    throw Error(std::string(asset.name) + ": contains \"</script\"; it cannot be inlined");
  }
  return "<script>/* " + std::string(asset.name) + " */\n" + std::string(asset.text) +
         "\n</script>\n";
}

std::string page_head(const std::string& title) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"deeptirp " +
      escape_html(kVersion) + "\">\n<title>" + title + "</title>\n<script>" + kErrorCapture +
      "</script>\n<style>\n" + std::string(report_css().text) + "</style>\n";
  for (const Asset& library : chart_libraries()) out += inline_script(library);
  return out + "</head>\n";
}

std::string page_header(const json& results, const std::string& title) {
  const json& tool = field_or_null(results, "tool");
  std::string meta = html_text(field_or_null(tool, "name")) + " " +
                     html_text(field_or_null(tool, "version")) + " · LibTorch " +
                     html_text(field_or_null(tool, "libtorch")) + " · target " +
                     html_text(field_or_null(results, "target")) + ", positive class " +
                     html_text(field_or_null(results, "positive"));
  return "<header class=\"report\">\n<h1>" + title + "</h1>\n<p class=\"meta\">" + meta +
         "</p>\n</header>\n";
}

std::string render_page(const json& results, const std::filesystem::path& base,
                        const ReportOptions& options) {
  const json& title_value = field_or_null(results, "title");
  const std::string title =
      title_value.is_string() ? escape_html(title_value.get<std::string>()) : "deeptirp report";
  const std::vector<Section> sections = report_sections(results, base, options);
  std::string contents = "<nav class=\"contents\">";
  std::string body;
  for (const Section& s : sections) {
    contents += "<a href=\"#" + s.id + "\">" + s.title + "</a>";
    body += "<section id=\"" + s.id + "\">\n<h2>" + s.title + "</h2>\n" + s.body + "</section>\n";
  }
  contents += "</nav>\n";
  return page_head(title) + "<body>\n" + page_header(results, title) + contents + "<main>\n" +
         body + "</main>\n<noscript>The charts need JavaScript.</noscript>\n" +
         inline_script(report_js()) + "</body>\n</html>\n";
}

}  // namespace

void write_report(const json& results, const std::filesystem::path& base,
                  const std::filesystem::path& out, const ReportOptions& options) {
  check_results(results);
  if (options.thumbnail < 16 || options.thumbnail > 4096) {
    throw Error("report: thumbnail " + std::to_string(options.thumbnail) +
                " is outside 16..4096 pixels");
  }
  write_file_atomically(out, render_page(results, base, options));
}

void write_report_file(const std::filesystem::path& results_json, const std::filesystem::path& out,
                       const ReportOptions& options) {
  std::ifstream in(results_json);
  if (!in) throw Error(results_json.string() + ": cannot open");
  json results;
  try {
    results = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(results_json.string() + ": not valid JSON: " + e.what());
  }
  try {
    write_report(results, results_json.parent_path(), out, options);
  } catch (const Error& e) {
    throw Error(results_json.string() + ": " + e.what());
  }
}

}  // namespace deeptirp::report
