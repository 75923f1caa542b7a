#include "deeptirp/report/tables.h"

#include <map>
#include <utility>
#include <vector>

#include "deeptirp/report/html.h"
#include "deeptirp/report/results_view.h"

namespace deeptirp::report {
namespace {

using nlohmann::json;

std::string images_and_patients(long images, long patients) {
  return std::to_string(images) + " <span class=\"aside\">(" + std::to_string(patients) +
         ")</span>";
}

long count_of(const json& entry, const char* key) {
  const json& v = field_or_null(entry, key);
  return v.is_number() ? v.get<long>() : 0;
}

std::vector<std::string> class_names(const json& results) {
  std::vector<std::string> classes;
  for (const json& c : field_or_null(results, "classes")) {
    if (c.is_string()) classes.push_back(c.get<std::string>());
  }
  return classes;
}

}  // namespace

std::string data_summary_table(const json& results) {
  const std::vector<std::string> classes = class_names(results);
  struct Row {
    std::string split, centre;
    std::map<std::string, std::pair<long, long>> by_class;  // images, patients
  };
  std::vector<Row> rows;  // in results' order, one per split x centre
  Row all{"<strong>All</strong>", "", {}};
  for (const json& d : field_or_null(results, "data")) {
    const std::string split = set_label(html_text(field_or_null(d, "split")));
    const std::string centre = html_text(field_or_null(d, "centre"));
    auto it = rows.begin();
    while (it != rows.end() && !(it->split == split && it->centre == centre)) ++it;
    if (it == rows.end()) it = rows.insert(rows.end(), Row{split, centre, {}});
    const json& class_value = field_or_null(d, "class");
    const std::string cls = class_value.is_string() ? class_value.get<std::string>() : "";
    for (Row* row : {&*it, &all}) {
      row->by_class[cls].first += count_of(d, "images");
      row->by_class[cls].second += count_of(d, "patients");
    }
  }
  if (rows.empty()) return "";
  rows.push_back(all);
  std::vector<Column> columns = {{"Split"}, {"Centre"}};
  for (const std::string& c : classes) columns.push_back({escape_html(c), true});
  columns.push_back({"Total", true});
  std::vector<std::vector<std::string>> cells;
  for (const Row& row : rows) {
    std::vector<std::string> line = {row.split, row.centre};
    long images = 0, patients = 0;
    for (const std::string& c : classes) {
      const auto found = row.by_class.find(c);
      const auto [i, p] = found == row.by_class.end() ? std::pair<long, long>{} : found->second;
      line.push_back(images_and_patients(i, p));
      images += i;
      patients += p;
    }
    line.push_back(images_and_patients(images, patients));
    cells.push_back(std::move(line));
  }
  return html_table(columns, cells, "Images (patients) per split, centre and class");
}

std::string models_table(const json& results) {
  std::vector<std::vector<std::string>> rows;
  for (const json& m : field_or_null(results, "models")) {
    const json& architecture = field_or_null(m, "architecture");
    const json& epochs = field_or_null(m, "epochs");
    std::string training = "–";
    const json& threshold_rule = field_or_null(m, "threshold_rule");
    const std::string rule = threshold_rule.is_string() ? " <span class=\"aside\">(" +
                                                              html_text(threshold_rule) + ")</span>"
                                                        : "";
    if (epochs.is_number()) {
      training = html_text(field_or_null(m, "best_epoch")) + " of " + html_text(epochs);
    }
    rows.push_back({"<strong>" + html_text(field_or_null(m, "name")) + "</strong>",
                    html_text(field_or_null(m, "kind")),
                    html_text(architecture.is_null() ? field_or_null(m, "detail") : architecture),
                    format_number(field_or_null(m, "threshold")) + rule, training});
  }
  return html_table(
      {{"Model"}, {"Kind"}, {"Architecture / detail"}, {"Threshold", true}, {"Best epoch", true}},
      rows);
}

std::string metrics_table(const json& results) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& set : evaluated_sets(results)) {
    for (const json* e : evaluations_of(results, set)) {
      const json& m = field_or_null(*e, "metrics");
      const json& f1 = field_or_null(m, "f1");
      rows.push_back({"<strong>" + html_text(field_or_null(*e, "model")) + "</strong>",
                      escape_html(set_label(set)),
                      html_text(field_or_null(*e, "n")) + " <span class=\"aside\">(" +
                          html_text(field_or_null(*e, "positives")) + "/" +
                          html_text(field_or_null(*e, "negatives")) + ")</span>",
                      format_with_ci(field_or_null(*e, "auc"), field_or_null(*e, "auc_ci")),
                      format_proportion(field_or_null(m, "accuracy")),
                      format_proportion(field_or_null(m, "sensitivity")),
                      format_proportion(field_or_null(m, "specificity")),
                      format_proportion(field_or_null(m, "ppv")),
                      format_proportion(field_or_null(m, "npv")),
                      format_with_ci(field_or_null(f1, "value"), field_or_null(f1, "ci")),
                      format_number(field_or_null(*e, "threshold"))});
    }
  }
  return html_table({{"Model"},
                     {"Set"},
                     {"n (pos/neg)", true},
                     {"AUC (95% CI)", true},
                     {"Accuracy %", true},
                     {"Sensitivity %", true},
                     {"Specificity %", true},
                     {"PPV %", true},
                     {"NPV %", true},
                     {"F1", true},
                     {"Threshold", true}},
                    rows, "Table 2. Performance on the test sets (95% CIs)");
}

