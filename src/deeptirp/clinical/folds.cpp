#include "deeptirp/clinical/folds.h"

#include <map>

#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"

namespace deeptirp::clinical {

std::vector<int> grouped_folds(const std::vector<std::string>& patients,
                               const std::vector<int>& labels, int k, std::uint64_t seed) {
  if (patients.size() != labels.size()) throw Error("grouped_folds: patients and labels differ");
  if (k < 2) throw Error("cross-validation needs at least 2 folds");
  std::map<std::string, int> positive;  // sorted by id: the row order does not matter
  for (std::size_t i = 0; i < patients.size(); ++i)
    positive[patients[i]] = std::max(positive[patients[i]], labels[i] ? 1 : 0);
  std::vector<std::string> by_class[2];
  for (const auto& [id, label] : positive) by_class[label].push_back(id);
  std::map<std::string, int> fold_of;
  int next = 0;
  for (int label = 0; label < 2; ++label) {
    auto& ids = by_class[label];
    if (static_cast<int>(ids.size()) < k)
      throw Error("cross-validation with " + std::to_string(k) + " folds needs at least " +
                  std::to_string(k) + " patients of each class; class " + std::to_string(label) +
                  " has " + std::to_string(ids.size()));
    std::mt19937_64 g(mix_seed(seed, 0xF01D + label));
    shuffle(ids, g);
    for (const auto& id : ids) fold_of[id] = next++ % k;
  }
  std::vector<int> folds(patients.size());
  for (std::size_t i = 0; i < patients.size(); ++i) folds[i] = fold_of[patients[i]];
  return folds;
}

}  // namespace deeptirp::clinical
