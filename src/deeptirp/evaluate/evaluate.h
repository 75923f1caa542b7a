#pragma once
// Evaluation of the study's models on its test sets, as the study reported them: ROC curves and
// AUC with 95% CI, accuracy, sensitivity, specificity, PPV, NPV and F1 at the model's threshold,
// confusion matrices, accuracy per diagnosis, calibration, and each model against the others.
// The result is the "evaluation" part of results.json (docs/results.md).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/yaml_reader.h"

namespace deeptirp::evaluate {

// The study YAML's `evaluate` section:
//   evaluate:
//     sets: [test, external_test]  # the splits evaluated (those with cases)
//     threshold: calibrated        # calibrated | youden on the validation split, or a probability
//     bootstrap: 1000              # replicates of the ROC curve's 95% band
struct EvaluateConfig {
  std::vector<std::string> sets = {"test", "external_test"};
  std::string threshold = "calibrated";
  std::size_t bootstrap = 1000;
  std::uint64_t seed = 42;
};
EvaluateConfig parse_evaluate_config(const YamlDocument& study, std::uint64_t default_seed);

// One part of the study: an image model, the clinical model or the ensemble.
struct Part {
  std::string name;                                // its column in the predictions
  std::string kind;                                // image | clinical | ensemble
  nlohmann::json info = nlohmann::json::object();  // merged into its "models" entry
};

// Every case's probability of each part: one row per manifest case, aligned with its cases.
struct Predictions {
  std::vector<std::string> parts;
  std::vector<std::vector<double>> probability;  // [part][case]
};

// From `deeptirp ensemble predict`'s CSV (image, ..., <each part>); every manifest case must be in
// it, once. Errors name the file, line and column.
Predictions read_predictions(const std::filesystem::path& csv, const Manifest& manifest,
                             const std::vector<std::string>& parts);

// The threshold of each part, by the configured rule:
//   calibrated  Platt scaling fitted on the validation split (P = 1 / (1 + exp(A logit p + B))),
//               and the call "positive" where the calibrated probability reaches the validation
//               split's prevalence: two parameters fitted on every validation case, so a small
//               set cannot put the threshold at one extreme point of its ROC curve, as Youden's J
//               can (the demo's B0 once got 0.984 from 24 validation images);
//   youden      Youden's J on the validation split's ROC curve;
//   a number    that probability.
// Without both classes in validation, 0.5.
struct Threshold {
  double value = 0.5;
  std::vector<double> platt;       // {A, B}: calibrated only
  double prevalence = 0;           // of the validation split: calibrated only
  nlohmann::json to_json() const;  // {"platt": [A, B], "prevalence": ...} or null
};
Threshold part_threshold(const std::vector<double>& probability, const Manifest& manifest,
                         const std::string& positive, const EvaluateConfig& config);

// results.json's "data", "models" and "evaluation" (thresholds in "models").
nlohmann::json evaluate_study(const Manifest& manifest, const std::string& positive,
                              const std::vector<Part>& parts, const Predictions& predictions,
                              const EvaluateConfig& config);

// The study's headline: each part's AUC (95% CI), accuracy, sensitivity and specificity per set,
// as lines for the terminal.
std::string format_headline(const nlohmann::json& results);

// The split x class x centre table: images and patients.
nlohmann::json data_summary(const Manifest& manifest);

// The empirical ROC curve (fpr ascending) and a stratified-bootstrap 95% band of the TPR on an
// FPR grid 0, 0.02, ..., 1.
nlohmann::json roc_points(const std::vector<double>& cases, const std::vector<double>& controls);
nlohmann::json roc_band(const std::vector<double>& cases, const std::vector<double>& controls,
                        std::size_t replicates, std::uint64_t seed);

}  // namespace deeptirp::evaluate
