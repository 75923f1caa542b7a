#include "deeptirp/data/augment.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "deeptirp/data/preprocess.h"
#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"

namespace deeptirp {
namespace {

// Ranges in the spirit of the radiograph recipes of timm / albumentations (ShiftScaleRotate,
// RandomBrightnessContrast, RandomGamma, GaussianBlur, GaussNoise, CoarseDropout), kept mild
// enough that a lesion's texture survives.
AugmentLevel flips_level() { return {"flips"}; }

AugmentLevel standard_level() {
  AugmentLevel l{"standard"};
  l.rotate_degrees = 10, l.zoom = 1.15, l.aspect = 1.1, l.shift = 0.06;
  l.brightness = 0.05, l.contrast = 0.15, l.gamma = 1.25;
  l.blur_p = 0.2, l.blur_sigma = 1.0, l.noise_p = 0.2, l.noise_sd = 0.02;
  return l;
}

AugmentLevel strong_level() {
  AugmentLevel l{"strong"};
  l.rotate_degrees = 20, l.zoom = 1.3, l.aspect = 1.2, l.shift = 0.1;
  l.brightness = 0.1, l.contrast = 0.3, l.gamma = 1.5;
  l.blur_p = 0.3, l.blur_sigma = 1.5, l.noise_p = 0.3, l.noise_sd = 0.04;
  l.erase_p = 0.3, l.erase_area = 0.15;
  return l;
}

const AugmentLevel kFlips = flips_level(), kStandard = standard_level(), kStrong = strong_level();

double log_uniform(std::mt19937_64& g, double range) {
  return std::exp(uniform(g, -std::log(range), std::log(range)));
}

cv::Rect2d flipped(const cv::Rect2d& box, Flips flips, cv::Size size) {
  cv::Rect2d b = box;
  if (flips.horizontal) b.x = size.width - box.x - box.width;
  if (flips.vertical) b.y = size.height - box.y - box.height;
  return b;
}

// The bounding box of `box` under the 2x3 map m.
cv::Rect2d mapped_box(const cv::Matx23d& m, const cv::Rect2d& box) {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const cv::Point2d p : {box.tl(), box.br(), cv::Point2d(box.x + box.width, box.y),
                              cv::Point2d(box.x, box.y + box.height)}) {
    const double x = m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2);
    const double y = m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2);
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  }
  return cv::Rect2d(x0, y0, x1 - x0, y1 - y0);
}

// A random rotation, zoom, stretch and shift about the crop's centre, made to keep `roi` inside.
cv::Matx23d draw_affine(const AugmentLevel& level, const cv::Rect2d& roi, cv::Size size,
                        std::mt19937_64& g) {
  const double angle = uniform(g, -level.rotate_degrees, level.rotate_degrees) * CV_PI / 180;
  const double zoom = log_uniform(g, level.zoom), aspect = std::sqrt(log_uniform(g, level.aspect));
  const double dx = uniform(g, -level.shift, level.shift) * size.width;
  const double dy = uniform(g, -level.shift, level.shift) * size.height;
  const double cx = size.width / 2.0, cy = size.height / 2.0;
  cv::Matx22d a(std::cos(angle), -std::sin(angle), std::sin(angle), std::cos(angle));
  a = a * cv::Matx22d(zoom * aspect, 0, 0, zoom / aspect);
  auto with = [&](const cv::Matx22d& l, double tx, double ty) {
    return cv::Matx23d(l(0, 0), l(0, 1), cx + tx - l(0, 0) * cx - l(0, 1) * cy,  //
                       l(1, 0), l(1, 1), cy + ty - l(1, 0) * cx - l(1, 1) * cy);
  };
  cv::Rect2d box = mapped_box(with(a, dx, dy), roi);
  // Too big for the crop: shrink the map about the centre until the box fits.
  const double fit = std::min({1.0, size.width / box.width, size.height / box.height});
  a = a * fit;
  box = mapped_box(with(a, dx, dy), roi);
  // Then shift it back in where it sticks out.
  const double tx = dx - std::min(box.x, 0.0) - std::max(box.x + box.width - size.width, 0.0);
  const double ty = dy - std::min(box.y, 0.0) - std::max(box.y + box.height - size.height, 0.0);
  return with(a, tx, ty);
}

// Brightness, contrast, gamma, blur, noise and erasing on [0, 1] floats.
void photometric(cv::Mat& unit, const AugmentLevel& level, std::mt19937_64& g) {
  const double gamma = log_uniform(g, level.gamma);
  const double contrast = uniform(g, 1 - level.contrast, 1 + level.contrast);
  const double brightness = uniform(g, -level.brightness, level.brightness);
  cv::pow(unit, gamma, unit);
  const double mean = cv::mean(unit)[0];
  unit.convertTo(unit, CV_32F, contrast, (1 - contrast) * mean + brightness);
  if (bernoulli(g, level.blur_p)) {
    const double sigma = uniform(g, 0.1, std::max(level.blur_sigma, 0.1));
    cv::GaussianBlur(unit, unit, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT_101);
  }
  if (bernoulli(g, level.noise_p)) {
    const double sd = uniform(g, 0, level.noise_sd);
    for (int y = 0; y < unit.rows; ++y) {
      auto* row = unit.ptr<float>(y);
      for (int x = 0; x < unit.cols; ++x) row[x] += static_cast<float>(normal(g, 0, sd));
    }
  }
  if (bernoulli(g, level.erase_p)) {
    const double area = uniform(g, 0.02, std::max(level.erase_area, 0.02)) * unit.total();
    const double ratio = log_uniform(g, 3.0);
    const int w = std::clamp(static_cast<int>(std::sqrt(area * ratio)), 1, unit.cols);
    const int h = std::clamp(static_cast<int>(std::sqrt(area / ratio)), 1, unit.rows);
    const int x0 = static_cast<int>(uniform_index(g, unit.cols - w + 1));
    const int y0 = static_cast<int>(uniform_index(g, unit.rows - h + 1));
    for (int y = y0; y < y0 + h; ++y) {
      auto* row = unit.ptr<float>(y);
      for (int x = x0; x < x0 + w; ++x) row[x] = static_cast<float>(uniform01(g));
    }
  }
}

}  // namespace

const AugmentLevel& augment_level(const std::string& name) {
  for (const AugmentLevel* level : {&kFlips, &kStandard, &kStrong})
    if (level->name == name) return *level;
  throw Error("train.augment: '" + name + "' is not a level (flips, standard or strong)");
}

Augmented augment_crop(const CachedCrop& crop, const ImageOptions& options,
                       const AugmentLevel& level, std::mt19937_64& generator) {
  // The flips first, with the loader's generator as it always was: `flips` stays the study's.
  const Flips flips = draw_flips(generator, options);
  Augmented out{apply_flips(crop.image, flips), flipped(crop.roi, flips, crop.image.size())};
  if (level.name == kFlips.name) return out;

  const cv::Matx23d m = draw_affine(level, out.roi, out.image.size(), generator);
  cv::Mat warped;
  cv::warpAffine(out.image, warped, m, out.image.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  out.roi = mapped_box(m, out.roi);
  cv::Mat unit;
  warped.convertTo(unit, CV_32F, 1.0 / 65535.0);
  photometric(unit, level, generator);
  // Into a new buffer: without flips out.image still shares the cache's crop, and writing there
  // would change the cached image for every later epoch and every other thread.
  out.image = cv::Mat();
  unit.convertTo(out.image, CV_16U, 65535.0);  // rounds and saturates to [0, 65535]
  return out;
}

}  // namespace deeptirp
