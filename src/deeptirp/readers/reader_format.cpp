// The reader study as aligned tables for the terminal; every number comes from the JSON object.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "deeptirp/readers/reader_study.h"

namespace deeptirp::readers {
namespace {

using json = nlohmann::json;
using Row = std::vector<std::string>;

std::string number(const json& v, const char* format = "%.3f") {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v.get<double>());
  return buf;
}

std::string p_value(const json& v) {
  if (v.is_number() && v.get<double>() < 1e-4) return "<0.0001";
  return number(v, "%.4f");
}

// "0.700 [0.574, 0.801]"
std::string with_ci(const json& value, const json& ci) {
  if (!value.is_number()) return "-";
  if (!ci.is_array()) return number(value);
  return number(value) + " [" + number(ci[0]) + ", " + number(ci[1]) + "]";
}

std::string interval(const json& metric) { return with_ci(metric.at("value"), metric.at("ci")); }

std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void table(std::ostream& out, const std::string& title, const Row& header,
           const std::vector<Row>& rows) {
  if (rows.empty()) return;
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const Row& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  const auto print = [&](const Row& r) {
    for (std::size_t c = 0; c < r.size(); ++c)
      out << "  " << r[c] << (c + 1 < r.size() ? std::string(width[c] - r[c].size(), ' ') : "");
    out << "\n";
  };
  out << title << "\n";
  print(header);
  for (const Row& r : rows) print(r);
  out << "\n";
}

std::vector<Row> accuracy_rows(const json& list, const char* who) {
  std::vector<Row> rows;
  for (const json& e : list) {
    Row r = {text(e.at("set")), text(e.at(who))};
    if (e.contains("group") && std::string(who) != "group") r.push_back(text(e.at("group")));
    r.insert(r.end(), {text(e.at("n")), interval(e.at("accuracy")), interval(e.at("sensitivity")),
                       interval(e.at("specificity"))});
    if (e.contains("auc")) r.push_back(number(e.at("auc")));
    rows.push_back(r);
  }
  return rows;
}

}  // namespace

std::string format_reader_study(const json& j) {
  std::ostringstream out;
  table(out, "Readers (95% Wilson CIs; AUC from the confidence column):",
        {"set", "reader", "group", "n", "accuracy", "sensitivity", "specificity", "AUC"},
        accuracy_rows(j.at("readers"), "reader"));
  table(out, "Groups (the group's readers' calls pooled):",
        {"set", "group", "n", "accuracy", "sensitivity", "specificity"},
        accuracy_rows(j.at("group_metrics"), "group"));
  std::vector<Row> versus, fleiss, cohen;
  for (const json& e : j.at("versus_models"))
    versus.push_back({text(e.at("set")), text(e.at("model")), text(e.at("reader")), text(e.at("n")),
                      number(e.at("model_accuracy")), number(e.at("reader_accuracy")),
                      p_value(e.at("mcnemar_p")), p_value(e.at("delong_p"))});
  table(out, "Models against readers (the cases each reader called):",
        {"set", "model", "reader", "n", "model acc.", "reader acc.", "McNemar p", "DeLong p"},
        versus);
  for (const json& e : j.at("fleiss"))
    fleiss.push_back({text(e.at("set")), text(e.at("raters")), text(e.at("n_raters")),
                      text(e.at("subjects")), with_ci(e.at("kappa"), e.at("ci")),
                      p_value(e.at("p"))});
  table(out, "Fleiss' kappa:", {"set", "raters", "raters (n)", "cases", "kappa [95% CI]", "p"},
        fleiss);
  for (const json& e : j.at("cohen"))
    cohen.push_back({text(e.at("set")), text(e.at("a")), text(e.at("b")), text(e.at("n")),
                     with_ci(e.at("kappa"), e.at("ci"))});
  table(out, "Cohen's kappa:", {"set", "a", "b", "n", "kappa [95% CI]"}, cohen);
  return out.str();
}

}  // namespace deeptirp::readers
