#pragma once
// What the model sees: the ROI crop (box plus margin) resized to the study's square input,
// 16-bit until the final normalisation; the normalisation statistics of the training split; the
// training flips; and the float [C,H,W] layout of a model input.
#include <cstddef>
#include <filesystem>
#include <opencv2/core.hpp>
#include <optional>
#include <random>
#include <string>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp {

class ImageCache;

// The crop of an image of `size` for a case: the ROI box grown by margin * (the box's longer
// side) on every side, clamped to the image; the whole image when there is no ROI. With
// min_crop > 0 each side of the crop is at least min_crop * (the image's shorter side), around
// the box's centre and moved inside the image rather than cut (ImageOptions::min_crop). Throws
// Error naming `name` when the box lies outside the image.
cv::Rect crop_rect(cv::Size size, const std::optional<RoiBox>& roi, double margin, double min_crop,
                   const std::string& name);

// Where the ROI box lies in the crop of `crop` (from crop_rect) once resized to `size` pixels:
// the whole crop when there is no ROI. The augmentation keeps this box inside its output.
cv::Rect2d roi_in_crop(const cv::Rect& crop, const std::optional<RoiBox>& roi, int size);

// ImageOptions::intensity, applied to the resized crop so that a centre whose radiographs are
// darker, flatter or differently processed arrives on a common footing:
//   dataset    nothing here (the training split's mean/std alone, as the study did);
//   per-image  clipped to the crop's own 1st-99th percentiles, then z-scored by the crop's own
//              mean and standard deviation (z in [-4, 4] stored as 32768 + 8192 z);
//   clahe      OpenCV's CLAHE (clip limit 2, 8 x 8 tiles) on 8 bits;
//   equalize   OpenCV's histogram equalisation on 8 bits.
// The two OpenCV modes work on 8 bits: OpenCV's 16-bit CLAHE keeps 65,536 bins per tile, far
// too sparse for its clip limit on a 128-pixel crop, and equalizeHist takes 8 bits only.
bool is_intensity_kind(const std::string& kind);
std::string intensity_kinds_text();  // "dataset, per-image, clahe or equalize"
cv::Mat standardise_intensity(const cv::Mat& crop, const std::string& kind);

// Crop, resize and standardise a CV_16UC1 radiograph to options.size x options.size, CV_16UC1.
cv::Mat preprocess_image(const cv::Mat& image, const std::optional<RoiBox>& roi,
                         const ImageOptions& options, const std::string& name);

// Mean and standard deviation of the training split's preprocessed pixels, in [0, 1] units.
struct NormStats {
  double mean = 0.5;
  double std = 0.25;
  std::size_t images = 0;
  std::size_t pixels = 0;
};

// Over the cases whose split is "train"; throws Error when there are none.
NormStats compute_norm_stats(const Manifest& manifest, ImageCache& cache);
void save_norm_stats(const std::filesystem::path& path, const NormStats& stats);
NormStats load_norm_stats(const std::filesystem::path& path);

struct Flips {
  bool horizontal = false;
  bool vertical = false;
};

// p = 0.5 each where the options allow it, as in the study; always two draws, so the stream of a
// generator does not depend on the options.
Flips draw_flips(std::mt19937_64& generator, const ImageOptions& options);
cv::Mat apply_flips(const cv::Mat& image, Flips flips);

// Writes (x / 65535 - mean) / std as channels x rows x cols floats (grey repeated per channel).
void write_chw(const cv::Mat& image, const NormStats& stats, int channels, float* out);

}  // namespace deeptirp
