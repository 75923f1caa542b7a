#pragma once
// The training configuration of the trainer's tests: cpu-quick, EfficientNet-B0 at 64 px, batch 8,
// on a synthetic study's folder (manifest.csv, data/study.yaml), quiet.
#include <filesystem>
#include <string>

#include "deeptirp/train/train_config.h"

namespace deeptirp::testing {

inline TrainConfig small_config(const std::filesystem::path& study_dir, const std::string& run) {
  TrainConfig c = train_preset("cpu-quick");
  c.manifest = (study_dir / "manifest.csv").string();
  c.study = (study_dir / "data/study.yaml").string();
  c.out = (study_dir / run).string();
  c.model = "efficientnet_b0";
  c.image_size = 64;
  c.batch_size = 8;
  c.workers = 2;
  c.threads = 2;
  c.log = "quiet";
  return c;
}

}  // namespace deeptirp::testing
