// The reader study's tables: Fleiss' kappa (the study's Table 4), each reader's and each group's
// accuracy, and each model against each reader on the same cases.
#include <vector>

#include "deeptirp/report/html.h"
#include "deeptirp/report/results_view.h"
#include "deeptirp/report/tables.h"

namespace deeptirp::report {

using nlohmann::json;

std::string fleiss_table(const json& readers) {
  std::vector<std::vector<std::string>> rows;
  for (const json& f : field_or_null(readers, "fleiss")) {
    rows.push_back(
        {html_text(field_or_null(f, "raters")), set_label(html_text(field_or_null(f, "set"))),
         html_text(field_or_null(f, "n_raters")), html_text(field_or_null(f, "subjects")),
         format_with_ci(field_or_null(f, "kappa"), field_or_null(f, "ci")),
         format_p(field_or_null(f, "p"))});
  }
  if (rows.empty()) return "";
  return html_table({{"Raters"},
                     {"Set"},
                     {"Raters (n)", true},
                     {"Cases", true},
                     {"Fleiss' κ (95% CI)", true},
                     {"p", true}},
                    rows, "Table 4. Agreement between raters (Fleiss' κ)");
}

std::string reader_metrics_table(const json& readers) {
  std::vector<std::vector<std::string>> rows;
  for (const json& r : field_or_null(readers, "readers")) {
    rows.push_back({"<strong>" + html_text(field_or_null(r, "reader")) + "</strong>",
                    html_text(field_or_null(r, "group")),
                    set_label(html_text(field_or_null(r, "set"))), html_text(field_or_null(r, "n")),
                    format_proportion(field_or_null(r, "accuracy")),
                    format_proportion(field_or_null(r, "sensitivity")),
                    format_proportion(field_or_null(r, "specificity")),
                    format_number(field_or_null(r, "auc"))});
  }
  if (rows.empty()) return "";
  return html_table({{"Reader"},
                     {"Group"},
                     {"Set"},
                     {"n", true},
                     {"Accuracy %", true},
                     {"Sensitivity %", true},
                     {"Specificity %", true},
                     {"AUC", true}},
                    rows, "Readers (95% CIs)");
}

std::string group_metrics_table(const json& readers) {
  std::vector<std::vector<std::string>> rows;
  for (const json& g : field_or_null(readers, "group_metrics")) {
    rows.push_back({"<strong>" + html_text(field_or_null(g, "group")) + "</strong>",
                    set_label(html_text(field_or_null(g, "set"))), html_text(field_or_null(g, "n")),
                    format_proportion(field_or_null(g, "accuracy")),
                    format_proportion(field_or_null(g, "sensitivity")),
                    format_proportion(field_or_null(g, "specificity"))});
  }
  if (rows.empty()) return "";
  return html_table({{"Group"},
                     {"Set"},
                     {"Calls", true},
                     {"Accuracy %", true},
                     {"Sensitivity %", true},
                     {"Specificity %", true}},
                    rows, "Reader groups, their calls pooled (95% CIs)");
}

std::string model_vs_reader_table(const json& readers) {
  std::vector<std::vector<std::string>> rows;
  for (const json& v : field_or_null(readers, "versus_models")) {
    rows.push_back({html_text(field_or_null(v, "model")), html_text(field_or_null(v, "reader")),
                    set_label(html_text(field_or_null(v, "set"))), html_text(field_or_null(v, "n")),
                    format_percent(field_or_null(v, "model_accuracy")),
                    format_percent(field_or_null(v, "reader_accuracy")),
                    format_p(field_or_null(v, "mcnemar_p")),
                    format_p(field_or_null(v, "delong_p"))});
  }
  if (rows.empty()) return "";
  return html_table({{"Model"},
                     {"Reader"},
                     {"Set"},
                     {"n", true},
                     {"Model accuracy %", true},
                     {"Reader accuracy %", true},
                     {"p (McNemar)", true},
                     {"p (DeLong)", true}},
                    rows, "Models against readers on the same cases");
}

}  // namespace deeptirp::report
