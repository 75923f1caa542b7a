#include "deeptirp/report/sections.h"

#include <functional>

#include "deeptirp/report/charts.h"
#include "deeptirp/report/gallery.h"
#include "deeptirp/report/html.h"
#include "deeptirp/report/results_view.h"
#include "deeptirp/report/tables.h"
#include "deeptirp/version.h"

namespace deeptirp::report {
namespace {

using nlohmann::json;

// Numbers the page's charts in the order they appear, so that a rerun writes the same ids.
class Charts {
 public:
  std::string place(const json& spec) {
    if (spec.is_null()) return "";
    return chart_element(spec, "chart-" + std::to_string(++count_));
  }
  // One chart per evaluated set, side by side.
  std::string per_set(const json& results,
                      const std::function<json(const std::string&)>& chart_of_set) {
    std::string charts;
    for (const std::string& set : evaluated_sets(results)) charts += place(chart_of_set(set));
    return charts.empty() ? "" : "<div class=\"charts\">\n" + charts + "</div>\n";
  }

 private:
  int count_ = 0;
};

std::string readers_body(const json& results, const json& readers, Charts& charts) {
  std::string cohen =
      charts.per_set(results, [&](const std::string& set) { return cohen_chart(readers, set); });
  return fleiss_table(readers) +
         (cohen.empty() ? "" : "<h3>Pairwise agreement (Cohen's κ)</h3>\n" + cohen) +
         reader_metrics_table(readers) + group_metrics_table(readers) +
         model_vs_reader_table(readers);
}

std::string reproducibility_body(const json& results) {
  const json& tool = field_or_null(results, "tool");
  const json& config = field_or_null(results, "config");
  std::string classes;
  for (const json& c : field_or_null(results, "classes")) {
    classes += (classes.empty() ? "" : ", ") + html_text(c);
  }
  std::string out = "<dl class=\"facts\">\n";
  const auto fact = [&out](const std::string& name, const std::string& value) {
    out += "<dt>" + name + "</dt><dd>" + value + "</dd>\n";
  };
  fact("Results written by",
       html_text(field_or_null(tool, "name")) + " " + html_text(field_or_null(tool, "version")));
  fact("LibTorch", html_text(field_or_null(tool, "libtorch")));
  fact("Report written by", std::string("deeptirp ") + escape_html(kVersion));
  fact("Target", html_text(field_or_null(results, "target")) + " (positive class: " +
                     html_text(field_or_null(results, "positive")) + "; classes: " + classes + ")");
  fact("Seed", html_text(field_or_null(config, "seed")));
  fact("Study config", html_text(field_or_null(config, "path")));
  out += "</dl>\n";
  const json& text = field_or_null(config, "text");
  if (text.is_string()) out += "<pre class=\"config\">" + html_text(text) + "</pre>\n";
  return out;
}

}  // namespace

std::vector<Section> report_sections(const json& results, const std::filesystem::path& base,
                                     const ReportOptions& options) {
  Charts charts;
  std::vector<Section> sections;
  // A section without content is left out; its note (a reading guide) comes first.
  const auto add = [&sections](std::string id, std::string title, const std::string& body,
                               const std::string& guide = "") {
    if (body.empty()) return;
    const std::string intro = guide.empty() ? "" : "<p class=\"note\">" + guide + "</p>\n";
    sections.push_back({std::move(id), std::move(title), intro + body});
  };
  const auto per_set = [&](json (*chart)(const json&, const std::string&)) {
    return charts.per_set(results, [&](const std::string& set) { return chart(results, set); });
  };
  const json& readers = field_or_null(results, "readers");
  add("data", "Data and models",
      data_summary_table(results) + "<h3>Models</h3>\n" + models_table(results));
  add("roc", "ROC curves", per_set(roc_chart),
      std::string("Lines: each model's empirical ROC curve; shaded: its bootstrap 95% band; "
                  "dashed: chance.") +
          (readers.is_object()
               ? " Points: each reader's calls (circles) and each group's pooled calls (diamonds)."
               : ""));
  add("performance", "Performance", metrics_table(results) + threshold_transfer_table(results) +
                                            model_comparison_table(results));
  add("confusion", "Confusion matrices", per_set(confusion_chart),
      "Counts of cases; shading is the share of the true class.");
  add("subtypes", "Accuracy per diagnosis", subtype_tables(results));
  if (readers.is_object()) {
    add("readers", "Readers and agreement", readers_body(results, readers, charts));
  }
  add("calibration", "Calibration", per_set(calibration_chart) + calibration_table(results));
  const std::string training =
      charts.place(training_auc_chart(results)) + charts.place(training_loss_chart(results));
  add("training", "Training",
      training.empty() ? "" : "<div class=\"charts\">\n" + training + "</div>\n");
  add("heatmaps", "Heat maps",
      heatmap_gallery(field_or_null(results, "heatmaps"), base, options.thumbnail),
      "Where each model looked, for cases it called right (green) and wrong (red); p is the "
      "model's probability of the positive class.");
  add("reproducibility", "Configuration, versions and seed", reproducibility_body(results));
  return sections;
}

}  // namespace deeptirp::report
