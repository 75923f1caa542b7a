#pragma once
// The ensemble: the final probability from the image models' probabilities and the clinical
// model's. Kinds:
//   zmean     the mean of each part's logit standardised by its mean and spread over validation:
//             nothing is fitted to the labels, and no part outweighs another by the scale of its
//             probabilities, so an image model that is sure of itself on the centre it was
//             trained on cannot drown a clinical model that transfers (the default: a validation
//             split of a few dozen cases cannot tell fitted weights apart);
//   halves    zmean with the image models as one part: the mean of their standardised logits,
//             standardised again, is one half and the clinical model the other, so several image
//             models (seeds or architectures that agree) do not outvote the clinical model; with
//             one image model it is zmean;
//   mean      soft voting, the mean probability;
//   weighted  soft voting weighted by each part's AUC on the validation split;
//   stacking  logistic regression (L2 penalty `ridge`) on [logit p_image_1..k, logit p_clinical].
// Every fit uses validation cases only: the image models and the clinical model were fitted on
// the training split, so their validation predictions are out of sample, and the test and external
// sets never enter. The kind is chosen by the AUC of patient-grouped, stratified k-fold
// out-of-fold predictions over the validation split (for `mean`, which fits nothing, that is its
// validation AUC), so a fitted kind is not favoured by scoring it on its own fit; the chosen kind
// is then refitted on the whole validation split. Ties keep the earlier kind in `kinds`.
//
// The study YAML's `ensemble` section:
//   ensemble:
//     kinds: [zmean]   # several: chosen by the out-of-fold AUC over validation
//     folds: 5
//     ridge: 1.0        # stacking's L2 penalty
//     aggregate: none   # none | mean | max: per-patient scores for --per-patient and evaluation
//     seed: 42          # default: the study's seed
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "deeptirp/clinical/folds.h"
#include "deeptirp/clinical/logistic.h"
#include "deeptirp/ensemble/aggregate.h"
#include "deeptirp/ensemble/image_predictions.h"

namespace deeptirp::ensemble {

struct EnsembleConfig {
  std::vector<std::string> kinds = {"zmean"};
  int folds = 5;
  double ridge = 1.0;
  Aggregate aggregate = Aggregate::kNone;
  std::uint64_t seed = 42;
};
EnsembleConfig parse_ensemble_config(const YamlDocument& study, std::uint64_t default_seed);
// Throws Error "<where>: unknown ensemble kind 'X' (known: zmean, halves, mean, weighted,
// stacking)".
void check_ensemble_kind(const std::string& kind, const std::string& where);

struct KindScore {
  std::string kind;
  double cv_auc = 0;  // out-of-fold AUC over the validation split
};

// Component probabilities of the fitted cases: one row per case, one column per part (image
// models in order, then the clinical model).
struct Components {
  std::vector<std::string> names;
  std::vector<std::vector<double>> p;
  std::vector<int> labels;
  std::vector<std::string> patients;
  std::vector<std::size_t> rows;  // manifest rows, for the fit observer
};

class EnsembleModel {
 public:
  double combine(const std::vector<double>& probabilities) const;
  bool on_logits() const;  // a linear map on the parts' logits (`stacking`), not voting weights
  nlohmann::json to_json() const;
  static EnsembleModel from_json(const nlohmann::json& j, const std::string& source);
  void save(const std::filesystem::path& folder) const;  // ensemble.json
  static EnsembleModel load(const std::filesystem::path& folder);

  std::string kind;
  std::vector<std::string> names;
  std::vector<double> weights;          // voting weights (mean: all equal)
  clinical::LogisticFit stacking;       // stacking, and zmean and halves as such a map
  std::vector<double> validation_aucs;  // each part's AUC on the whole validation split
  std::vector<KindScore> selection;     // every candidate kind's CV AUC
  Aggregate aggregate = Aggregate::kNone;
  std::string target, positive;
};

// Fits on `data` (the validation cases); `observer` sees the rows of every fit.
EnsembleModel fit_ensemble(const Components& data, const EnsembleConfig& config,
                           const clinical::FitObserver& observer = {});

std::string format_selection(const EnsembleModel& model);

// The CLI's verbs, on files.
struct EnsembleFitRequest {
  std::filesystem::path config, manifest, clinical, out;
  std::vector<ImageSource> images;
  std::vector<std::string> kinds;  // overrides the config's when not empty
  clinical::FitObserver observer;
};
EnsembleModel fit_ensemble_files(const EnsembleFitRequest& request);
// The same on the study's config, ensemble section and manifest as the caller has read them
// (request.config and request.manifest name them in messages only).
EnsembleModel fit_ensemble_on(const EnsembleFitRequest& request, const StudyConfig& study,
                              EnsembleConfig config, const Manifest& manifest);

struct EnsemblePredictRequest {
  std::filesystem::path model, manifest, clinical, out;
  std::vector<ImageSource> images;
  std::string split;         // empty = every case
  bool per_patient = false;  // one row per patient, by `aggregate` (or the model's; mean if none)
  std::string aggregate;     // empty = the model's
  const Manifest* manifest_read = nullptr;  // the manifest already read (the study's), else read
};
// CSV: image, patient_id, split, <target>, <each image model>, clinical, ensemble (per patient:
// patient_id, split, <target>, images, ...). Returns the number of rows written.
std::size_t predict_ensemble_files(const EnsemblePredictRequest& request);

}  // namespace deeptirp::ensemble
