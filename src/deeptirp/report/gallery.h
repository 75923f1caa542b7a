#pragma once
// The heat-map gallery: each model's and method's right and wrong cases, the PNGs embedded in
// the page as data: URIs so that the report stands alone.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace deeptirp::report {

// A PNG scaled so that its longer side is `thumbnail` pixels, as "data:image/png;base64,...".
// Throws Error naming the file when it is missing or unreadable.
std::string thumbnail_data_uri(const std::filesystem::path& png, int thumbnail);

// results' "heatmaps" as HTML, grouped by model and method, right cases before wrong ones; PNG
// paths are relative to `base`. Empty when there are none.
std::string heatmap_gallery(const nlohmann::json& heatmaps, const std::filesystem::path& base,
                            int thumbnail);

}  // namespace deeptirp::report
