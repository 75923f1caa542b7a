// Agreement in the reader study: Fleiss' kappa within the models, within the readers and over
// both (the study compared the models' kappa with the radiologists'), Cohen's kappa for pairs.
#include <cmath>

#include "deeptirp/readers/reader_internal.h"
#include "deeptirp/stats/agreement.h"

namespace deeptirp::readers::detail {
namespace {

using Raters = std::vector<const Rater*>;

// The raters with at least one call in the set: a model not run on a set is no rater of it.
Raters rating_the_set(const std::vector<Rater>& raters, const std::vector<std::string>& set_cases) {
  Raters out;
  for (const Rater& r : raters) {
    for (const auto& id : set_cases) {
      if (r.calls.count(id)) {
        out.push_back(&r);
        break;
      }
    }
  }
  return out;
}

// ratings[subject][rater] over the set's cases that every rater called.
std::vector<std::vector<std::string>> common_ratings(const Raters& raters,
                                                     const std::vector<std::string>& set_cases) {
  std::vector<std::vector<std::string>> ratings;
  for (const auto& id : set_cases) {
    std::vector<std::string> subject;
    for (const Rater* r : raters) {
      const auto call = r->calls.find(id);
      if (call == r->calls.end()) break;
      subject.push_back(std::to_string(call->second));
    }
    if (subject.size() == raters.size()) ratings.push_back(std::move(subject));
  }
  return ratings;
}

// Kappa compares agreement with chance agreement; when every call is the same the two are equal
// and kappa is 0/0 (one rater who always says the same: 0 by construction, with no test). Such
// entries are reported with a null kappa.
bool one_category(const std::vector<std::vector<std::string>>& ratings) {
  for (const auto& subject : ratings)
    for (const auto& r : subject)
      if (r != ratings.front().front()) return false;
  return true;
}

void add_fleiss(const std::string& name, const Raters& raters,
                const std::vector<std::string>& set_cases, const std::string& set,
                nlohmann::json& fleiss) {
  if (raters.size() < 2) return;
  const auto ratings = common_ratings(raters, set_cases);
  if (ratings.size() < 2) return;
  nlohmann::json entry = {{"raters", name},
                          {"set", set},
                          {"n_raters", raters.size()},
                          {"subjects", ratings.size()},
                          {"kappa", nullptr},
                          {"ci", nullptr},
                          {"p", nullptr}};
  if (!one_category(ratings)) {
    const stats::FleissKappa f = stats::fleiss_kappa(ratings);
    entry["kappa"] = number_or_null(f.kappa);
    entry["ci"] = ci_or_null(f.ci_low, f.ci_high);
    entry["p"] = number_or_null(f.p);
  }
  fleiss.push_back(std::move(entry));
}

void add_cohen(const Rater& a, const Rater& b, const std::vector<std::string>& set_cases,
               const std::string& set, nlohmann::json& cohen) {
  const auto ratings = common_ratings({&a, &b}, set_cases);
  if (ratings.size() < 2) return;
  std::vector<std::string> first, second;
  for (const auto& subject : ratings) {
    first.push_back(subject[0]);
    second.push_back(subject[1]);
  }
  nlohmann::json entry = {{"a", a.name},         {"b", b.name},      {"set", set},
                          {"n", ratings.size()}, {"kappa", nullptr}, {"ci", nullptr}};
  if (!one_category({first}) && !one_category({second})) {
    const stats::CohenKappa k = stats::cohen_kappa(first, second, stats::KappaWeights::kNone);
    entry["kappa"] = number_or_null(k.kappa);
    entry["ci"] = ci_or_null(k.ci_low, k.ci_high);
  }
  cohen.push_back(std::move(entry));
}

}  // namespace

void add_agreement(const std::vector<std::string>& set_cases, const std::string& set,
                   const std::vector<Rater>& models, const std::vector<Rater>& readers,
                   nlohmann::json& fleiss, nlohmann::json& cohen) {
  const Raters m = rating_the_set(models, set_cases), r = rating_the_set(readers, set_cases);
  Raters all = m;
  all.insert(all.end(), r.begin(), r.end());
  add_fleiss("models", m, set_cases, set, fleiss);
  add_fleiss("readers", r, set_cases, set, fleiss);
  if (!m.empty() && !r.empty()) add_fleiss("models+readers", all, set_cases, set, fleiss);
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = i + 1; j < all.size(); ++j)
      add_cohen(*all[i], *all[j], set_cases, set, cohen);
}

}  // namespace deeptirp::readers::detail
