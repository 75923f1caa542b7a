#pragma once
// The model card: what turns a set of weights back into the study's classifier and its input.
// One definition, written and read by one pair of functions, for every place a model lives:
// a training checkpoint (checkpoints/epoch-NNN/model.json), a converted model file (X.json beside
// X.safetensors) and a bundle (models/<name>/model.json). train writes it; predict, explain, the
// bundle and `deeptirp model` read it.
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/data/preprocess.h"

namespace deeptirp {

inline constexpr const char* kModelCardFormat = "deeptirp-model";
// 2: this card. 1 (deeptirp 0.1) was two files: a run's model.json with no "format" key, and a
// converted model's sidecar with "input_size"/"in_chans"; both still load.
inline constexpr int kModelCardVersion = 2;

// The preprocessing that belongs to a set of pretrained weights (torchvision's preset for its
// ImageNet weights), kept with a converted checkpoint as timm keeps it with its weights.
struct WeightsPreset {
  std::array<double, 3> mean{};
  std::array<double, 3> std{};
  std::string interpolation;  // "bicubic" | "bilinear"
};

struct ModelCard {
  std::string architecture;  // a registry name, e.g. "efficientnet_b3"
  int image_size = 224;      // square input
  int channels = 3;          // 1 (grey) or 3 (grey repeated)
  int num_classes = 1;       // 1: one logit for a sigmoid, as in the study
  double roi_margin = 0.1;   // ImageOptions::roi_margin
  double min_crop = 0;       // ImageOptions::min_crop
  // How a crop's pixels become model inputs: the crop's own standardisation
  // (ImageOptions::intensity: dataset, per-image, clahe or equalize), then (x / 65535 - mean) /
  // std with the statistics of the training split's standardised crops.
  std::string normalisation = "dataset";
  NormStats norm;
  std::string target = "label";      // the manifest column the model predicts
  std::string positive;              // its probability is of this class; empty: not a classifier
  std::vector<std::string> classes;  // of the target; or the logits' names for a converted model
  std::optional<WeightsPreset> weights_preset;  // a converted checkpoint's own preprocessing
  std::string tta = "none";  // test-time augmentation of predict and the bundle (test_time.h)
  std::string tool_version;  // the deeptirp that made the model (write_model_card fills it in)

  // The crop this model sees (training flips are the run's, not the model's: the defaults).
  ImageOptions image_options() const;
  // Throws Error naming `source` unless the card is a trained classifier of one logit with a
  // positive class: a converted checkpoint is a starting point for `train`, not a predictor.
  void check_classifier(const std::string& source) const;
};

nlohmann::json model_card_json(const ModelCard& card);
// Reads this card or a deeptirp 0.1 one; an Error names `source` and the key at fault.
ModelCard parse_model_card(const nlohmann::json& doc, const std::string& source);

ModelCard read_model_card(const std::filesystem::path& path);
// Atomically; fills in tool_version when it is empty (a copy keeps the version that made it).
void write_model_card(const std::filesystem::path& path, ModelCard card);

}  // namespace deeptirp
