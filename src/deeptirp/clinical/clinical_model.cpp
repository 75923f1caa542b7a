#include "deeptirp/clinical/clinical_model.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "deeptirp/data/predictions.h"
#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/stats/roc.h"

namespace deeptirp::clinical {
namespace {

constexpr const char* kModelJson = "clinical_model.json";
constexpr const char* kFormat = "deeptirp-clinical-model";

std::vector<std::size_t> subset(const std::vector<std::size_t>& rows, const std::vector<int>& fold,
                                int f, bool inside) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if ((fold[i] == f) == inside) out.push_back(rows[i]);
  return out;
}

std::vector<int> labels_of(const Manifest& m, const std::vector<std::size_t>& rows,
                           const std::string& positive) {
  std::vector<int> y;
  for (std::size_t r : rows) y.push_back(positive_label(m.cases[r], positive));
  return y;
}

struct Fitted {
  FeatureEncoder encoder;
  std::shared_ptr<Classifier> classifier;
};

// Encoding and model learnt from `rows` only.
Fitted fit_on(const Manifest& m, const std::vector<std::size_t>& rows, const StudyConfig& study,
              const ClinicalConfig& config, const std::string& kind, const Params& params,
              const FitObserver& observer, const std::string& stage) {
  if (observer) observer(stage + ":encoding", rows);
  Fitted f;
  f.encoder = fit_encoder(m, rows, study.numeric_features, study.categorical_features,
                          config.imputation, config.seed);
  if (observer) observer(stage + ":model", rows);
  f.classifier = make_classifier(kind, params, config.seed);
  f.classifier->fit(f.encoder.encode(m, rows, needs_standardising(kind)),
                    labels_of(m, rows, study.positive));
  return f;
}

// Every fold of every draw of the folds: fold_aucs holds draws x folds AUCs, draw by draw.
CandidateScore cross_validate(const Manifest& m, const std::vector<std::size_t>& train,
                              const std::vector<std::vector<int>>& draws, const StudyConfig& study,
                              const ClinicalConfig& config, const std::string& kind,
                              const Params& params, const FitObserver& observer) {
  CandidateScore score{kind, params, {}, 0, 0};
  for (const std::vector<int>& fold : draws) {
    for (int f = 0; f < config.folds; ++f) {
      const auto fit_rows = subset(train, fold, f, false), held = subset(train, fold, f, true);
      const Fitted fitted = fit_on(m, fit_rows, study, config, kind, params, observer, "cv");
      if (observer) observer("cv:score", held);
      const std::vector<double> p =
          fitted.classifier->predict(fitted.encoder.encode(m, held, needs_standardising(kind)));
      std::vector<int> y = labels_of(m, held, study.positive);
      score.fold_aucs.push_back(stats::auc(stats::split_by_label(p, y)));
    }
  }
  double sum = 0, squares = 0;
  for (double a : score.fold_aucs) sum += a;
  score.auc_mean = sum / score.fold_aucs.size();
  for (double a : score.fold_aucs) squares += (a - score.auc_mean) * (a - score.auc_mean);
  score.auc_sd = std::sqrt(squares / std::max<std::size_t>(1, score.fold_aucs.size() - 1));
  return score;
}

nlohmann::json table_json(const std::vector<CandidateScore>& table) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : table)
    out.push_back({{"kind", s.kind},
                   {"params", s.params},
                   {"auc_mean", s.auc_mean},
                   {"auc_sd", s.auc_sd},
                   {"fold_aucs", s.fold_aucs}});
  return out;
}

}  // namespace

int positive_label(const Case& c, const std::string& positive) { return c.label == positive; }

ClinicalModel fit_clinical(const Manifest& m, const StudyConfig& study,
                           const ClinicalConfig& config, const FitObserver& observer,
                           const std::function<void(const CandidateScore&)>& progress) {
  if (study.positive.empty())
    throw Error(study.path.string() + ": key 'positive': the study names no positive class");
  const std::vector<std::size_t> train = cases_in_split(m, "train");
  if (train.empty())
    throw Error(m.path.string() + ": no case in the train split (run `deeptirp split` first)");
  std::vector<std::string> patients;
  for (std::size_t r : train) patients.push_back(m.cases[r].patient_id);
  // The first draw is the seed's own, so `repeats: 1` gives the folds of a single CV.
  const std::vector<int> labels = labels_of(m, train, study.positive);
  std::vector<std::vector<int>> draws;
  for (int d = 0; d < config.repeats; ++d)
    draws.push_back(grouped_folds(patients, labels, config.folds,
                                  d == 0 ? config.seed : mix_seed(config.seed, d)));

  ClinicalModel model;
  const std::vector<std::string> kinds = config.models.empty() ? classifier_kinds() : config.models;
  const CandidateScore* best = nullptr;
  for (const auto& kind : kinds) {
    check_kind(kind, "clinical model");
    for (const Params& params : parameter_grid(kind)) {
      model.table_.push_back(
          cross_validate(m, train, draws, study, config, kind, params, observer));
      if (progress) progress(model.table_.back());
    }
  }
  for (const auto& s : model.table_)  // ties keep the earlier candidate
    if (!best || s.auc_mean > best->auc_mean) best = &s;
  model.kind_ = best->kind;
  model.params_ = best->params;
  model.target_ = study.target;
  model.positive_ = study.positive;
  model.seed_ = config.seed;
  model.folds_ = config.folds;
  model.repeats_ = config.repeats;
  Fitted final = fit_on(m, train, study, config, model.kind_, model.params_, observer, "refit");
  model.encoder_ = std::move(final.encoder);
  model.classifier_ = std::move(final.classifier);
  return model;
}

