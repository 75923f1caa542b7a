#pragma once
// Predictions of a trained image model on a manifest's cases.
#include <filesystem>
#include <string>

namespace deeptirp {

struct PredictRequest {
  std::filesystem::path model;     // a run folder (its best checkpoint) or a checkpoint folder
  std::filesystem::path manifest;
  std::filesystem::path out;       // CSV: image, patient_id, split, label, probability, logit
  std::string split;               // only this split; empty = every case
  bool flip_tta = false;           // average over the image and its flips
  std::string device = "cpu";
  std::string precision = "fp32";
  int workers = 0;
};

// Returns the number of cases predicted. The manifest's labels may be empty (unknown). On the
// CPU the model runs as prepared for inference (models/inference.h: batch norm folded, bf16
// converted where the CPU has native bf16); `note` says when bf16 fell back to fp32. On CUDA,
// `precision` is autocast's.
std::size_t predict(const PredictRequest& request, std::string* note = nullptr);

// The checkpoint folder a --model argument names: <run>/best.json's folder, or the folder itself.
std::filesystem::path resolve_model_folder(const std::filesystem::path& model);

}  // namespace deeptirp
