#pragma once
// What a POST /v1/predict carries, read into a bundle's input. The body is the image itself
// (DICOM, PNG or JPEG, told apart by their bytes, whatever the Content-Type says), or
// multipart/form-data with an `image` part and an optional `case` part, JSON:
//   {"clinical": {"<column>": value, ...}, "roi": {"x0": .., "y0": .., "x1": .., "y1": ..}}
// Clinical values may be numbers, strings or null (missing); a column the bundle does not use
// is an error, so that a misspelt column is never silently ignored.
// With `?heat_map=gradcam` (or gradcampp, scorecam) the answer also carries the heat map: the
// radiograph beside its overlay, as a base64 PNG.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "deeptirp/bundle/bundle.h"

namespace deeptirp::serve {

// Throws Error naming the part and field at fault.
bundle::BundleInput read_case(std::string_view image, std::string_view case_json,
                              const bundle::Bundle& bundle);

// {"model", "method", "png_base64"}: Bundle::heat_map's map on explain's side-by-side picture.
nlohmann::json heat_map_json(const bundle::Bundle& bundle, const bundle::BundleInput& input,
                             const std::string& method);

}  // namespace deeptirp::serve
