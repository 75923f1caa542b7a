#include "deeptirp/report/assets.h"

// The assembler includes each file's bytes at build time; CMake passes the paths
// (DEEPTIRP_ASSET_*) and lists them in OBJECT_DEPENDS so that an edited file rebuilds this one.
// Symbols are hidden so that they never clash with another library's.
#define DEEPTIRP_INCBIN(symbol, path)       \
  __asm__(                                  \
      ".section .rodata\n"                  \
      ".global " #symbol                    \
      "_begin\n"                            \
      ".hidden " #symbol "_begin\n" #symbol \
      "_begin:\n"                           \
      ".incbin \"" path                     \
      "\"\n"                                \
      ".global " #symbol                    \
      "_end\n"                              \
      ".hidden " #symbol "_end\n" #symbol   \
      "_end:\n"                             \
      ".previous\n");                       \
  extern "C" const char symbol##_begin[];   \
  extern "C" const char symbol##_end[]

DEEPTIRP_INCBIN(deeptirp_asset_vega, DEEPTIRP_ASSET_VEGA);
DEEPTIRP_INCBIN(deeptirp_asset_vega_lite, DEEPTIRP_ASSET_VEGA_LITE);
DEEPTIRP_INCBIN(deeptirp_asset_vega_embed, DEEPTIRP_ASSET_VEGA_EMBED);
DEEPTIRP_INCBIN(deeptirp_asset_report_css, DEEPTIRP_ASSET_REPORT_CSS);
DEEPTIRP_INCBIN(deeptirp_asset_report_js, DEEPTIRP_ASSET_REPORT_JS);

namespace deeptirp::report {
namespace {

std::string_view bytes(const char* begin, const char* end) {
  return {begin, static_cast<std::size_t>(end - begin)};
}

}  // namespace

std::array<Asset, 3> chart_libraries() {
  return {{
      {"vega.min.js", bytes(deeptirp_asset_vega_begin, deeptirp_asset_vega_end)},
      {"vega-lite.min.js", bytes(deeptirp_asset_vega_lite_begin, deeptirp_asset_vega_lite_end)},
      {"vega-embed.min.js", bytes(deeptirp_asset_vega_embed_begin, deeptirp_asset_vega_embed_end)},
  }};
}

Asset report_css() {
  return {"report.css", bytes(deeptirp_asset_report_css_begin, deeptirp_asset_report_css_end)};
}

Asset report_js() {
  return {"report.js", bytes(deeptirp_asset_report_js_begin, deeptirp_asset_report_js_end)};
}

}  // namespace deeptirp::report
