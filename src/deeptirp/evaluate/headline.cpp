#include <cstdio>

#include "deeptirp/evaluate/evaluate.h"

namespace deeptirp::evaluate {

std::string format_headline(const nlohmann::json& results) {
  std::string text =
      "set            model          AUC (95% CI)           accuracy  sens.  spec.\n";
  char line[160];
  for (const auto& e : results.at("evaluation")) {
    const auto& m = e.at("metrics");
    std::snprintf(line, sizeof line, "%-14s %-14s %.3f (%.3f-%.3f)    %5.1f%%   %5.1f%% %5.1f%%\n",
                  e.at("set").get<std::string>().c_str(), e.at("model").get<std::string>().c_str(),
                  e.at("auc").get<double>(), e.at("auc_ci")[0].get<double>(),
                  e.at("auc_ci")[1].get<double>(), 100 * m.at("accuracy").value("value", 0.0),
                  100 * m.at("sensitivity").value("value", 0.0),
                  100 * m.at("specificity").value("value", 0.0));
    text += line;
  }
  return text;
}

}  // namespace deeptirp::evaluate
