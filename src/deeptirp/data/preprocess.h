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
// side) on every side, clamped to the image; the whole image when there is no ROI. Throws Error
// naming `name` when the box lies outside the image.
cv::Rect crop_rect(cv::Size size, const std::optional<RoiBox>& roi, double margin,
                   const std::string& name);

// Crop and resize a CV_16UC1 radiograph to options.size x options.size, CV_16UC1.
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
