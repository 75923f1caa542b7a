#include "deeptirp/serve/request.h"

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <opencv2/imgcodecs.hpp>

#include "deeptirp/error.h"
#include "deeptirp/explain/overlay.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/io/radiograph.h"

namespace deeptirp::serve {
namespace {

using nlohmann::json;

// The name a request's image goes by in errors and in the clinical model's random imputation;
// never the DICOM's own identifiers.
const char* const kImageName = "the request's image";

std::string cell_of(const json& value, const std::string& column) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return format_number(value.get<double>());
  throw Error("the `case` part: clinical." + column + " must be a number, a string or null");
}

std::string known_columns(const bundle::Bundle& bundle) {
  std::string out;
  for (const auto* columns : {&bundle.numeric_columns(), &bundle.categorical_columns()})
    for (const auto& column : *columns) out += (out.empty() ? "" : ", ") + column;
  return out.empty() ? "none" : out;
}

void read_clinical(const json& clinical, const bundle::Bundle& bundle, bundle::BundleInput& in) {
  if (!clinical.is_object()) throw Error("the `case` part: `clinical` must be an object");
  for (const auto& [column, value] : clinical.items()) {
    const auto& numeric = bundle.numeric_columns();
    const auto& categorical = bundle.categorical_columns();
    if (std::find(numeric.begin(), numeric.end(), column) == numeric.end() &&
        std::find(categorical.begin(), categorical.end(), column) == categorical.end())
      throw Error("the `case` part: clinical." + column +
                  " is not a column of the bundle's clinical model (" + known_columns(bundle) +
                  ")");
    const std::string cell = cell_of(value, column);
    if (!cell.empty()) in.clinical[column] = cell;
  }
}

RoiBox read_roi(const json& roi) {
  if (!roi.is_object()) throw Error("the `case` part: `roi` must be an object {x0, y0, x1, y1}");
  RoiBox box;
  for (auto [key, field] : {std::pair{"x0", &box.x0}, std::pair{"y0", &box.y0},
                            std::pair{"x1", &box.x1}, std::pair{"y1", &box.y1}}) {
    if (!roi.contains(key) || !roi[key].is_number_integer())
      throw Error(std::string("the `case` part: roi.") + key + " must be an integer (pixels)");
    *field = roi[key].get<int>();
  }
  if (box.x0 < 0 || box.y0 < 0 || box.x1 <= box.x0 || box.y1 <= box.y0)
    throw Error("the `case` part: the ROI box needs 0 <= x0 < x1 and 0 <= y0 < y1");
  return box;
}

}  // namespace

bundle::BundleInput read_case(std::string_view image, std::string_view case_json,
                              const bundle::Bundle& bundle) {
  if (image.empty()) throw Error("the request has no image (an empty body or `image` part)");
  bundle::BundleInput in;
  in.name = kImageName;
  if (!case_json.empty()) {
    const json c = json::parse(case_json.begin(), case_json.end(), nullptr, false);
    if (c.is_discarded() || !c.is_object()) throw Error("the `case` part is not a JSON object");
    for (const auto& [key, value] : c.items()) {
      if (key == "clinical")
        read_clinical(value, bundle, in);
      else if (key == "roi")
        in.roi = read_roi(value);
      else
        throw Error("the `case` part: unknown field `" + key + "` (clinical, roi)");
    }
  }
  in.radiograph = decode_radiograph(image, kImageName);
  return in;
}

namespace {

// RFC 4648 base64, by Boost's iterators over the bytes padded to whole 3-byte groups; the
// padding's characters then become '='.
std::string base64(std::string bytes) {
  using namespace boost::archive::iterators;
  using Encode = base64_from_binary<transform_width<std::string::const_iterator, 6, 8>>;
  const std::size_t pad = (3 - bytes.size() % 3) % 3;
  bytes.append(pad, '\0');
  std::string out(Encode(bytes.cbegin()), Encode(bytes.cend()));
  out.replace(out.size() - pad, pad, pad, '=');
  return out;
}

}  // namespace

json heat_map_json(const bundle::Bundle& bundle, const bundle::BundleInput& input,
                   const std::string& method) {
  const bundle::BundleHeatMap heat = bundle.heat_map(input, method);
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", overlay_side_by_side(input.radiograph, heat.map), png))
    throw Error("the heat map could not be encoded as PNG");
  return {{"model", heat.model},
          {"method", heat.method},
          {"png_base64", base64(std::string(png.begin(), png.end()))}};
}

}  // namespace deeptirp::serve