std::vector<double> ClinicalModel::predict(const Manifest& m,
                                           const std::vector<std::size_t>& rows) const {
  if (!classifier_) throw Error("the clinical model is not fitted");
  if (rows.empty()) return {};
  return classifier_->predict(encoder_.encode(m, rows, needs_standardising(kind_)));
}

void ClinicalModel::save(const std::filesystem::path& folder) const {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw Error(folder.string() + ": cannot create the folder: " + ec.message());
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = 1;
  j["target"] = target_;
  j["positive"] = positive_;
  j["kind"] = kind_;
  j["params"] = params_;
  j["seed"] = seed_;
  j["folds"] = folds_;
  j["repeats"] = repeats_;
  j["standardised"] = needs_standardising(kind_);
  j["features"] = encoder_.to_json();
  j["feature_names"] = encoder_.names();
  j["model"] = classifier_->save(folder);
  j["cv"] = table_json(table_);
  write_file_atomically(folder / kModelJson, j.dump(2) + "\n");
}

ClinicalModel ClinicalModel::load(const std::filesystem::path& folder) {
  const auto path = folder / kModelJson;
  std::ifstream in(path);
  if (!in)
    throw Error(path.string() + ": cannot open the clinical model (run `deeptirp clinical train`)");
  ClinicalModel model;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("format", "") != kFormat)
      throw Error(path.string() + ": not a deeptirp clinical model");
    model.kind_ = j.at("kind").get<std::string>();
    check_kind(model.kind_, path.string() + ": key 'kind'");
    model.params_ = j.at("params");
    model.target_ = j.at("target").get<std::string>();
    model.positive_ = j.at("positive").get<std::string>();
    model.seed_ = j.at("seed").get<std::uint64_t>();
    model.folds_ = j.at("folds").get<int>();
    model.repeats_ = j.value("repeats", 1);  // files written before repeats existed
    model.encoder_ = FeatureEncoder::from_json(j.at("features"), path.string());
    for (const auto& s : j.at("cv"))
      model.table_.push_back(
          {s.at("kind"), s.at("params"), s.at("fold_aucs"), s.at("auc_mean"), s.at("auc_sd")});
    auto classifier = make_classifier(model.kind_, model.params_, model.seed_);
    classifier->load(folder, j.at("model"));
    model.classifier_ = std::move(classifier);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": " + e.what());
  }
  return model;
}

std::string format_params(const Params& params) {
  std::string out;
  for (const auto& [key, value] : params.items())
    out += (out.empty() ? "" : " ") + key + "=" +
           (value.is_string() ? value.get<std::string>() : value.dump());
  return out;
}

std::string format_cv_table(const std::vector<CandidateScore>& table,
                            const std::string& chosen_kind, const Params& chosen_params) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "  %-5s %-48s %-16s\n", "model", "hyper-parameters",
                "CV AUC mean (SD)");
  out << line;
  for (const auto& s : table) {
    const bool chosen = s.kind == chosen_kind && s.params == chosen_params;
    std::snprintf(line, sizeof line, "%s %-5s %-48s %.3f (%.3f)\n", chosen ? "*" : " ",
                  s.kind.c_str(), format_params(s.params).c_str(), s.auc_mean, s.auc_sd);
    out << line;
  }
  return out.str();
}

std::size_t predict_clinical_csv(const std::filesystem::path& model_folder,
                                 const std::filesystem::path& manifest_path,
                                 const std::filesystem::path& out, const std::string& split) {
  const ClinicalModel model = ClinicalModel::load(model_folder);
  StudyConfig study;
  study.target = model.target();
  return write_clinical_predictions(model, read_manifest(manifest_path, study), out, split);
}

std::size_t write_clinical_predictions(const ClinicalModel& model, const Manifest& m,
                                       const std::filesystem::path& out, const std::string& split) {
  const std::vector<std::size_t> rows = cases_in_split(m, split);
  if (rows.empty()) throw Error(m.path.string() + ": no cases in split '" + split + "'");
  write_predictions(out, m, rows, {{"probability", model.predict(m, rows)}});
  return rows.size();
}

}  // namespace deeptirp::clinical
