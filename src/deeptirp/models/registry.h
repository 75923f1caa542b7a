#pragma once
// Creates the study's image models by name, with each one's default preprocessing (torchvision's
// ImageClassification preset for its ImageNet weights) and where its stem and head live.
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "deeptirp/models/image_model.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp {

struct ArchitectureInfo {
  std::string name;           // "efficientnet_b3"
  std::string family;         // "efficientnet", "vit", "swin" (map_timm_names' families)
  std::string variant;        // the family's size: "b3" (EfficientNet), "ti" (ViT), "t" (Swin)
  int64_t input_size;         // default crop
  int64_t resize_size;        // resize before the centre crop
  std::string interpolation;  // "bicubic" or "bilinear"
  std::array<double, 3> mean;
  std::array<double, 3> std;
  std::string head_prefix;  // LoadOptions::head_prefix
  std::string stem_weight;  // LoadOptions::stem_weight
};

// All architectures, in --help order.
const std::vector<ArchitectureInfo>& architectures();

// Throws Error naming the known architectures.
const ArchitectureInfo& architecture(const std::string& name);

// options.image_size 0 means the architecture's input_size. Checks num_classes >= 1 and
// in_chans 1 or 3. The model is in training mode with fresh weights.
std::shared_ptr<ImageModel> create_model(const std::string& name, ModelOptions options);

// Adapts (ViT position embeddings), checks and copies `weights` into `model`; a 1000-class head
// is replaced (and reported) when the model has another class count, a 3-channel stem is summed
// for a 1-channel model. Throws Error on anything else that does not match.
LoadReport load_weights(ImageModel& model, const std::string& architecture, StateDict weights,
                        const std::string& source);
LoadReport load_weights(ImageModel& model, const std::string& architecture,
                        const std::filesystem::path& path);

}  // namespace deeptirp
