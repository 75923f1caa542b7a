#include "deeptirp/ensemble/aggregate.h"

#include <algorithm>
#include <map>

#include "deeptirp/error.h"

namespace deeptirp::ensemble {

Aggregate parse_aggregate(const std::string& text, const std::string& where) {
  if (text == "none") return Aggregate::kNone;
  if (text == "mean") return Aggregate::kMean;
  if (text == "max") return Aggregate::kMax;
  throw Error(where + ": '" + text + "' is not one of none, mean, max");
}

std::string aggregate_name(Aggregate how) {
  return how == Aggregate::kMean ? "mean" : how == Aggregate::kMax ? "max" : "none";
}

std::vector<ScoredRow> aggregate_by_patient(const std::vector<ScoredRow>& rows, Aggregate how) {
  if (how == Aggregate::kNone) return rows;
  std::vector<ScoredRow> out;
  std::map<std::string, std::size_t> index;
  for (const ScoredRow& r : rows) {
    auto [it, fresh] = index.emplace(r.patient_id, out.size());
    if (fresh) {
      out.push_back(r);
      out.back().image.clear();
      continue;
    }
    ScoredRow& p = out[it->second];
    if (p.split != r.split || p.label != r.label)
      throw Error("patient '" + r.patient_id +
                  "' has images in different splits or with "
                  "different labels ('" +
                  p.split + "'/'" + p.label + "' vs '" + r.split + "'/'" + r.label + "')");
    if (p.scores.size() != r.scores.size()) throw Error("aggregate_by_patient: ragged score rows");
    for (std::size_t k = 0; k < r.scores.size(); ++k)
      p.scores[k] =
          how == Aggregate::kMax ? std::max(p.scores[k], r.scores[k]) : p.scores[k] + r.scores[k];
    p.images += r.images;
  }
  if (how == Aggregate::kMean)
    for (ScoredRow& p : out)
      for (double& s : p.scores) s /= p.images;
  return out;
}

}  // namespace deeptirp::ensemble
