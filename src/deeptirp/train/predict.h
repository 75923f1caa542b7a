#pragma once
// Predictions of a trained image model on a manifest's cases.
#include <filesystem>
#include <string>

namespace deeptirp {

struct Manifest;

struct PredictRequest {
  std::filesystem::path model;  // as resolve_model_file takes it (models/model_file.h)
  std::filesystem::path manifest;
  const Manifest* manifest_read = nullptr;  // the manifest already read (the study's), else read
  std::filesystem::path out;  // CSV: image, patient_id, split, label, probability, logit
  std::string split;          // only this split; empty = every case
  std::string tta;            // test-time augmentation (models/test_time.h); empty = the card's
  std::string device = "cpu";
  std::string precision = "fp32";
  int workers = 0;
  std::filesystem::path cache_dir;  // decoded crops to reuse and add to (a run's, TrainResult::
                                    // cache); empty = decode every image, in memory only
};

// Returns the number of cases predicted. The manifest's labels may be empty (unknown). On the
// CPU the model runs as prepared for inference (models/inference.h: batch norm folded, bf16
// converted where the CPU has native bf16); `note` says when bf16 fell back to fp32. On CUDA,
// `precision` is autocast's.
std::size_t predict(const PredictRequest& request, std::string* note = nullptr);

}  // namespace deeptirp
