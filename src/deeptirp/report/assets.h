#pragma once
// The files every report inlines, compiled into the binary so that `deeptirp report` needs no file
// at run time and the page needs no network: Vega, Vega-Lite and vega-embed (third_party/vega/),
// and the page's own style sheet and chart bootstrap (report.css, report.js beside this file).

#include <array>
#include <string_view>

namespace deeptirp::report {

struct Asset {
  std::string_view name;  // the file it came from, e.g. "vega.min.js"
  std::string_view text;
};

// The JavaScript libraries in the order they must load (vega, vega-lite, vega-embed).
std::array<Asset, 3> chart_libraries();

Asset report_css();
Asset report_js();

}  // namespace deeptirp::report
