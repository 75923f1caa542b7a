// The reader study's accuracy side: each reader and each seniority group against the truth, and
// each model against each reader on the cases that reader called.
#include "deeptirp/readers/reader_study.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "deeptirp/error.h"
#include "deeptirp/readers/reader_internal.h"
#include "deeptirp/stats/diagnostic.h"
#include "deeptirp/stats/mcnemar.h"
#include "deeptirp/stats/roc.h"

namespace deeptirp::readers {
namespace {

using detail::number_or_null;
using detail::Rater;
using json = nlohmann::json;
using SetCases = std::vector<const StudyCase*>;

void add_once(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

std::vector<Rater> model_raters(const std::vector<ModelScores>& models) {
  std::vector<Rater> raters;
  for (const ModelScores& m : models) {
    Rater r{m.name, "", {}, m.probability};
    for (const auto& [id, p] : m.probability) r.calls[id] = p >= m.threshold ? 1 : 0;
    raters.push_back(std::move(r));
  }
  return raters;
}

// The readers, in the order first seen, with their calls on the study's cases.
std::vector<Rater> reader_raters(const ReaderCalls& calls, const std::set<std::string>& known,
                                 const std::string& positive) {
  std::vector<Rater> raters;
  std::map<std::string, std::size_t> index;
  for (const ReaderCall& c : calls.calls) {
    if (!known.count(c.case_id)) continue;
    const auto [at, fresh] = index.emplace(c.reader, raters.size());
    if (fresh) raters.push_back({c.reader, c.group, {}, {}});
    Rater& r = raters[at->second];
    if (!r.calls.emplace(c.case_id, c.call == positive ? 1 : 0).second)
      throw Error(calls.path.string() + " line " + std::to_string(c.line) + ": reader " + c.reader +
                  " calls case " + c.case_id + " a second time");
    if (c.confidence) r.scores[c.case_id] = *c.confidence;
  }
  return raters;
}

// A reader's calls on the set as scores 0/1 split by truth (called positive = score >= 0.5).
void add_calls(const Rater& r, const SetCases& set_cases, stats::Classes& out) {
  for (const StudyCase* c : set_cases) {
    const auto call = r.calls.find(c->id);
    if (call != r.calls.end()) (c->label ? out.cases : out.controls).push_back(call->second);
  }
}

// The reader's confidence on the set's cases they called; empty unless they gave it for every
// one of them and both classes occur.
stats::Classes confidence_classes(const Rater& r, const SetCases& set_cases) {
  stats::Classes out;
  for (const StudyCase* c : set_cases) {
    if (!r.calls.count(c->id)) continue;
    const auto score = r.scores.find(c->id);
    if (score == r.scores.end()) return {};
    (c->label ? out.cases : out.controls).push_back(score->second);
  }
  if (out.cases.empty() || out.controls.empty()) return {};
  return out;
}

using stats::interval_json;

// n, accuracy, sensitivity and specificity with Wilson CIs, and the point on the ROC plot.
json metrics_json(const stats::Classes& calls) {
  const stats::DiagnosticMetrics m = stats::diagnostic_metrics(calls, 0.5);
  return {{"n", calls.cases.size() + calls.controls.size()},
          {"accuracy", interval_json(m.accuracy)},
          {"sensitivity", interval_json(m.sensitivity)},
          {"specificity", interval_json(m.specificity)},
          {"fpr", number_or_null(1.0 - m.specificity.value)},
          {"tpr", number_or_null(m.sensitivity.value)}};
}

json reader_json(const Rater& r, const SetCases& set_cases, const std::string& set) {
  stats::Classes calls;
  add_calls(r, set_cases, calls);
  if (calls.cases.empty() && calls.controls.empty()) return nullptr;
  json j = metrics_json(calls);
  j["reader"] = r.name;
  j["group"] = r.group;
  j["set"] = set;
  const stats::Classes confidence = confidence_classes(r, set_cases);
  j["auc"] = confidence.cases.empty() ? json(nullptr) : number_or_null(stats::auc(confidence));
  return j;
}

json group_json(const std::string& group, const std::vector<Rater>& readers,
                const SetCases& set_cases, const std::string& set) {
  stats::Classes calls;
  for (const Rater& r : readers)
    if (r.group == group) add_calls(r, set_cases, calls);
  if (calls.cases.empty() && calls.controls.empty()) return nullptr;
  json j = metrics_json(calls);
  j["group"] = group;
  j["set"] = set;
  return j;
}

double mean(const std::vector<int>& v) {
  double sum = 0;
  for (int x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// The model against the reader on the set's cases the reader called (and the model scored):
// McNemar on being right, and paired DeLong of the model's probability against the reader's
// confidence where the reader gave it.
json versus_json(const Rater& model, const Rater& reader, const SetCases& set_cases,
                 const std::string& set) {
  std::vector<int> model_right, reader_right;
  stats::Classes model_scores, reader_scores;
  for (const StudyCase* c : set_cases) {
    const auto r = reader.calls.find(c->id);
    const auto m = model.calls.find(c->id);
    if (r == reader.calls.end() || m == model.calls.end()) continue;
    model_right.push_back(m->second == c->label);
    reader_right.push_back(r->second == c->label);
    const auto confidence = reader.scores.find(c->id);
    if (confidence == reader.scores.end()) continue;
    (c->label ? model_scores.cases : model_scores.controls).push_back(model.scores.at(c->id));
    (c->label ? reader_scores.cases : reader_scores.controls).push_back(confidence->second);
  }
  if (model_right.empty()) return nullptr;
  const bool paired =
      model_scores.cases.size() + model_scores.controls.size() == model_right.size() &&
      !model_scores.cases.empty() && !model_scores.controls.empty();
  return {{"model", model.name},
          {"reader", reader.name},
          {"set", set},
          {"n", model_right.size()},
          {"model_accuracy", mean(model_right)},
          {"reader_accuracy", mean(reader_right)},
          {"mcnemar_p", number_or_null(stats::mcnemar(model_right, reader_right).p)},
          {"delong_p", paired ? number_or_null(stats::delong_paired(model_scores, reader_scores).p)
                              : json(nullptr)}};
}

void push_unless_null(json& list, json entry) {
  if (!entry.is_null()) list.push_back(std::move(entry));
}

}  // namespace

json reader_study(const std::vector<StudyCase>& cases, const std::vector<ModelScores>& models,
                  const ReaderCalls& calls, const std::string& positive) {
  std::vector<std::string> sets;
  std::set<std::string> known;
  for (const StudyCase& c : cases) {
    add_once(sets, c.set);
    known.insert(c.id);
  }
  const std::vector<Rater> model = model_raters(models);
  const std::vector<Rater> reader = reader_raters(calls, known, positive);
  std::vector<std::string> groups;
  for (const Rater& r : reader) add_once(groups, r.group);
  json out = {{"groups", groups},
              {"readers", json::array()},
              {"group_metrics", json::array()},
              {"versus_models", json::array()},
              {"fleiss", json::array()},
              {"cohen", json::array()}};
  for (const std::string& set : sets) {
    SetCases set_cases;
    std::vector<std::string> ids;
    for (const StudyCase& c : cases) {
      if (c.set != set) continue;
      set_cases.push_back(&c);
      ids.push_back(c.id);
    }
    for (const Rater& r : reader) push_unless_null(out["readers"], reader_json(r, set_cases, set));
    for (const auto& g : groups)
      push_unless_null(out["group_metrics"], group_json(g, reader, set_cases, set));
    for (const Rater& m : model)
      for (const Rater& r : reader)
        push_unless_null(out["versus_models"], versus_json(m, r, set_cases, set));
    detail::add_agreement(ids, set, model, reader, out["fleiss"], out["cohen"]);
  }
  return out;
}

}  // namespace deeptirp::readers
