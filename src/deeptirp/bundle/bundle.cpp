#include "deeptirp/bundle/bundle.h"

#include <torch/torch.h>

#include <cctype>
#include <cmath>
#include <mutex>

#include "deeptirp/bundle/bundle_files.h"
#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/clinical/logistic.h"
#include "deeptirp/data/loader.h"
#include "deeptirp/data/preprocess.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/error.h"
#include "deeptirp/explain/explain.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/io/sha256.h"
#include "deeptirp/io/text.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/models/test_time.h"

namespace deeptirp::bundle {

struct ImagePart {
  std::string name;
  ModelCard card;
  // Read-only after load: in eval mode (batch norm folded, dropout and stochastic depth the
  // identity, no caches) a forward pass writes nothing in the module, so threads share it.
  std::shared_ptr<ImageModel> model;
};

struct PreparedCase {
  std::string name;                // BundleInput::name
  std::vector<at::Tensor> inputs;  // per image model, [1, C, H, W]
  Case clinical;                   // the clinical model's row, in its columns' order
};

struct Bundle::Impl {
  std::filesystem::path folder;
  std::string id;  // Bundle::id
  nlohmann::json metadata;
  std::vector<ImagePart> images;
  std::vector<std::string> image_names, numeric_columns, categorical_columns;
  // One forward pass at a time, though a pass only reads the models: each pass already spreads
  // over every core (intra-op threads), and OpenBLAS's OpenMP build lets one caller at a time
  // use its threads while the others spin: 4 threads calling at once were 15x slower than taking
  // turns (tests/bundle, 2 cores). Preprocessing and the clinical model stay concurrent.
  mutable std::mutex forward_mutex;
  clinical::ClinicalModel clinical;
  // OpenCV's ml models and XGBoost's booster do not promise concurrent prediction (XGBoost keeps
  // its output buffer in the booster); a tabular prediction takes microseconds.
  mutable std::mutex clinical_mutex;
  ensemble::EnsembleModel ensemble;
  double threshold = 0.5;
  std::vector<double> ensemble_platt;  // BundlePrediction::calibrated; empty = none
  std::string positive, negative;
  std::vector<std::string> notes;  // Bundle::notes
};

namespace {

namespace fs = std::filesystem;

ImagePart load_image_model(const fs::path& folder, const std::string& name, Precision precision,
                           std::vector<std::string>& notes) {
  const fs::path dir = folder / image_model_folder(name);
  ImagePart part;
  part.name = name;
  LoadedModel loaded = load_classifier(dir / kWeightsFile);
  part.card = std::move(loaded.card);
  part.model = std::move(loaded.model);
  std::string note;
  prepare_for_inference(*part.model, precision, &note);
  if (!note.empty()) notes.push_back("image model '" + name + "': " + note);
  return part;
}

// The model input [1, C, H, W], as training and `predict --model` prepare it (ImageCache::load).
at::Tensor model_input(const ImagePart& part, const BundleInput& input) {
  const cv::Mat crop =
      preprocess_image(input.radiograph, input.roi, part.card.image_options(), input.name);
  return image_tensor(crop, part.card.norm, part.card.channels).unsqueeze(0);
}

// A NaN compares false with the threshold and would become the negative class: refuse it.
void require_finite(double value, const std::string& image, const std::string& what) {
  if (!std::isfinite(value))
    throw Error(image + ": the " + what + " is " + format_number(value) +
                ", not a number; the bundle's weights or this image are corrupt");
}

}  // namespace

Bundle::Bundle() : impl_(std::make_unique<Impl>()) {}
Bundle::~Bundle() = default;

std::shared_ptr<const Bundle> Bundle::load(const fs::path& folder, const std::string& precision) {
  const Precision wanted = parse_precision(precision);
  std::shared_ptr<Bundle> bundle(new Bundle());
  Impl& b = *bundle->impl_;
  b.folder = folder;
  if (!fs::is_directory(folder)) throw Error(folder.string() + ": no such bundle folder");
  const fs::path path = folder / kMetadataFile;
  const std::string metadata_bytes = read_file_bytes(path);
  BundleMetadata metadata = parse_metadata(metadata_bytes, path);
  b.id = hex_digits(sha256_digest(metadata_bytes)).substr(0, 16);
  check_files(folder, metadata.json["files"]);
  b.metadata = std::move(metadata.json);
  b.image_names = std::move(metadata.image_names);
  b.positive = std::move(metadata.positive);
  b.negative = std::move(metadata.negative);
  b.threshold = metadata.threshold;
  b.ensemble_platt = std::move(metadata.ensemble_platt);
  // Every part's files, listed (and so checked by SHA-256) in metadata.json.
  const auto clinical_json = read_json_file(folder / kClinicalFolder / kClinicalFile);
  const auto clinical_file = clinical_json.contains("model") && clinical_json["model"].is_object()
                                 ? clinical_json["model"].value("file", "")
                                 : std::string();
  for (const auto& file : required_files(b.image_names, clinical_file))
    if (!b.metadata["files"].contains(file))
      throw Error((folder / file).string() + ": the bundle needs it, but metadata.json does not " +
                  "list it with its SHA-256");

  for (const auto& name : b.image_names) {
    b.images.push_back(load_image_model(folder, name, wanted, b.notes));
  }
  b.clinical = clinical::ClinicalModel::load(folder / kClinicalFolder);
  for (const auto& f : b.clinical.encoder().numeric) b.numeric_columns.push_back(f.column);
  for (const auto& f : b.clinical.encoder().categorical) b.categorical_columns.push_back(f.column);
  b.ensemble = ensemble::EnsembleModel::load(folder / kEnsembleFolder);
  std::vector<std::string> parts = b.image_names;
  parts.push_back("clinical");
  if (b.ensemble.names != parts)
    throw Error((folder / kEnsembleFolder / kEnsembleFile).string() +
                ": the ensemble's parts differ from metadata.json's image models + clinical");
  return bundle;
}

std::shared_ptr<const PreparedCase> Bundle::prepare(const BundleInput& input) const {
  const Impl& b = *impl_;
  if (input.radiograph.empty() || input.radiograph.type() != CV_16UC1)
    throw Error(input.name + ": expected a 16-bit grey radiograph (as read_radiograph gives)");
  auto prepared = std::make_shared<PreparedCase>();
  prepared->name = input.name;
  {
    c10::InferenceMode inference;  // per call and per thread: nothing global changes
    for (const auto& part : b.images) prepared->inputs.push_back(model_input(part, input));
  }
  // Laid out as the clinical model's encoder expects; "" is missing and gets the imputation
  // learnt on the training split.
  Case& c = prepared->clinical;
  c.image = input.image.empty() ? input.name : input.image;
  for (const auto* columns : {&b.numeric_columns, &b.categorical_columns}) {
    for (const auto& column : *columns) {
      const auto it = input.clinical.find(column);
      c.clinical.push_back(it == input.clinical.end() ? std::string() : it->second);
    }
  }
  for (std::size_t j = 0; j < b.numeric_columns.size(); ++j) {
    double value = 0;
    if (!c.clinical[j].empty() && !parse_number(c.clinical[j], value))
      throw Error(input.name + ", column '" + b.numeric_columns[j] + "': '" + c.clinical[j] +
                  "' is not a number (leave it empty when unknown)");
  }
  return prepared;
}

namespace {

// [N] logits of one image model for every case, in one forward pass (per TTA view).
at::Tensor batch_logits(const ImagePart& part, std::size_t j,
                        const std::vector<std::shared_ptr<const PreparedCase>>& cases) {
  std::vector<at::Tensor> inputs;
  for (const auto& c : cases) inputs.push_back(c->inputs[j]);
  return tta_logits([&](const at::Tensor& view) { return predict_logits(*part.model, view); },
                    torch::cat(inputs), part.card.tta)
      .select(1, 0)
      .to(torch::kDouble)
      .contiguous();
}

}  // namespace

std::vector<BatchPrediction> Bundle::predict_batch(
    const std::vector<std::shared_ptr<const PreparedCase>>& cases) const {
  const Impl& b = *impl_;
  std::vector<BatchPrediction> out(cases.size());
  if (cases.empty()) return out;
  std::vector<at::Tensor> logits;  // per image model
  {
    c10::InferenceMode inference;
    std::lock_guard<std::mutex> lock(b.forward_mutex);
    for (std::size_t j = 0; j < b.images.size(); ++j)
      logits.push_back(batch_logits(b.images[j], j, cases));
  }
  Manifest rows;
  rows.path = cases.size() == 1 ? cases[0]->name : "a batch of " + std::to_string(cases.size());
  for (const auto* columns : {&b.numeric_columns, &b.categorical_columns})
    for (const auto& column : *columns) rows.clinical_columns.push_back(column);
  std::vector<std::size_t> indices;
  for (const auto& c : cases) {
    indices.push_back(rows.cases.size());
    rows.cases.push_back(c->clinical);
  }
  std::vector<double> clinical;
  {
    std::lock_guard<std::mutex> lock(b.clinical_mutex);
    clinical = b.clinical.predict(rows, indices);
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string& name = cases[i]->name;
    BundlePrediction& p = out[i].prediction;
    try {  // a NaN compares false with the threshold and would become the negative class
      for (std::size_t j = 0; j < b.images.size(); ++j) {
        const double logit = logits[j].data_ptr<double>()[i];
        require_finite(logit, name, "image model '" + b.image_names[j] + "' logit");
        p.image_probabilities.push_back(sigmoid(logit));
      }
      p.clinical = clinical.at(i);
      require_finite(p.clinical, name, "clinical probability");
      std::vector<double> parts = p.image_probabilities;
      parts.push_back(p.clinical);
      p.ensemble = b.ensemble.combine(parts);
      require_finite(p.ensemble, name, "ensemble probability");
      if (!b.ensemble_platt.empty())
        p.calibrated = clinical::calibrate_probability(b.ensemble_platt, p.ensemble);
      p.predicted_class = p.ensemble >= b.threshold ? b.positive : b.negative;
    } catch (const Error& e) {
      out[i] = BatchPrediction{{}, e.what()};
    }
  }
  return out;
}

BundlePrediction Bundle::predict(const BundleInput& input) const {
  BatchPrediction result = predict_batch({prepare(input)}).at(0);
  if (!result.error.empty()) throw Error(result.error);
  return std::move(result.prediction);
}

BundleHeatMap Bundle::heat_map(const BundleInput& input, const std::string& method,
                               const std::string& model) const {
  const Impl& b = *impl_;
  CamOptions options;
  options.method = parse_cam_method(method);
  const ImagePart* part = b.images.empty() ? nullptr : &b.images.front();
  if (!model.empty()) {
    part = nullptr;
    for (const auto& p : b.images)
      if (p.name == model) part = &p;
  }
  if (!part) {
    throw Error("the bundle has no image model '" + model + "' (it has: " + join(b.image_names) +
                ")");
  }
  // The prepared models keep an autograd path for this (models/inference_layers.h); one pass at
  // a time, as for predictions.
  std::lock_guard<std::mutex> lock(b.forward_mutex);
  try {
    CaseExplanation e = explain_radiograph(*part->model, part->card, input.radiograph, input.roi,
                                           options, input.name);
    return {part->name, cam_method_name(options.method), std::move(e.full_map)};
  } catch (const c10::Error& e) {  // LibTorch's own (a bf16 model, say): this case's error
    throw Error(input.name + ": no heat map from image model '" + part->name +
                "': " + e.what_without_backtrace());
  }
}

const std::string& Bundle::id() const { return impl_->id; }
double Bundle::threshold() const { return impl_->threshold; }
const std::string& Bundle::positive() const { return impl_->positive; }
const std::vector<std::string>& Bundle::notes() const { return impl_->notes; }
const std::vector<std::string>& Bundle::image_names() const { return impl_->image_names; }
const nlohmann::json& Bundle::metadata() const { return impl_->metadata; }
const std::vector<std::string>& Bundle::numeric_columns() const { return impl_->numeric_columns; }
const std::vector<std::string>& Bundle::categorical_columns() const {
  return impl_->categorical_columns;
}

std::vector<std::string> Bundle::levels(const std::string& column) const {
  std::vector<std::string> out;
  for (const auto& f : impl_->clinical.encoder().categorical)
    if (f.column == column)
      for (const auto& level : f.levels) out.push_back(level.first);
  return out;
}

}  // namespace deeptirp::bundle
