#include "deeptirp/report/gallery.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/report/html.h"
#include "deeptirp/report/results_view.h"

namespace deeptirp::report {
namespace {

using nlohmann::json;

std::string case_figure(const json& h, const std::filesystem::path& base, int thumbnail) {
  const json& png = field_or_null(h, "png");
  if (!png.is_string()) throw Error("results: a heat map without \"png\": " + h.dump());
  const std::string uri = thumbnail_data_uri(base / png.get<std::string>(), thumbnail);
  const bool correct = field_or_null(h, "correct") == true;
  const std::string image = html_text(field_or_null(h, "image"));
  return std::string("<figure class=\"case ") + (correct ? "right" : "wrong") + "\"><img src=\"" +
         uri + "\" alt=\"heat map of " + image + "\"><figcaption><span class=\"verdict-" +
         (correct ? "right\">right" : "wrong\">wrong") + "</span> · true " +
         html_text(field_or_null(h, "label")) +
         " · p = " + format_number(field_or_null(h, "probability"), 2) + "<br>" + image +
         " <span class=\"aside\">(" + set_label(html_text(field_or_null(h, "set"))) +
         ")</span></figcaption></figure>\n";
}

}  // namespace

std::string thumbnail_data_uri(const std::filesystem::path& png, int thumbnail) {
  if (!std::filesystem::is_regular_file(png)) {
    throw Error(png.string() + ": heat map PNG not found");
  }
  const cv::Mat image = cv::imread(png.string(), cv::IMREAD_COLOR);
  if (image.empty()) throw Error(png.string() + ": not a readable image");
  const double scale = static_cast<double>(thumbnail) / std::max(image.cols, image.rows);
  const cv::Size size(std::max(1, static_cast<int>(std::lround(image.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(image.rows * scale))));
  cv::Mat scaled;
  cv::resize(image, scaled, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  std::vector<unsigned char> encoded;
  if (!cv::imencode(".png", scaled, encoded)) throw Error(png.string() + ": cannot re-encode");
  return "data:image/png;base64," +
         base64({reinterpret_cast<const char*>(encoded.data()), encoded.size()});
}

std::string heatmap_gallery(const json& heatmaps, const std::filesystem::path& base,
                            int thumbnail) {
  if (!heatmaps.is_array() || heatmaps.empty()) return "";
  std::vector<std::pair<json, json>> groups;  // (model, method) in the order first seen
  for (const json& h : heatmaps) {
    const std::pair<json, json> key{field_or_null(h, "model"), field_or_null(h, "method")};
    if (std::find(groups.begin(), groups.end(), key) == groups.end()) groups.push_back(key);
  }
  std::string out;
  for (const auto& [model, method] : groups) {
    out += "<h3>" + html_text(model) + " · " + html_text(method) + "</h3>\n";
    for (const bool right : {true, false}) {
      std::string figures;
      for (const json& h : heatmaps) {
        if (field_or_null(h, "model") != model || field_or_null(h, "method") != method) continue;
        if ((field_or_null(h, "correct") == true) != right) continue;
        figures += case_figure(h, base, thumbnail);
      }
      if (!figures.empty()) out += "<div class=\"gallery\">\n" + figures + "</div>\n";
    }
  }
  return out;
}

}  // namespace deeptirp::report
