#include "deeptirp/data/split.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"

namespace deeptirp {
namespace {

// How many of n patients each split gets: floor of the share, then the leftovers to the
// largest remainders (ties to the earlier split), so the counts always sum to n.
std::vector<std::size_t> allocate(std::size_t n, const std::vector<double>& ratios) {
  const double total = std::accumulate(ratios.begin(), ratios.end(), 0.0);
  std::vector<std::size_t> counts(ratios.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t given = 0;
  for (std::size_t i = 0; i < ratios.size(); ++i) {
    const double share = n * ratios[i] / total;
    counts[i] = static_cast<std::size_t>(std::floor(share));
    given += counts[i];
    remainders.push_back({share - counts[i], i});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < n; ++k, ++given) ++counts[remainders[k % ratios.size()].second];
  return counts;
}

}  // namespace

void check_patient_splits(const Manifest& manifest) {
  std::map<std::string, const Case*> first;
  for (const auto& c : manifest.cases) {
    auto [it, inserted] = first.emplace(c.patient_id, &c);
    if (inserted) continue;
    const Case& other = *it->second;
    if (other.split != c.split)
      throw Error(manifest.path.string() + ": patient '" + c.patient_id + "' is in split '" +
                  other.split + "' (line " + std::to_string(other.line) + ") and in '" + c.split +
                  "' (line " + std::to_string(c.line) + ")");
    if (other.centre != c.centre)
      throw Error(manifest.path.string() + ": patient '" + c.patient_id + "' is in centre '" +
                  other.centre + "' (line " + std::to_string(other.line) + ") and in '" + c.centre +
                  "' (line " + std::to_string(c.line) + ")");
  }
}

void assign_splits(Manifest& manifest, const SplitOptions& options) {
  const std::set<std::string> external(options.external_centres.begin(),
                                       options.external_centres.end());
  // A patient's label for stratification: the most frequent label among their images.
  std::map<std::string, std::map<std::string, int>> labels_of;
  std::set<std::string> centres;
  for (auto& c : manifest.cases) {
    centres.insert(c.centre);
    c.split.clear();
    if (!external.count(c.centre)) ++labels_of[c.patient_id][c.label];
  }
  for (const auto& e : options.external_centres)
    if (!centres.count(e))
      throw Error(manifest.path.string() + ": external centre '" + e +
                  "' has no cases (centres present: " +
                  [&] {
                    std::string s;
                    for (const auto& c : centres) s += (s.empty() ? "" : ", ") + c;
                    return s;
                  }() +
                  ")");
  std::map<std::string, std::vector<std::string>> patients_by_label;  // sorted ids per label
  for (const auto& [patient, labels] : labels_of) {
    auto top = std::max_element(labels.begin(), labels.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; });
    patients_by_label[top->first].push_back(patient);
  }
  std::mt19937_64 rng(options.seed);
  const std::vector<double> ratios = {options.ratios.train, options.ratios.validation,
                                      options.ratios.test};
  std::map<std::string, std::string> split_of;
  for (auto& [label, patients] : patients_by_label) {
    shuffle(patients, rng);
    const auto counts = allocate(patients.size(), ratios);
    std::size_t next = 0;
    for (std::size_t s = 0; s < counts.size(); ++s)
      for (std::size_t k = 0; k < counts[s]; ++k) split_of[patients[next++]] = kSplitNames[s];
  }
  for (auto& c : manifest.cases)
    c.split = external.count(c.centre) ? "external_test" : split_of.at(c.patient_id);
  check_patient_splits(manifest);
}

SplitCounts count_splits(const Manifest& manifest) {
  SplitCounts counts;
  for (const auto& c : manifest.cases) ++counts[{c.split, c.label, c.centre}];
  return counts;
}

std::string format_split_counts(const Manifest& manifest) {
  std::set<std::string> labels, centres;
  std::map<std::string, std::set<std::string>> patients;
  for (const auto& c : manifest.cases) {
    labels.insert(c.label);
    centres.insert(c.centre);
    patients[c.split].insert(c.patient_id);
  }
  const SplitCounts counts = count_splits(manifest);
  std::ostringstream out;
  out << "images per split x class x centre\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %-18s %-8s %7s\n", "split", "class", "centre", "images");
  out << line;
  std::vector<std::string> splits = kSplitNames;
  if (patients.count("")) splits.insert(splits.begin(), "");
  for (const auto& split : splits) {
    if (!patients.count(split)) continue;
    int split_total = 0;
    for (const auto& label : labels)
      for (const auto& centre : centres) {
        auto it = counts.find({split, label, centre});
        if (it == counts.end()) continue;
        split_total += it->second;
        std::snprintf(line, sizeof line, "%-14s %-18s %-8s %7d\n",
                      split.empty() ? "(none)" : split.c_str(), label.c_str(), centre.c_str(),
                      it->second);
        out << line;
      }
    std::snprintf(line, sizeof line, "%-14s %-18s %-8s %7d  (%zu patients)\n",
                  split.empty() ? "(none)" : split.c_str(), "all", "", split_total,
                  patients[split].size());
    out << line;
  }
  return out.str();
}

}  // namespace deeptirp
