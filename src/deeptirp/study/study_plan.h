#pragma once
// What `deeptirp study run` does, read from the study YAML's own sections (the others belong to
// the steps it calls):
//   study:
//     title: "Tumour vs infection"  # the report's title
//     out: study                    # results folder, relative to the YAML's folder
//     table: clinical.csv           # the data: a spreadsheet (`import table`), ...
//     images: .                     #   ... whose relative image paths start here (default: its
//     folder) btxrd: /data/btxrd            # ... or the BTXRD data set (`import btxrd`) with task:
//     benign-vs-malignant     #   its task, ... manifest: manifest.csv        # ... or a manifest
//     already imported (split when it is not)
//   models:                         # the image models (default: the study's EfficientNet-B3)
//     - name: b3                    # its column in predictions and the report
//       architecture: efficientnet_b3
//       preset: paper               # paper | transformer | cpu-quick
//       weights: b3.pth             # pretrained weights (optional)
//       train: {epochs: 50}         # any training field, over the preset and `train:`
//   explain:
//     methods: [gradcam, scorecam]  # heat maps for the report's gallery
//     cases: 2                      # right and as many wrong cases per model, method and set
//     sets: [test, external_test]
//   report:
//     thumbnail: 320                # pixels of the gallery's images

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "deeptirp/data/yaml_reader.h"

namespace deeptirp::study {

struct ImageModelSpec {
  std::string name;
  std::string architecture = "efficientnet_b3";
  std::string preset = "paper";
  std::string weights;             // absolute, or empty
  std::vector<std::string> train;  // "field=value" overrides
};

struct StudyPlan {
  std::filesystem::path yaml;  // the study file
  std::filesystem::path out;
  std::string title = "DeepTIRP study";
  std::filesystem::path table, images, btxrd, manifest;  // one of table, btxrd, manifest
  std::string task = "benign-vs-malignant";
  std::vector<ImageModelSpec> models;
  std::vector<std::string> explain_methods = {"gradcam"};
  int explain_cases = 2;
  std::vector<std::string> explain_sets = {"test", "external_test"};
  int thumbnail = 320;
};

// Strict, as every section: unknown keys and bad values are errors naming the key and the file.
// Relative paths are taken from the YAML's folder; `out` (when not empty) replaces study.out.
// `target` is the study's target column, which no model may be named.
StudyPlan parse_study_plan(const YamlDocument& yaml, const std::filesystem::path& out,
                           const std::string& target);

}  // namespace deeptirp::study
