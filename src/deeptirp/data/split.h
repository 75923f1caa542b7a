#pragma once
// The study's split: patients of the internal centre(s) go 7:1:2 into train, validation and test,
// stratified by label; the centres named external become the external test set.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp {

struct SplitOptions {
  SplitRatios ratios;
  std::uint64_t seed = 42;
  std::vector<std::string> external_centres;
};

// Sets Case::split for every case. Patients are the unit: all images of a patient share one split.
// Within each label, patients (sorted by id, so the row order does not matter) are shuffled with
// the seed and cut by the ratios with largest-remainder rounding. Same manifest and seed, same
// split.
void assign_splits(Manifest& manifest, const SplitOptions& options);

// Throws Error naming a patient found in two splits (or in two centres).
void check_patient_splits(const Manifest& manifest);

// Images per (split, label, centre), and the same as a printable table.
using SplitCounts = std::map<std::tuple<std::string, std::string, std::string>, int>;
SplitCounts count_splits(const Manifest& manifest);
std::string format_split_counts(const Manifest& manifest);

}  // namespace deeptirp
