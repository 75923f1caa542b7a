#pragma once
// Pieces of the reader study shared by reader_study.cpp and reader_agreement.cpp.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "deeptirp/stats/stats_json.h"

namespace deeptirp::readers::detail {

// A rater's calls by case id (1 = the study's positive class): a reader's, or a model's at its
// threshold. `scores` holds a model's probabilities, or a reader's confidence where given.
struct Rater {
  std::string name;
  std::string group;  // readers only
  std::map<std::string, int> calls;
  std::map<std::string, double> scores;
};

using stats::ci_or_null;
using stats::number_or_null;

// Appends the set's Fleiss entries (models, readers, models+readers) and its Cohen entries (every
// pair of raters, models first). `set_cases` are the set's case ids in order.
void add_agreement(const std::vector<std::string>& set_cases, const std::string& set,
                   const std::vector<Rater>& models, const std::vector<Rater>& readers,
                   nlohmann::json& fleiss, nlohmann::json& cohen);

}  // namespace deeptirp::readers::detail
