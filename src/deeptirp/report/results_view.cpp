#include "deeptirp/report/results_view.h"

#include "deeptirp/error.h"

namespace deeptirp::report {

using nlohmann::json;

namespace {

void require_strings(const json& object, std::initializer_list<const char*> keys,
                     const std::string& where) {
  for (const char* key : keys) {
    if (!field_or_null(object, key).is_string()) {
      throw Error("results: " + where + " has no string \"" + key + "\"");
    }
  }
}

const json& require_array(const json& results, const char* key) {
  const json& list = field_or_null(results, key);
  if (!list.is_array()) throw Error(std::string("results: \"") + key + "\" is not a list");
  return list;
}

}  // namespace

void check_results(const json& results) {
  if (!results.is_object()) throw Error("results: not a JSON object");
  require_strings(results, {"positive"}, "the top level");
  const json& models = require_array(results, "models");
  for (std::size_t i = 0; i < models.size(); ++i) {
    require_strings(models[i], {"name"}, "models[" + std::to_string(i) + "]");
  }
  const json& sets = require_array(results, "sets");
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (!sets[i].is_string()) throw Error("results: sets[" + std::to_string(i) + "] is not a name");
  }
  const json& evaluation = require_array(results, "evaluation");
  for (std::size_t i = 0; i < evaluation.size(); ++i) {
    require_strings(evaluation[i], {"model", "set"}, "evaluation[" + std::to_string(i) + "]");
  }
}

const json& field_or_null(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) return null_value;
  const auto it = object.find(key);
  return it == object.end() ? null_value : *it;
}

json model_names(const json& results) {
  json names = json::array();
  for (const json& model : field_or_null(results, "models")) {
    names.push_back(field_or_null(model, "name"));
  }
  return names;
}

std::vector<const json*> evaluations_of(const json& results, const std::string& set) {
  std::vector<const json*> found;
  const json& evaluation = field_or_null(results, "evaluation");
  for (const json& name : model_names(results)) {
    for (const json& e : evaluation) {
      if (field_or_null(e, "model") == name && field_or_null(e, "set") == set) found.push_back(&e);
    }
  }
  return found;
}

std::vector<std::string> evaluated_sets(const json& results) {
  std::vector<std::string> sets;
  for (const json& s : field_or_null(results, "sets")) {
    if (s.is_string()) sets.push_back(s.get<std::string>());
  }
  return sets;
}

std::vector<const json*> entries_of_set(const json& list, const std::string& set) {
  std::vector<const json*> found;
  if (!list.is_array()) return found;
  for (const json& e : list) {
    if (field_or_null(e, "set") == set) found.push_back(&e);
  }
  return found;
}

}  // namespace deeptirp::report
