#pragma once
// The training engine: the study's recipe (or another preset) on a split manifest, with the best
// checkpoint by validation AUC kept beside the last, resumable after any interruption.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/train/train_config.h"

namespace deeptirp {

struct TrainResult {
  std::filesystem::path run;
  std::filesystem::path cache;  // the decoded crops, which predict can reuse (ImageCache)
  int epochs_done = 0;
  int best_epoch = -1;  // 1-based
  double best_metric = 0;
  nlohmann::json history;  // one object per epoch: lr, train_loss, val_loss, val_auc, ...
  bool writes = true;      // false on data-parallel ranks other than 0, which write nothing
};

struct TrainControl {
  bool resume = false;  // continue from <out>/last.json
  int stop_after = 0;   // end this call after this many epochs (tests: an interruption)
  // What the caller has read already (the study passes its own): then config.study and
  // config.manifest are not read again. Both must outlive the call.
  const StudyConfig* study = nullptr;
  const Manifest* manifest = nullptr;
};

// Checks everything it can before the first step (config, manifest, both classes in train and
// validation, every image readable) and throws Error naming the problem.
TrainResult train(const TrainConfig& config, const TrainControl& control = {});

}  // namespace deeptirp
