#pragma once
// Import of a research group's own spreadsheet (one row per image) into a manifest.
#include <filesystem>
#include <vector>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp {

struct TableImport {
  Manifest manifest;
  std::vector<BadRow> skipped;
};

// Reads `table` (CSV), takes the image, patient, centre, subtype and ROI columns from the names the
// study config's `import` section gives, keeps the target and every other column under its own
// name, and checks each row as read_manifest does. Relative image paths are taken from
// `images_root` (default: the table's folder); a missing image file is a bad row like any other.
TableImport import_table(const std::filesystem::path& table, const StudyConfig& config,
                         const std::filesystem::path& out_manifest,
                         const std::filesystem::path& images_root, bool skip_bad_rows);

}  // namespace deeptirp
