// export_bundle: the study's final models, copied into one self-contained folder.
#include <torch/version.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <set>

#include "deeptirp/bundle/bundle.h"
#include "deeptirp/bundle/bundle_files.h"
#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/data/predictions.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/text.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/version.h"

namespace deeptirp::bundle {
namespace {

namespace fs = std::filesystem;

struct ImageRun {
  std::string name;
  fs::path weights;  // a model file (a run's best checkpoint: model.safetensors + model.json)
  ModelCard card;
};

// Names become folder names and CSV columns (check_part_name).
void check_image_name(const std::string& name, const std::set<std::string>& taken,
                      const StudyConfig& study) {
  check_part_name(name, study.target, "bundle: image model");
  if (taken.count(name)) throw Error("bundle: image model name '" + name + "' is given twice");
}

void check_predicts(const std::string& what, const std::string& target, const std::string& positive,
                    const StudyConfig& study) {
  if (target != study.target || positive != study.positive)
    throw Error(what + " predicts '" + positive + "' of '" + target + "', the study (" +
                study.path.string() + ") '" + study.positive + "' of '" + study.target + "'");
}

std::vector<ImageRun> image_runs(const BundleSource& source, const StudyConfig& study) {
  if (source.image_runs.empty()) throw Error("bundle: no image model to export");
  std::vector<ImageRun> runs;
  std::set<std::string> taken;
  for (const auto& [name, run] : source.image_runs) {
    check_image_name(name, taken, study);
    taken.insert(name);
    ImageRun r{name, resolve_model_file(run), {}};
    const auto card_path = model_card_path(r.weights);
    r.card = read_model_card(card_path);
    r.card.check_classifier(card_path.string());
    check_predicts(card_path.string(), r.card.target, r.card.positive, study);
    runs.push_back(std::move(r));
  }
  return runs;
}

void check_ensemble_parts(const ensemble::EnsembleModel& model, const fs::path& folder,
                          const std::vector<ImageRun>& runs) {
  std::vector<std::string> parts;
  for (const auto& r : runs) parts.push_back(r.name);
  parts.push_back("clinical");
  if (model.names != parts)
    throw Error((folder / kEnsembleFile).string() + ": the ensemble was fitted on the parts " +
                "[" + join(model.names) + "], but the bundle's are [" + join(parts) + "]" +
                " (image models in order, then clinical)");
}

nlohmann::json thresholds_of(const BundleSource& source, const std::vector<ImageRun>& runs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& r : runs) out[r.name] = 0.5;
  out["clinical"] = 0.5;
  out["ensemble"] = 0.5;
  for (const auto& [part, value] : source.thresholds) {
    if (!out.contains(part))
      throw Error("bundle: a threshold for '" + part + "', which is no part");
    if (!(value >= 0 && value <= 1))
      throw Error("bundle: the threshold of '" + part + "' must lie in [0, 1]");
    out[part] = value;
  }
  return out;
}

// {"<part>": {"platt": [A, B]} or null}, every part named.
nlohmann::json calibration_of(const BundleSource& source, const std::vector<ImageRun>& runs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& r : runs) out[r.name] = nullptr;
  out["clinical"] = nullptr;
  out["ensemble"] = nullptr;
  for (const auto& [part, ab] : source.platt) {
    if (!out.contains(part))
      throw Error("bundle: a Platt fit for '" + part + "', which is no part");
    if (ab.size() != 2 || !std::isfinite(ab[0]) || !std::isfinite(ab[1]))
      throw Error("bundle: the Platt fit of '" + part + "' must be two finite numbers {A, B}");
    out[part] = {{"platt", ab}};
  }
  return out;
}

nlohmann::json metadata_of(const BundleSource& source, const StudyConfig& study,
                           const std::vector<ImageRun>& runs,
                           const clinical::ClinicalModel& clinical,
                           const ensemble::EnsembleModel& ensemble) {
  nlohmann::json j;
  j["format"] = kFormat;
  j["format_version"] = kFormatVersion;
  j["deeptirp_version"] = kVersion;
  j["libtorch_version"] = TORCH_VERSION;
  j["target"] = study.target;
  j["positive"] = study.positive;
  j["classes"] = study.classes;
  nlohmann::json images = nlohmann::json::array(), options = nlohmann::json::object();
  for (const auto& r : runs) {
    images.push_back(r.name);
    options[r.name] = model_card_json(r.card);
  }
  j["parts"] = {{"image_models", images},
                {"clinical", {{"kind", clinical.kind()}}},
                {"ensemble", {{"kind", ensemble.kind}}}};
  j["image_models"] = options;
  std::vector<std::string> numeric, categorical;
  for (const auto& f : clinical.encoder().numeric) numeric.push_back(f.column);
  for (const auto& f : clinical.encoder().categorical) categorical.push_back(f.column);
  j["clinical_columns"] = {{"numeric", numeric},
                           {"categorical", categorical},
                           {"imputation", clinical.encoder().imputation}};
  j["thresholds"] = thresholds_of(source, runs);
  j["calibration"] = calibration_of(source, runs);
  if (!source.metadata.is_null() && !source.metadata.is_object())
    throw Error("bundle: the source metadata must be a JSON object");
  for (const auto& [key, value] : source.metadata.items()) {
    if (j.contains(key) || key == "files")
      throw Error("bundle: metadata key '" + key + "' is the bundle's own");
    j[key] = value;
  }
  return j;
}

void copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (!ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec)
    throw Error(from.string() + ": cannot copy into the bundle (" + to.string() +
                "): " + ec.message());
}

// The temporary folder the bundle is built in; removed unless it was moved into place.
class Staging {
 public:
  explicit Staging(const fs::path& out)
      : path_(out.string() + ".tmp-" + std::to_string(::getpid())) {
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::create_directories(path_, ec);
    if (ec) throw Error(path_.string() + ": cannot create the folder: " + ec.message());
  }
  ~Staging() {
    std::error_code ec;
    if (!moved_) fs::remove_all(path_, ec);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  const fs::path& path() const { return path_; }
  void moved() { moved_ = true; }

 private:
  fs::path path_;
  bool moved_ = false;
};

// Moves the finished bundle to `out`. An existing bundle there is set aside first and removed
// only once the new one is in place; a folder that is not a bundle is never touched.
void put_in_place(Staging& staging, const fs::path& out) {
  std::error_code ec;
  const bool exists = fs::exists(out, ec);
  fs::path old;
  if (exists) {
    const bool empty_folder = fs::is_directory(out, ec) && fs::is_empty(out, ec);
    if (!empty_folder) {
      std::ifstream in(out / kMetadataFile);
      const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
      if (!j.is_object() || j.value("format", "") != kFormat)
        throw Error(out.string() + ": exists and is not a deeptirp bundle; not replacing it");
    }
    old = out.string() + ".old-" + std::to_string(::getpid());
    fs::remove_all(old, ec);
    fs::rename(out, old, ec);
    if (ec) throw Error(out.string() + ": cannot move the old bundle aside: " + ec.message());
  }
  fs::rename(staging.path(), out, ec);
  if (ec) {
    std::error_code ignored;
    if (!old.empty()) fs::rename(old, out, ignored);
    throw Error(out.string() + ": cannot move the bundle into place: " + ec.message());
  }
  staging.moved();
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace

void export_bundle(const BundleSource& source, const fs::path& out) {
  const StudyConfig study = source.study ? *source.study : load_study_config(source.study_yaml);
  if (study.positive.empty())
    throw Error(source.study_yaml.string() + ": key 'positive': the study names no positive class");
  const std::vector<ImageRun> runs = image_runs(source, study);
  const auto clinical = clinical::ClinicalModel::load(source.clinical);
  check_predicts((source.clinical / kClinicalFile).string(), clinical.target(), clinical.positive(),
                 study);
  const auto clinical_json = read_json_file(source.clinical / kClinicalFile);
  const std::string clinical_model_file = clinical_json.at("model").value("file", "");
  if (clinical_model_file.empty())
    throw Error((source.clinical / kClinicalFile).string() + ": key 'model' names no file");
  const auto ensemble = ensemble::EnsembleModel::load(source.ensemble);
  check_predicts((source.ensemble / kEnsembleFile).string(), ensemble.target, ensemble.positive,
                 study);
  check_ensemble_parts(ensemble, source.ensemble, runs);
  nlohmann::json metadata = metadata_of(source, study, runs, clinical, ensemble);

  Staging staging(out);
  const fs::path& dir = staging.path();
  copy_into(source.study_yaml, dir / kStudyFile);
  std::vector<std::string> names;
  for (const auto& r : runs) {
    names.push_back(r.name);
    const fs::path to = dir / image_model_folder(r.name);
    copy_into(r.weights, to / kWeightsFile);
    write_model_card(to / kCardFile, r.card);  // in this version's form, whatever the run's was
  }
  copy_into(source.clinical / kClinicalFile, dir / kClinicalFolder / kClinicalFile);
  copy_into(source.clinical / clinical_model_file, dir / kClinicalFolder / clinical_model_file);
  copy_into(source.ensemble / kEnsembleFile, dir / kEnsembleFolder / kEnsembleFile);
  metadata["files"] = describe_files(dir, required_files(names, clinical_model_file));
  write_file_atomically(dir / kMetadataFile, metadata.dump(2) + "\n");
  Bundle::load(dir);  // a bundle that does not load never replaces one that does
  put_in_place(staging, out);
}

}  // namespace deeptirp::bundle