std::string threshold_transfer_table(const json& results) {
  std::vector<std::vector<std::string>> rows;
  for (const json& m : field_or_null(results, "models")) {
    for (const json& t : field_or_null(m, "at_threshold")) {
      rows.push_back({"<strong>" + html_text(field_or_null(m, "name")) + "</strong>",
                      set_label(html_text(field_or_null(t, "set"))),
                      html_text(field_or_null(t, "n")),
                      format_proportion(field_or_null(t, "sensitivity")),
                      format_proportion(field_or_null(t, "specificity"))});
    }
  }
  if (rows.empty()) return "";
  return html_table(
      {{"Model"}, {"Set"}, {"n", true}, {"Sensitivity %", true}, {"Specificity %", true}}, rows,
      "At each model's threshold, chosen on validation: does it hold on the test "
      "sets?");
}

std::string model_comparison_table(const json& results) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& set : evaluated_sets(results)) {
    for (const json* e : evaluations_of(results, set)) {
      for (const json& v : field_or_null(*e, "versus")) {
        rows.push_back({html_text(field_or_null(*e, "model")), html_text(field_or_null(v, "model")),
                        escape_html(set_label(set)), format_number(field_or_null(v, "auc_diff")),
                        format_p(field_or_null(v, "p"))});
      }
    }
  }
  if (rows.empty()) return "";
  return html_table({{"Model"}, {"Against"}, {"Set"}, {"ΔAUC", true}, {"p (DeLong)", true}}, rows,
                    "Paired comparison of AUCs on the same cases");
}

std::string subtype_tables(const json& results) {
  std::string out;
  for (const std::string& set : evaluated_sets(results)) {
    const std::vector<const json*> evaluations = evaluations_of(results, set);
    std::vector<std::pair<std::string, std::string>> subtypes;  // (class, subtype), first seen
    std::map<std::pair<std::string, std::string>, std::map<const json*, const json*>> cell;
    for (const json* e : evaluations) {
      for (const json& s : field_or_null(*e, "subtypes")) {
        const std::pair<std::string, std::string> key{html_text(field_or_null(s, "class")),
                                                      html_text(field_or_null(s, "subtype"))};
        if (cell.find(key) == cell.end()) subtypes.push_back(key);
        cell[key][e] = &s;
      }
    }
    if (subtypes.empty()) continue;
    std::vector<Column> columns = {{"Class"}, {"Subtype"}, {"n", true}};
    for (const json* e : evaluations) columns.push_back({html_text(e->at("model")), true});
    std::vector<std::vector<std::string>> rows;
    for (const auto& key : subtypes) {
      std::vector<std::string> row = {key.first, key.second, "–"};
      for (const json* e : evaluations) {
        const auto found = cell[key].find(e);
        if (found == cell[key].end()) {
          row.push_back("–");
          continue;
        }
        const json& s = *found->second;
        row[2] = html_text(field_or_null(s, "n"));
        row.push_back(format_percent(field_or_null(field_or_null(s, "accuracy"), "value")) +
                      " <span class=\"aside\">(" + html_text(field_or_null(s, "correct")) + "/" +
                      html_text(field_or_null(s, "n")) + ")</span>");
      }
      rows.push_back(std::move(row));
    }
    out +=
        html_table(columns, rows,
                   "Table 3. Accuracy % (correct/n) per diagnosis: " + escape_html(set_label(set)));
  }
  return out;
}

std::string calibration_table(const json& results) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& set : evaluated_sets(results)) {
    for (const json* e : evaluations_of(results, set)) {
      const json& c = field_or_null(*e, "calibration");
      if (!c.is_object()) continue;
      rows.push_back({html_text(field_or_null(*e, "model")), escape_html(set_label(set)),
                      format_number(field_or_null(c, "brier")),
                      format_number(field_or_null(c, "intercept")),
                      format_number(field_or_null(c, "slope"))});
    }
  }
  if (rows.empty()) return "";
  return html_table(
      {{"Model"}, {"Set"}, {"Brier score", true}, {"Intercept", true}, {"Slope", true}}, rows);
}

}  // namespace deeptirp::report
