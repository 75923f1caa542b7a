#pragma once
// Reading results.json (docs/results.md) for the report: optional fields read as null, and the
// lookups that several sections share.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace deeptirp::report {

// Checks what every section relies on: models with names, the sets, the positive class and
// evaluation entries naming a model and a set. Throws Error naming the field ("results: ...").
void check_results(const nlohmann::json& results);

// `object[key]`, or null when the object lacks it (or is not an object).
const nlohmann::json& field_or_null(const nlohmann::json& object, const char* key);

// The models' names in report order (image models, clinical, ensemble).
nlohmann::json model_names(const nlohmann::json& results);

// The evaluation entries of one set, in the models' report order.
std::vector<const nlohmann::json*> evaluations_of(const nlohmann::json& results,
                                                  const std::string& set);

// The evaluated sets in report order.
std::vector<std::string> evaluated_sets(const nlohmann::json& results);

// The entries of `list` whose "set" is `set`.
std::vector<const nlohmann::json*> entries_of_set(const nlohmann::json& list,
                                                  const std::string& set);

}  // namespace deeptirp::report
