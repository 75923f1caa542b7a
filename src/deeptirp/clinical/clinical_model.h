#pragma once
// The clinical model: features learnt on the training split, a hyper-parameter search over the
// model kinds by patient-grouped, stratified k-fold CV on the training split (the folds drawn
// `repeats` times) scored by the mean fold AUC, and the best candidate refitted on the whole
// training split. Saved as DIR/clinical_model.json plus
// the model's own file (OpenCV YAML or XGBoost JSON); no pickle.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "deeptirp/clinical/classifier.h"
#include "deeptirp/clinical/clinical_config.h"
#include "deeptirp/clinical/features.h"
#include "deeptirp/clinical/folds.h"
#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp::clinical {

struct CandidateScore {
  std::string kind;
  Params params;
  std::vector<double> fold_aucs;
  double auc_mean = 0;
  double auc_sd = 0;
};

class ClinicalModel {
 public:
  ClinicalModel() = default;
  // Probability of the positive class for the manifest's `rows`.
  std::vector<double> predict(const Manifest& manifest, const std::vector<std::size_t>& rows) const;
  void save(const std::filesystem::path& folder) const;  // clinical_model.json written last
  static ClinicalModel load(const std::filesystem::path& folder);

  const std::string& kind() const { return kind_; }
  const Params& params() const { return params_; }
  const std::string& target() const { return target_; }
  const std::string& positive() const { return positive_; }
  const std::vector<CandidateScore>& cv_table() const { return table_; }
  const FeatureEncoder& encoder() const { return encoder_; }

 private:
  friend ClinicalModel fit_clinical(const Manifest&, const StudyConfig&, const ClinicalConfig&,
                                    const FitObserver&,
                                    const std::function<void(const CandidateScore&)>&);
  std::string kind_, target_, positive_;
  Params params_;
  std::uint64_t seed_ = 0;
  int folds_ = 0;
  int repeats_ = 1;
  FeatureEncoder encoder_;
  std::shared_ptr<Classifier> classifier_;
  std::vector<CandidateScore> table_;
};

// Fits on the manifest's training split only; `observer` sees the rows of every fit, `progress`
// each candidate's score as it is done.
ClinicalModel fit_clinical(const Manifest& manifest, const StudyConfig& study,
                           const ClinicalConfig& config, const FitObserver& observer = {},
                           const std::function<void(const CandidateScore&)>& progress = {});

// "kind  params  AUC mean (SD)  folds" lines, the chosen one marked.
std::string format_cv_table(const std::vector<CandidateScore>& table,
                            const std::string& chosen_kind, const Params& chosen_params);
std::string format_params(const Params& params);

// 1 = the study's positive class; other values of the target (incl. empty) are negatives.
int positive_label(const Case& c, const std::string& positive);

// `deeptirp clinical predict`: CSV with image, patient_id, split, <target>, probability for every
// case (or one split). Returns the number of rows.
std::size_t predict_clinical_csv(const std::filesystem::path& model_folder,
                                 const std::filesystem::path& manifest_path,
                                 const std::filesystem::path& out, const std::string& split);
// The same for a model and a manifest in memory.
std::size_t write_clinical_predictions(const ClinicalModel& model, const Manifest& manifest,
                                       const std::filesystem::path& out, const std::string& split);

}  // namespace deeptirp::clinical
