#pragma once
// The report's sections in the study's order, each a titled piece of HTML; optional parts
// (readers, training, heat maps) are left out when results.json lacks them.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "deeptirp/report/report.h"

namespace deeptirp::report {

struct Section {
  std::string id;     // the anchor the contents link to
  std::string title;  // HTML
  std::string body;   // HTML
};

std::vector<Section> report_sections(const nlohmann::json& results,
                                     const std::filesystem::path& base,
                                     const ReportOptions& options);

}  // namespace deeptirp::report
