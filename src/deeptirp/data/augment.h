#pragma once
// Training augmentation of a cached crop, by named level (train.augment):
//   flips     the study's random flips only (p = 0.5 each, as ImageOptions allows);
//   standard  flips, then a random affine map (rotation, zoom, aspect, shift), brightness,
//             contrast and gamma, and sometimes a slight blur or noise;
//   strong    wider ranges of the same, and random erasing of one rectangle.
// The affine map never moves any part of the ROI box out of the crop: it is shrunk and shifted
// until the box fits, so the lesion is always what the model sees. Every draw comes from the
// generator given (one per seed, epoch and case in the loader), so a run is reproducible and
// independent of the number of loader threads.
#include <opencv2/core.hpp>
#include <random>
#include <string>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp {

struct AugmentLevel {
  std::string name;
  double rotate_degrees = 0;           // uniform in +-
  double zoom = 1;                     // log-uniform in [1/zoom, zoom]
  double aspect = 1;                   // width/height stretch, log-uniform in [1/aspect, aspect]
  double shift = 0;                    // fraction of the crop's side, uniform in +-
  double brightness = 0;               // added, in units of the full range, uniform in +-
  double contrast = 0;                 // factor uniform in [1 - contrast, 1 + contrast]
  double gamma = 1;                    // exponent log-uniform in [1/gamma, gamma]
  double blur_p = 0, blur_sigma = 0;   // Gaussian blur, sigma uniform in (0, blur_sigma]
  double noise_p = 0, noise_sd = 0;    // Gaussian noise, sd uniform in (0, noise_sd]
  double erase_p = 0, erase_area = 0;  // one rectangle of up to this share of the crop
};

// Throws Error naming train.augment for an unknown name.
const AugmentLevel& augment_level(const std::string& name);

struct Augmented {
  cv::Mat image;   // CV_16UC1, the crop's size
  cv::Rect2d roi;  // where the ROI box (its bounding box) now lies
};

Augmented augment_crop(const CachedCrop& crop, const ImageOptions& options,
                       const AugmentLevel& level, std::mt19937_64& generator);

}  // namespace deeptirp
