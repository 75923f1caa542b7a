#pragma once
// A contact sheet of what the model will see: one row per split x class, K preprocessed ROI
// crops each, labelled, so a user can check boxes and preprocessing at a glance.
#include <filesystem>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp {

struct PreviewOptions {
  std::filesystem::path out;  // a PNG, written atomically
  int per_group = 8;          // crops per row: the first K cases of the group, in manifest order
  int cell = 128;             // pixels per crop on the sheet
};

struct PreviewResult {
  int rows = 0;
  int crops = 0;
};

PreviewResult write_preview(const Manifest& manifest, const StudyConfig& config,
                            const PreviewOptions& options);

}  // namespace deeptirp
