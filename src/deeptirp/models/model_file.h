#pragma once
// deeptirp's own model files: the weights as safetensors (MODEL.safetensors) and a JSON sidecar
// (MODEL.json) with what inference needs to reproduce the training setup. No pickle anywhere, so
// loading a model file cannot run code.
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "deeptirp/models/image_model.h"

namespace deeptirp {

struct ModelFileInfo {
  std::string architecture;           // a registry name, e.g. "efficientnet_b3"
  int64_t input_size = 0;
  int64_t in_chans = 3;
  int64_t num_classes = 1;            // 1: a single logit for a sigmoid
  std::array<double, 3> mean{};       // per channel; a 1-channel model uses the first
  std::array<double, 3> std{};
  std::string interpolation;          // "bicubic" / "bilinear"
  std::vector<std::string> classes;   // names: num_classes of them, or 2 with a single logit
  std::string tool_version;           // filled in by save_model_file
};

// The sidecar beside a model file: "x.safetensors" <-> "x.json". Either path may be given.
std::filesystem::path model_weights_path(const std::filesystem::path& path);
std::filesystem::path model_sidecar_path(const std::filesystem::path& path);

// Writes both files atomically (weights first, then the sidecar that makes the pair complete).
void save_model_file(const std::filesystem::path& path, ImageModel& model, ModelFileInfo info);

struct LoadedModel {
  std::shared_ptr<ImageModel> model;  // in eval mode, fp32, not yet prepared for inference
  ModelFileInfo info;
};

// Throws Error naming the file and the key at fault; every tensor must match by name and shape.
LoadedModel load_model_file(const std::filesystem::path& path);

// The sidecar's JSON, parsed and checked (exposed for tests and `model info`).
ModelFileInfo parse_model_sidecar(const std::string& text, const std::string& source);
std::string model_sidecar_json(const ModelFileInfo& info);

}  // namespace deeptirp
