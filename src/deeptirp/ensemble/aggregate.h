#pragma once
// Per-patient scores: a patient's images (views) reduced to one row by the mean or the maximum of
// each score column, before patient-level metrics. Used by `deeptirp ensemble predict
// --per-patient` and by the evaluation.
#include <string>
#include <vector>

namespace deeptirp::ensemble {

enum class Aggregate { kNone, kMean, kMax };

// "none", "mean" or "max"; anything else is an Error naming `where`.
Aggregate parse_aggregate(const std::string& text, const std::string& where);
std::string aggregate_name(Aggregate how);

struct ScoredRow {
  std::string image;  // empty in a patient row
  std::string patient_id;
  std::string split;
  std::string label;
  std::vector<double> scores;  // one per score column
  int images = 1;              // images behind this row
};

// One row per patient, in the order patients first appear; kNone returns the rows as they are.
// A patient whose images disagree on split or label is an Error naming the patient.
std::vector<ScoredRow> aggregate_by_patient(const std::vector<ScoredRow>& rows, Aggregate how);

}  // namespace deeptirp::ensemble
