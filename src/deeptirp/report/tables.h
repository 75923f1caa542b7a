#pragma once
// The report's tables, as HTML, from results.json (docs/results.md). Every table is in the study's
// words; numbers keep results.json's precision to three decimals, proportions are percentages.

#include <nlohmann/json.hpp>
#include <string>

namespace deeptirp::report {

// Images (patients) per split x centre x class.
std::string data_summary_table(const nlohmann::json& results);

// Each model: kind, architecture or detail, threshold, epochs.
std::string models_table(const nlohmann::json& results);

// The study's Table 2: AUC and the threshold metrics with 95% CIs, per set and model.
std::string metrics_table(const nlohmann::json& results);

// Sensitivity and specificity at each model's threshold on validation, test and external test;
// empty when results have none.
std::string threshold_transfer_table(const nlohmann::json& results);

// Paired DeLong tests of every model against the others; empty when results have none.
std::string model_comparison_table(const nlohmann::json& results);

// The study's Table 3: accuracy per diagnosis (subtype), one table per set.
std::string subtype_tables(const nlohmann::json& results);

// Brier score, calibration intercept and slope per set and model.
std::string calibration_table(const nlohmann::json& results);

// The reader study (results' "readers"; the study's Table 4 is Fleiss' kappa).
std::string fleiss_table(const nlohmann::json& readers);
std::string reader_metrics_table(const nlohmann::json& readers);
std::string group_metrics_table(const nlohmann::json& readers);
std::string model_vs_reader_table(const nlohmann::json& readers);

}  // namespace deeptirp::report
