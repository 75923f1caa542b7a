#pragma once
// A deployable bundle: everything needed to run the study's final models on new radiographs, in
// one folder, with no pickle anywhere:
//   metadata.json        versions, data summary, metrics, thresholds, the parts and their order
//   study.yaml           the study config (target, classes, clinical columns, image options)
//   models/<name>/       each image model: model.safetensors + model.json (its model card)
//   clinical/            the clinical model (clinical_model.json + the model's own file)
//   ensemble/            ensemble.json

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/data/manifest.h"

namespace deeptirp::bundle {

struct BundleSource {
  std::filesystem::path study_yaml;
  std::vector<std::pair<std::string, std::filesystem::path>> image_runs;  // name, run folder (best)
  std::filesystem::path clinical;                                         // clinical model folder
  std::filesystem::path ensemble;                                         // ensemble folder
  std::map<std::string, double> thresholds;  // by part name (image models, clinical, ensemble);
                                             // a part not named gets 0.5
  // Platt's {A, B} by part, fitted on the validation split (evaluate's threshold "calibrated");
  // a part not named has none, and the bundle then gives no calibrated probability for it.
  std::map<std::string, std::vector<double>> platt;
  nlohmann::json metadata;             // merged into metadata.json: data summary, metrics, seeds
  const StudyConfig* study = nullptr;  // study_yaml as already read (the study's), else read
};

// Builds the bundle under a temporary name beside `out`, loads it once as a check, then renames
// it into place (an existing bundle there is replaced; any other existing folder is an Error).
// The parts must agree: every model predicts the study's positive class of its target, and the
// ensemble's parts are the image models, in order, then "clinical".
void export_bundle(const BundleSource& source, const std::filesystem::path& out);

// One case for prediction: the radiograph as read_radiograph gives it (CV_16UC1), its ROI box if
// any (the whole image otherwise), and its clinical values by column ("" or absent = missing).
struct BundleInput {
  cv::Mat radiograph;
  std::optional<RoiBox> roi;
  std::map<std::string, std::string> clinical;
  std::string name;   // for errors (the image file, say)
  std::string image;  // the image as a manifest names it ("" = name): with imputation "random",
                      // a missing clinical value is drawn from it, as in training
};

struct BundlePrediction {
  std::vector<double> image_probabilities;  // in Bundle::image_names() order
  double clinical = 0;
  double ensemble = 0;
  // The ensemble's probability recalibrated by its Platt fit on the study's validation split,
  // absent where the bundle has no fit: what a reader may take as a risk, where `ensemble`
  // only ranks. The threshold gives the same class on either (it was chosen on this scale).
  std::optional<double> calibrated;
  std::string predicted_class;  // by the ensemble's threshold
};

// A case made ready for the models: each image model's input and the clinical row, checked.
// Errors then belong to one case, and the forward passes can take many cases at once (serve).
struct PreparedCase;

// Where on the radiograph one image model found evidence for the positive class: its class
// activation map on the crop it saw (explain_radiograph), put back on the radiograph.
struct BundleHeatMap {
  std::string model;   // the image model explained
  std::string method;  // gradcam | gradcampp | scorecam
  cv::Mat map;         // CV_32FC1 in [0, 1], the radiograph's size, zero outside the crop
};

// One case's prediction from a batch, or why its case has none.
struct BatchPrediction {
  BundlePrediction prediction;
  std::string error;  // "" when `prediction` holds
};

// A loaded bundle. No global state: predict() is const and safe to call from several threads.
// The image models' forward passes only read their weights, but take turns (a per-bundle mutex):
// each already uses every core, and concurrent OpenBLAS calls spin. The clinical classifier,
// whose libraries promise no concurrent prediction, has its own mutex.
class Bundle {
 public:
  // Checks metadata.json's format and version and every file it lists (presence and size), each
  // error naming the file. `precision`: fp32 | bf16 (fp32 where the CPU lacks native bf16).
  static std::shared_ptr<const Bundle> load(const std::filesystem::path& folder,
                                            const std::string& precision = "fp32");
  BundlePrediction predict(const BundleInput& input) const;
  // The two halves of predict(): the per-case work (crop, standardise, check the clinical
  // values; throws Error naming input.name), and one forward pass per image model over every
  // case. Each case's probabilities are those of predict() alone, to float rounding.
  std::shared_ptr<const PreparedCase> prepare(const BundleInput& input) const;
  std::vector<BatchPrediction> predict_batch(
      const std::vector<std::shared_ptr<const PreparedCase>>& cases) const;
  // `model` "" = the first image model; Error naming the known ones for any other unknown name.
  BundleHeatMap heat_map(const BundleInput& input, const std::string& method = "gradcam",
                         const std::string& model = "") const;
  // The first 16 hex digits of metadata.json's SHA-256. metadata.json lists every file's SHA-256,
  // so the id names these exact weights, thresholds and fits: what a result should cite.
  const std::string& id() const;
  const std::vector<std::string>& image_names() const;
  double threshold() const;             // the ensemble's, on BundlePrediction::ensemble
  const std::string& positive() const;  // the class the probabilities are of
  // What loading changed from the request: an image model run in fp32 though bf16 was asked for
  // (no native bf16 on this CPU, or an architecture that refuses it), each naming the model.
  const std::vector<std::string>& notes() const;
  const nlohmann::json& metadata() const;
  // The clinical model's columns (numeric ones are checked to be numbers); absent = missing.
  const std::vector<std::string>& numeric_columns() const;
  const std::vector<std::string>& categorical_columns() const;
  // A categorical column's levels seen in training (sorted); empty for any other column.
  std::vector<std::string> levels(const std::string& column) const;
  ~Bundle();

 private:
  Bundle();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct BundlePredictRequest {
  std::filesystem::path bundle, manifest, out;
  std::string precision = "fp32";
  std::string progress = "auto";  // Progress::parse_mode
};

// `deeptirp predict --bundle`: the manifest needs only an `image` column (DICOM, PNG or JPEG);
// patient_id, ROI box and clinical columns are used when present. CSV columns: image, patient_id,
// <each image model>, clinical, ensemble, calibrated (empty where the bundle has no fit),
// predicted. Returns the number of rows.
// `notes`, if given, receives the loaded bundle's notes (Bundle::notes).
std::size_t predict_bundle(const BundlePredictRequest& request,
                           std::vector<std::string>* notes = nullptr);

}  // namespace deeptirp::bundle
