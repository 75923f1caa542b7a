#pragma once
// Cross-validation folds and the observer that lets tests see which cases every fit used.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace deeptirp::clinical {

// Called by every fit (imputation, encoding, each CV fold, the refit, the ensemble's meta-model)
// with the stage's name and the manifest rows it learnt from. The leakage tests assert that no
// test or external_test row is ever among them.
using FitObserver =
    std::function<void(const std::string& stage, const std::vector<std::size_t>& rows)>;

// The fold (0 .. k-1) of each item. Patients are the unit, so no patient spans two folds; a
// patient counts as positive when any of its items is. Within each class the patients, sorted by
// id, are shuffled with the seed (our own Fisher-Yates on mt19937_64, see data/rng.h) and dealt
// round-robin, so the folds are stratified. Throws when a class has fewer patients than k.
std::vector<int> grouped_folds(const std::vector<std::string>& patients,
                               const std::vector<int>& labels, int k, std::uint64_t seed);

}  // namespace deeptirp::clinical
