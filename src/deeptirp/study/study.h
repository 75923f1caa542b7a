#pragma once
// `deeptirp study run`: the whole study in one command. Stages, in the study's order:
//   data                import (table, BTXRD or a manifest) and the 7:1:2 patient split
//   model:<name>        train each image model, then predict every case
//   clinical            the clinical model, then predict every case
//   ensemble            fit on validation, then predict every case
//   explain:<name>      heat maps of right and wrong test cases
//   evaluate            results.json: ROC/AUC, metrics, subtypes, calibration, the reader study
//   bundle              the deployable bundle
//   report              one self-contained HTML file
// Each stage caches its outputs (stage.h): a rerun skips finished stages, a changed config reruns
// what depends on it, and an interrupted training resumes from its last checkpoint.

#include <filesystem>
#include <string>
#include <vector>

namespace deeptirp::study {

struct StudyRunOptions {
  std::filesystem::path yaml;
  std::filesystem::path out;       // empty = study.out of the YAML
  std::vector<std::string> rerun;  // stages to run even when up to date ("all" for every one)
  std::string device = "cpu";      // for training and prediction
  bool quiet = false;
};

struct StudyRunResult {
  std::filesystem::path out, results, report, bundle;
  int stages_run = 0;
  int stages_cached = 0;
};

StudyRunResult run_study(const StudyRunOptions& options);

}  // namespace deeptirp::study
