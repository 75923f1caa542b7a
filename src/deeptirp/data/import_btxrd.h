#pragma once
// Import of the public BTXRD radiograph data set (Yao et al., Scientific Data 2025) into a
// manifest.
#include <filesystem>
#include <string>
#include <vector>

#include "deeptirp/data/manifest.h"

namespace deeptirp {

enum class BtxrdTask {
  kBenignVsMalignant,  // tumour images only: benign | malignant (the study's kind of task)
  kTumourVsNormal,     // every image: tumour | normal
  kSubtype,            // tumour images only: the nine published subtypes
};

BtxrdTask parse_btxrd_task(const std::string& name);  // "benign-vs-malignant", ...

struct BtxrdImport {
  Manifest manifest;
  std::vector<BadRow> skipped;
  int images_without_roi = 0;  // lesion images with neither mask nor annotation: whole image used
  int patients = 0;
};

// Reads `root` in either layout:
//   published: dataset.csv, images/<id>.jpeg, Annotations/<id>.json (LabelMe rectangles/polygons);
//   resized copy: dataset.csv, images/<stem>.png, masks/<stem>.png (255 inside the lesion).
// BTXRD has no patient id. Consecutive rows of dataset.csv with the same centre, age, sex, sites
// and diagnosis (tumour, benign/malignant and subtype) are one pseudo-patient: the data set lists a
// patient's views (frontal, lateral, oblique) one after another, and this keeps them in one split.
BtxrdImport import_btxrd(const std::filesystem::path& root, BtxrdTask task,
                         const std::filesystem::path& out_manifest, bool skip_bad_rows);

}  // namespace deeptirp
