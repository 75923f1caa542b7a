#include "deeptirp/clinical/classifier.h"

#include <algorithm>

#include "deeptirp/error.h"

namespace deeptirp::clinical {

const std::vector<std::string>& classifier_kinds() {
  static const std::vector<std::string> kinds = {"rf", "lr", "dt", "knn", "ada", "xgb", "svm"};
  return kinds;
}

std::string known_kinds() {
  std::string out;
  for (const auto& k : classifier_kinds()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

void check_kind(const std::string& kind, const std::string& where) {
  const auto& kinds = classifier_kinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
    throw Error(where + ": unknown model kind '" + kind + "' (known: " + known_kinds() + ")");
}

bool needs_standardising(const std::string& kind) {
  return kind == "lr" || kind == "knn" || kind == "svm";
}

std::vector<Params> parameter_grid(const std::string& kind) {
  check_kind(kind, "parameter grid");
  std::vector<Params> grid;
  if (kind == "rf") {
    for (int depth : {4, 8})
      for (int min_samples : {2, 10})
        grid.push_back({{"trees", 200}, {"max_depth", depth}, {"min_samples", min_samples}});
  } else if (kind == "dt") {
    for (int depth : {2, 3, 5, 8}) grid.push_back({{"max_depth", depth}, {"min_samples", 10}});
  } else if (kind == "lr") {
    // OpenCV's L2 penalty has no strength to tune (its weight is fixed at 1 / (2 m), computed in
    // integers); with and without it the CV AUCs on BTXRD were identical, so the grid searches the
    // gradient descent's step and length instead.
    for (double rate : {0.1, 0.5})
      for (int iterations : {300, 1000})
        grid.push_back(
            {{"regularization", "l2"}, {"iterations", iterations}, {"learning_rate", rate}});
  } else if (kind == "knn") {
    for (int k : {5, 15, 31}) grid.push_back({{"k", k}});
  } else if (kind == "ada") {
    for (int rounds : {50, 150})
      for (int depth : {1, 2}) grid.push_back({{"rounds", rounds}, {"max_depth", depth}});
  } else if (kind == "xgb") {
    for (int depth : {2, 4})
      for (int rounds : {50, 200})
        grid.push_back({{"max_depth", depth}, {"rounds", rounds}, {"eta", 0.1}});
  } else if (kind == "svm") {
    for (double c : {0.5, 2.0})
      for (double gamma : {0.03, 0.1, 0.3}) grid.push_back({{"C", c}, {"gamma", gamma}});
  }
  return grid;
}

std::unique_ptr<Classifier> make_classifier(const std::string& kind, const Params& params,
                                            std::uint64_t seed) {
  check_kind(kind, "clinical model");
  if (kind == "xgb") return make_xgboost_classifier(params, seed);
  return make_opencv_classifier(kind, params, seed);
}

}  // namespace deeptirp::clinical
