// `deeptirp ensemble fit` and `deeptirp ensemble predict` on files.
#include <cstdio>
#include <set>

#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/data/predictions.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/numbers.h"

namespace deeptirp::ensemble {
namespace {

void check_names(const std::vector<ImageSource>& images, const std::string& target) {
  if (images.empty()) throw Error("ensemble: give at least one --image NAME=predictions.csv");
  std::set<std::string> seen;
  for (const auto& s : images) {
    check_part_name(s.name, target, "--image " + s.name + "=...");
    if (!seen.insert(s.name).second)
      throw Error("--image " + s.name + "=...: the name '" + s.name + "' is given twice");
  }
}

Components gather(const Manifest& m, const std::vector<std::size_t>& rows,
                  const std::vector<ImageSource>& images, const clinical::ClinicalModel& clinical,
                  const std::string& positive) {
  Components d;
  d.rows = rows;
  std::vector<std::vector<double>> columns;
  for (const auto& s : images) {
    d.names.push_back(s.name);
    columns.push_back(image_probabilities(s, m, rows));
  }
  d.names.push_back("clinical");
  columns.push_back(clinical.predict(m, rows));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::vector<double> p;
    for (const auto& c : columns) p.push_back(c[i]);
    d.p.push_back(p);
    d.labels.push_back(clinical::positive_label(m.cases[rows[i]], positive));
    d.patients.push_back(m.cases[rows[i]].patient_id);
  }
  return d;
}

}  // namespace

EnsembleModel fit_ensemble_files(const EnsembleFitRequest& r) {
  const YamlDocument yaml = YamlDocument::load(r.config);
  const StudyConfig study = parse_study_config(yaml);
  return fit_ensemble_on(r, study, parse_ensemble_config(yaml, study.seed),
                         read_manifest(r.manifest, study));
}

EnsembleModel fit_ensemble_on(const EnsembleFitRequest& r, const StudyConfig& study,
                              EnsembleConfig config, const Manifest& m) {
  if (!r.kinds.empty()) {
    for (const auto& k : r.kinds) check_ensemble_kind(k, "--kinds");
    config.kinds = r.kinds;
  }
  if (study.positive.empty())
    throw Error(r.config.string() + ": key 'positive': the study names no positive class");
  check_names(r.images, study.target);
  const clinical::ClinicalModel clinical = clinical::ClinicalModel::load(r.clinical);
  if (clinical.target() != study.target || clinical.positive() != study.positive)
    throw Error(r.clinical.string() + ": the clinical model predicts '" + clinical.positive() +
                "' of '" + clinical.target() + "', the study '" + study.positive + "' of '" +
                study.target + "'");
  const std::vector<std::size_t> validation = cases_in_split(m, "validation");
  if (validation.empty())
    throw Error(r.manifest.string() + ": no case in the validation split to fit the ensemble on");
  const Components d = gather(m, validation, r.images, clinical, study.positive);
  EnsembleModel model = fit_ensemble(d, config, r.observer);
  model.target = study.target;
  model.positive = study.positive;
  model.save(r.out);
  return model;
}

std::size_t predict_ensemble_files(const EnsemblePredictRequest& r) {
  const EnsembleModel model = EnsembleModel::load(r.model);
  check_names(r.images, model.target);
  std::vector<std::string> given;
  for (const auto& s : r.images) given.push_back(s.name);
  given.push_back("clinical");
  if (given != model.names) {
    std::string expected;
    for (std::size_t j = 0; j + 1 < model.names.size(); ++j)
      expected += " --image " + model.names[j] + "=...";
    throw Error(r.model.string() + ": the ensemble was fitted on image models" + expected +
                " (in this order)");
  }
  StudyConfig study;
  study.target = model.target;
  const Manifest m = manifest_or_read(r.manifest_read, r.manifest, study);
  const clinical::ClinicalModel clinical = clinical::ClinicalModel::load(r.clinical);
  const std::vector<std::size_t> rows = cases_in_split(m, r.split);
  if (rows.empty()) throw Error(r.manifest.string() + ": no cases in split '" + r.split + "'");
  const Components d = gather(m, rows, r.images, clinical, model.positive);
  if (!r.per_patient) {
    std::vector<PredictionsColumn> columns;
    for (const auto& name : model.names) columns.push_back({name, {}});
    columns.push_back({"ensemble", {}});
    for (const auto& p : d.p) {
      for (std::size_t j = 0; j < p.size(); ++j) columns[j].values.push_back(p[j]);
      columns.back().values.push_back(model.combine(p));
    }
    write_predictions(r.out, m, rows, columns);
    return rows.size();
  }
  std::vector<ScoredRow> scored;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Case& c = m.cases[rows[i]];
    ScoredRow s{c.image, c.patient_id, c.split, c.label, d.p[i], 1};
    s.scores.push_back(model.combine(d.p[i]));
    scored.push_back(std::move(s));
  }
  // One row per patient: its images' scores combined as the ensemble was fitted to (or asked).
  Aggregate how =
      r.aggregate.empty() ? model.aggregate : parse_aggregate(r.aggregate, "--aggregate");
  if (how == Aggregate::kNone) how = Aggregate::kMean;
  scored = aggregate_by_patient(scored, how);
  std::vector<std::string> header = {"patient_id", "split", model.target, "images"};
  header.insert(header.end(), model.names.begin(), model.names.end());
  header.push_back("ensemble");
  std::vector<std::vector<std::string>> table;
  for (const ScoredRow& s : scored) {
    std::vector<std::string> row = {s.patient_id, s.split, s.label, std::to_string(s.images)};
    for (double v : s.scores) row.push_back(format_number(v));
    table.push_back(std::move(row));
  }
  write_csv(r.out, header, table);
  return table.size();
}

}  // namespace deeptirp::ensemble
