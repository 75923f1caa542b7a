#include "deeptirp/data/preprocess.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"

namespace deeptirp {

cv::Rect crop_rect(cv::Size size, const std::optional<RoiBox>& roi, double margin,
                   const std::string& name) {
  if (!roi) return cv::Rect(0, 0, size.width, size.height);
  const int grow = static_cast<int>(std::lround(margin * std::max(roi->width(), roi->height())));
  const int x0 = std::max(roi->x0 - grow, 0), y0 = std::max(roi->y0 - grow, 0);
  const int x1 = std::min(roi->x1 + grow, size.width), y1 = std::min(roi->y1 + grow, size.height);
  if (roi->x0 >= size.width || roi->y0 >= size.height || x1 <= x0 || y1 <= y0)
    throw Error(name + ": the ROI box (" + std::to_string(roi->x0) + ", " +
                std::to_string(roi->y0) + ")-(" + std::to_string(roi->x1) + ", " +
                std::to_string(roi->y1) + ") lies outside the " + std::to_string(size.width) + "x" +
                std::to_string(size.height) + " image");
  return cv::Rect(x0, y0, x1 - x0, y1 - y0);
}

cv::Mat preprocess_image(const cv::Mat& image, const std::optional<RoiBox>& roi,
                         const ImageOptions& options, const std::string& name) {
  if (image.type() != CV_16UC1) throw Error(name + ": expected a 16-bit grey image");
  const cv::Mat crop = image(crop_rect(image.size(), roi, options.roi_margin, name));
  // Stretched to the square input, as the study resized its ROI crops to 224x224: every pixel of
  // the box is kept and train and test are distorted alike; padding would spend input pixels on
  // nothing for elongated lesions. INTER_AREA averages when shrinking (no aliasing of film grain);
  // OpenCV's INTER_AREA is bilinear anyway once a side is enlarged, so say so explicitly.
  const bool shrinking = crop.cols >= options.size && crop.rows >= options.size;
  cv::Mat out;
  cv::resize(crop, out, cv::Size(options.size, options.size), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

NormStats compute_norm_stats(const Manifest& manifest, ImageCache& cache) {
  NormStats stats;
  double sum = 0, sum_sq = 0;
  for (const auto& c : manifest.cases) {
    if (c.split != "train") continue;
    const cv::Mat image = cache.get(manifest.image_path(c), c.roi);
    // Per-image sums in [0, 1] units, then in manifest order: the same on every run.
    cv::Mat unit;
    image.convertTo(unit, CV_64F, 1.0 / 65535.0);
    sum += cv::sum(unit)[0];
    sum_sq += unit.dot(unit);
    stats.pixels += image.total();
    ++stats.images;
  }
  if (stats.images == 0)
    throw Error(manifest.path.string() +
                ": no training cases for the normalisation statistics (run `deeptirp split` "
                "first)");
  const double n = static_cast<double>(stats.pixels);
  stats.mean = sum / n;
  stats.std = std::sqrt(std::max(sum_sq / n - stats.mean * stats.mean, 0.0));
  if (stats.std < 1e-6) throw Error(manifest.path.string() + ": the training images are blank");
  return stats;
}

void save_norm_stats(const std::filesystem::path& path, const NormStats& stats) {
  nlohmann::json j = {{"format", "deeptirp-normalisation"},
                      {"version", 1},
                      {"mean", stats.mean},
                      {"std", stats.std},
                      {"images", stats.images},
                      {"pixels", stats.pixels}};
  write_file_atomically(path, j.dump(2) + "\n");
}

NormStats load_norm_stats(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the normalisation statistics");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || j.value("format", "") != "deeptirp-normalisation")
    throw Error(path.string() + ": not a deeptirp normalisation file");
  NormStats stats;
  try {
    stats.mean = j.at("mean").get<double>();
    stats.std = j.at("std").get<double>();
    stats.images = j.at("images").get<std::size_t>();
    stats.pixels = j.at("pixels").get<std::size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": " + e.what());
  }
  if (!(stats.std > 0)) throw Error(path.string() + ": key 'std' must be positive");
  return stats;
}

Flips draw_flips(std::mt19937_64& generator, const ImageOptions& options) {
  const bool h = bernoulli(generator, 0.5), v = bernoulli(generator, 0.5);
  return {options.hflip && h, options.vflip && v};
}

cv::Mat apply_flips(const cv::Mat& image, Flips flips) {
  cv::Mat out;
  if (flips.horizontal && flips.vertical)
    cv::flip(image, out, -1);
  else if (flips.horizontal)
    cv::flip(image, out, 1);
  else if (flips.vertical)
    cv::flip(image, out, 0);
  else
    out = image;
  return out;
}

void write_chw(const cv::Mat& image, const NormStats& stats, int channels, float* out) {
  CV_Assert(image.type() == CV_16UC1);
  const float scale = static_cast<float>(1.0 / (65535.0 * stats.std));
  const float shift = static_cast<float>(stats.mean / stats.std);
  const std::size_t plane = image.total();
  float* p = out;
  for (int y = 0; y < image.rows; ++y) {
    const auto* row = image.ptr<std::uint16_t>(y);
    for (int x = 0; x < image.cols; ++x) *p++ = row[x] * scale - shift;
  }
  for (int c = 1; c < channels; ++c) std::copy(out, out + plane, out + c * plane);
}

}  // namespace deeptirp
