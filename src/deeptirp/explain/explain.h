#pragma once
// Heat maps of a trained image model on a manifest's cases: each case's CAM on the ROI crop the
// model saw, put back where the crop came from on the original radiograph, as a PNG beside the
// plain image, and one row of cams.csv.
#include <cstddef>
#include <filesystem>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/data/manifest.h"
#include "deeptirp/explain/cam.h"
#include "deeptirp/models/image_model.h"
#include "deeptirp/models/model_card.h"

namespace deeptirp {

// One radiograph explained.
struct CaseExplanation {
  double probability = 0;  // the model's probability of the positive class
  cv::Rect crop;           // where the model's input came from, in pixels of the radiograph
  cv::Mat crop_map;        // CV_32FC1 in [0, 1], the model's input size
  cv::Mat full_map;        // CV_32FC1, the radiograph's size, zero outside the crop
};

// `radiograph` CV_16UC1 (read_radiograph); `model` in eval mode, built from `card`. `name`
// identifies the case in errors.
CaseExplanation explain_radiograph(ImageModel& model, const ModelCard& card,
                                   const cv::Mat& radiograph, const std::optional<RoiBox>& roi,
                                   const CamOptions& options, const std::string& name);

struct ExplainRequest {
  std::filesystem::path model;  // as resolve_model_file takes it (models/model_file.h)
  std::filesystem::path manifest;
  const Manifest* manifest_read = nullptr;  // the manifest already read, else `manifest` is read
  std::filesystem::path out;                // gets one PNG per case and cams.csv
  std::string method = "gradcam";           // gradcam | gradcampp | scorecam
  std::string split;                        // only this split; empty = every case
  std::size_t limit = 0;                    // at most this many cases; 0 = all
  bool negative = false;                    // explain the negative class instead of the positive
  int64_t score_batch = 32;                 // Score-CAM masked images per forward pass
  std::string progress = "auto";            // Progress::parse_mode
};

struct ExplainedCase {
  std::size_t row = 0;  // 1-based data row of the manifest
  std::string image;    // the manifest's image column
  std::string png;      // file name under `out`
  double probability = 0;
  // Pixels of the original radiograph; none when the map has no heat (ReLU left nothing: the
  // model finds no evidence for the class explained).
  std::optional<cv::Point> peak;
  std::optional<double> roi_share;  // heat inside the ROI box, when there is heat and a box
};

// Writes the PNGs and cams.csv (each atomically) and returns the rows of cams.csv.
std::vector<ExplainedCase> explain(const ExplainRequest& request);

}  // namespace deeptirp
