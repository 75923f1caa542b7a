#pragma once
// The study's report: one self-contained HTML file (charts by Vega-Lite, inlined, so it works
// offline) built from results.json (docs/results.md).

#include <nlohmann/json.hpp>

#include <filesystem>

namespace deeptirp::report {

struct ReportOptions {
  int thumbnail = 320;  // longer side, in pixels, of the heat maps embedded in the page
};

// `base` is the folder that results' relative PNG paths start from. Written atomically.
void write_report(const nlohmann::json& results, const std::filesystem::path& base,
                  const std::filesystem::path& out, const ReportOptions& options = {});

// The same from a results.json file; errors name the file.
void write_report_file(const std::filesystem::path& results_json, const std::filesystem::path& out,
                       const ReportOptions& options = {});

}  // namespace deeptirp::report
