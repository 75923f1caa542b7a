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

namespace {

// [lo, hi) widened to at least `least` around its centre, then moved (not cut) into [0, extent).
void widen_within(int& lo, int& hi, int least, int extent) {
  if (hi - lo >= least) return;
  lo = (lo + hi - least) / 2;
  hi = lo + least;
  if (lo < 0) hi -= lo, lo = 0;
  if (hi > extent) lo -= hi - extent, hi = extent;
}

}  // namespace

cv::Rect crop_rect(cv::Size size, const std::optional<RoiBox>& roi, double margin, double min_crop,
                   const std::string& name) {
  if (!roi) return cv::Rect(0, 0, size.width, size.height);
  const int grow = static_cast<int>(std::lround(margin * std::max(roi->width(), roi->height())));
  int x0 = roi->x0 - grow, y0 = roi->y0 - grow, x1 = roi->x1 + grow, y1 = roi->y1 + grow;
  if (min_crop > 0) {
    const int least = static_cast<int>(std::lround(min_crop * std::min(size.width, size.height)));
    widen_within(x0, x1, least, size.width);
    widen_within(y0, y1, least, size.height);
  }
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, size.width), y1 = std::min(y1, size.height);
  if (roi->x0 >= size.width || roi->y0 >= size.height || x1 <= x0 || y1 <= y0)
    throw Error(name + ": the ROI box (" + std::to_string(roi->x0) + ", " +
                std::to_string(roi->y0) + ")-(" + std::to_string(roi->x1) + ", " +
                std::to_string(roi->y1) + ") lies outside the " + std::to_string(size.width) + "x" +
                std::to_string(size.height) + " image");
  return cv::Rect(x0, y0, x1 - x0, y1 - y0);
}

cv::Rect2d roi_in_crop(const cv::Rect& crop, const std::optional<RoiBox>& roi, int size) {
  if (!roi) return cv::Rect2d(0, 0, size, size);
  const double sx = static_cast<double>(size) / crop.width;
  const double sy = static_cast<double>(size) / crop.height;
  const double x0 = std::clamp<double>(roi->x0 - crop.x, 0, crop.width) * sx;
  const double y0 = std::clamp<double>(roi->y0 - crop.y, 0, crop.height) * sy;
  const double x1 = std::clamp<double>(roi->x1 - crop.x, 0, crop.width) * sx;
  const double y1 = std::clamp<double>(roi->y1 - crop.y, 0, crop.height) * sy;
  return cv::Rect2d(x0, y0, x1 - x0, y1 - y0);
}

namespace {

constexpr const char* kIntensityKinds[] = {"dataset", "per-image", "clahe", "equalize"};
// per-image: the clipping percentiles, and how a z-score is stored in 16 bits.
constexpr double kLowPercentile = 0.01, kHighPercentile = 0.99;
constexpr double kZeroLevel = 32768, kLevelsPerSd = 8192;
// clahe: OpenCV's usual clip limit and tile grid.
constexpr double kClaheClipLimit = 2.0;
constexpr int kClaheTiles = 8;

// The value below which a fraction q of the crop's pixels lie (a 16-bit histogram, exact).
std::uint16_t percentile(const cv::Mat& crop, double q) {
  std::vector<std::size_t> counts(65536, 0);
  for (int y = 0; y < crop.rows; ++y) {
    const auto* row = crop.ptr<std::uint16_t>(y);
    for (int x = 0; x < crop.cols; ++x) ++counts[row[x]];
  }
  const auto wanted = static_cast<std::size_t>(q * static_cast<double>(crop.total()));
  std::size_t seen = 0;
  for (std::size_t v = 0; v < counts.size(); ++v)
    if ((seen += counts[v]) > wanted) return static_cast<std::uint16_t>(v);
  return 65535;
}

cv::Mat per_image_z(const cv::Mat& crop) {
  const double lo = percentile(crop, kLowPercentile), hi = percentile(crop, kHighPercentile);
  cv::Mat clipped;
  crop.convertTo(clipped, CV_64F);
  clipped = cv::max(cv::min(clipped, hi), lo);
  cv::Scalar mean, sd;
  cv::meanStdDev(clipped, mean, sd);
  cv::Mat out;
  // A flat crop (sd 0) becomes the zero level rather than a division by zero.
  const double scale = sd[0] > 1e-9 ? kLevelsPerSd / sd[0] : 0.0;
  clipped.convertTo(out, CV_16U, scale, kZeroLevel - scale * mean[0]);  // saturates at +-4 sd
  return out;
}

// 16 -> 8 bits -> f -> 16 bits (x 257, so that 255 is 65535 again).
template <typename F>
cv::Mat on_eight_bits(const cv::Mat& crop, F f) {
  cv::Mat eight, done, out;
  crop.convertTo(eight, CV_8U, 1.0 / 257.0);
  f(eight, done);
  done.convertTo(out, CV_16U, 257.0);
  return out;
}

}  // namespace

bool is_intensity_kind(const std::string& kind) {
  return std::find(std::begin(kIntensityKinds), std::end(kIntensityKinds), kind) !=
         std::end(kIntensityKinds);
}

std::string intensity_kinds_text() { return "dataset, per-image, clahe or equalize"; }

cv::Mat standardise_intensity(const cv::Mat& crop, const std::string& kind) {
  CV_Assert(crop.type() == CV_16UC1);
  if (kind == "dataset") return crop;
  if (kind == "per-image") return per_image_z(crop);
  if (kind == "clahe")
    return on_eight_bits(crop, [](const cv::Mat& in, cv::Mat& out) {
      cv::createCLAHE(kClaheClipLimit, cv::Size(kClaheTiles, kClaheTiles))->apply(in, out);
    });
  if (kind == "equalize")
    return on_eight_bits(crop, [](const cv::Mat& in, cv::Mat& out) { cv::equalizeHist(in, out); });
  throw Error("image.intensity: '" + kind + "' is not one of " + intensity_kinds_text());
}

cv::Mat preprocess_image(const cv::Mat& image, const std::optional<RoiBox>& roi,
                         const ImageOptions& options, const std::string& name) {
  if (image.type() != CV_16UC1) throw Error(name + ": expected a 16-bit grey image");
  const cv::Mat crop =
      image(crop_rect(image.size(), roi, options.roi_margin, options.min_crop, name));
  // Stretched to the square input, as the study resized its ROI crops to 224x224: every pixel of
  // the box is kept and train and test are distorted alike; padding would spend input pixels on
  // nothing for elongated lesions. INTER_AREA averages when shrinking (no aliasing of film grain);
  // OpenCV's INTER_AREA is bilinear anyway once a side is enlarged, so say so explicitly.
  const bool shrinking = crop.cols >= options.size && crop.rows >= options.size;
  cv::Mat out;
  cv::resize(crop, out, cv::Size(options.size, options.size), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return standardise_intensity(out, options.intensity);
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
