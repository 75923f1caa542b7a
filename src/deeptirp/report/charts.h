#pragma once
// The report's charts as Vega-Lite specs (drawn in the page by vega-embed, see report.js), built
// from results.json (docs/results.md). A function returns null when it has nothing to draw.

#include <nlohmann/json.hpp>
#include <string>

namespace deeptirp::report {

// ROC curves of every model on one set: the empirical curves, their bootstrap 95% bands, the
// chance diagonal and, when the study has readers, each reader's and each group's point.
nlohmann::json roc_chart(const nlohmann::json& results, const std::string& set);

// The confusion matrix of every model on one set, side by side, shaded by share of the true class.
nlohmann::json confusion_chart(const nlohmann::json& results, const std::string& set);

// Reliability diagram: observed share of positives against mean predicted probability per bin.
nlohmann::json calibration_chart(const nlohmann::json& results, const std::string& set);

// Image models' validation AUC, and training and validation loss, per epoch.
nlohmann::json training_auc_chart(const nlohmann::json& results);
nlohmann::json training_loss_chart(const nlohmann::json& results);

// Cohen's kappa of every pair of raters (models and readers) on one set.
nlohmann::json cohen_chart(const nlohmann::json& readers, const std::string& set);

// A chart's place in the page: an empty <div id=...> and its spec in a JSON <script>.
std::string chart_element(const nlohmann::json& spec, const std::string& id);

}  // namespace deeptirp::report
