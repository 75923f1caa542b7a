#include "deeptirp/report/charts.h"

#include <algorithm>
#include <vector>

#include "deeptirp/report/html.h"
#include "deeptirp/report/results_view.h"

namespace deeptirp::report {
namespace {

using nlohmann::json;

const int kSquare = 320;  // pixels; ROC and calibration plots are square, as in the study

// Every chart colours a model alike: the domain is the models in report order.
json model_colour(const json& results) {
  return {{"field", "model"},
          {"type", "nominal"},
          {"title", "Model"},
          {"sort", model_names(results)},
          {"scale", {{"domain", model_names(results)}, {"scheme", "tableau10"}}}};
}

json unit_axis(const std::string& field, const std::string& title) {
  return {{"field", field},
          {"type", "quantitative"},
          {"title", title},
          {"scale", {{"domain", {0, 1}}}},
          {"axis", {{"tickCount", 5}}}};
}

// The line y = x (chance for ROC, perfect calibration), on the chart's own axes so that layers
// share one axis title.
json diagonal_layer(const json& x, const json& y) {
  const std::string xf = x.at("field"), yf = y.at("field");
  return {{"data", {{"values", {{{xf, 0}, {yf, 0}}, {{xf, 1}, {yf, 1}}}}}},
          {"mark", {{"type", "line"}, {"color", "#9aa5b1"}, {"strokeDash", {4, 4}}}},
          {"encoding", {{"x", x}, {"y", y}}}};
}

json tooltip(std::initializer_list<const char*> fields) {
  json out = json::array();
  for (const char* f : fields) out.push_back({{"field", f}});
  return out;
}

// The colours of all models, but a legend of the image models only (those that were trained).
json trained_model_colour(const json& results) {
  json trained = json::array();
  for (const json& row : field_or_null(results, "training")) {
    const json& model = field_or_null(row, "model");
    if (std::find(trained.begin(), trained.end(), model) == trained.end()) trained.push_back(model);
  }
  json colour = model_colour(results);
  colour["legend"] = {{"values", trained}};
  return colour;
}

// A heat map's layers: cells shaded on a 0..1 scale, each with its value written in it (white
// on the darker cells, so that it stays readable).
json heat_map_layers(const json& x, const json& y, const json& shade, const json& text,
                     int font_size, json tooltip_fields) {
  const std::string dark = "datum." + shade.at("field").get<std::string>() + " > 0.6";
  const json text_colour = {{"condition", {{"test", dark}, {"value", "white"}}},
                            {"value", "#1f2933"}};
  return {{{"mark", "rect"},
           {"encoding",
            {{"x", x}, {"y", y}, {"color", shade}, {"tooltip", std::move(tooltip_fields)}}}},
          {{"mark", {{"type", "text"}, {"fontSize", font_size}}},
           {"encoding", {{"x", x}, {"y", y}, {"text", text}, {"color", text_colour}}}}};
}

// A line per image model over the epochs of its training history ("training" in results).
json epoch_chart(const json& results, const std::string& title, json y, json tooltip_fields) {
  const json& training = field_or_null(results, "training");
  if (!training.is_array() || training.empty()) return nullptr;
  const json x = {{"field", "epoch"},
                  {"type", "quantitative"},
                  {"title", "Epoch"},
                  {"axis", {{"tickMinStep", 1}}}};
  return {{"title", title},
          {"width", 380},
          {"height", 240},
          {"data", {{"values", training}}},
          {"mark", {{"type", "line"}, {"point", true}}},
          {"encoding",
           {{"x", x},
            {"y", std::move(y)},
            {"color", trained_model_colour(results)},
            {"tooltip", std::move(tooltip_fields)}}}};
}

json reader_points(const json& results, const std::string& set) {
  json points = json::array();
  const json& readers = field_or_null(results, "readers");
  for (const json& r : field_or_null(readers, "readers")) {
    if (field_or_null(r, "set") != set || !field_or_null(r, "fpr").is_number()) continue;
    points.push_back({{"reader", r.at("reader")},
                      {"group", r.at("group")},
                      {"kind", "reader"},
                      {"fpr", r.at("fpr")},
                      {"tpr", r.at("tpr")}});
  }
  for (const json& g : field_or_null(readers, "group_metrics")) {
    if (field_or_null(g, "set") != set || !field_or_null(g, "fpr").is_number()) continue;
    points.push_back({{"reader", "all " + g.at("group").get<std::string>()},
                      {"group", g.at("group")},
                      {"kind", "group (pooled)"},
                      {"fpr", g.at("fpr")},
                      {"tpr", g.at("tpr")}});
  }
  return points;
}

// Readers' points are filled by group (the models' lines own colour) and shaped by kind.
json reader_layer(const json& results, json points, const json& x, const json& y) {
  const json groups = field_or_null(field_or_null(results, "readers"), "groups");
  return {
      {"data", {{"values", std::move(points)}}},
      {"mark",
       {{"type", "point"},
        {"filled", true},
        {"size", 70},
        {"opacity", 0.95},
        {"stroke", "#1f2933"},
        {"strokeWidth", 0.6}}},
      {"encoding",
       {{"x", x},
        {"y", y},
        {"fill",
         {{"field", "group"},
          {"type", "nominal"},
          {"title", "Readers"},
          {"scale", {{"domain", groups}, {"scheme", "dark2"}}}}},
        {"shape",
         {{"field", "kind"},
          {"type", "nominal"},
          {"title", "Reader point"},
          {"scale", {{"domain", {"reader", "group (pooled)"}}, {"range", {"circle", "diamond"}}}}}},
        {"tooltip", tooltip({"reader", "group", "fpr", "tpr"})}}}};
}

}  // namespace

json roc_chart(const json& results, const std::string& set) {
  json curve = json::array();
  json band = json::array();
  for (const json* e : evaluations_of(results, set)) {
    int i = 0;
    for (const json& p : field_or_null(*e, "roc")) {
      curve.push_back({{"model", e->at("model")},
                       {"i", i++},
                       {"fpr", p.at("fpr")},
                       {"tpr", p.at("tpr")},
                       {"threshold", field_or_null(p, "threshold")}});
    }
    for (const json& b : field_or_null(*e, "roc_band")) {
      band.push_back({{"model", e->at("model")},
                      {"fpr", b.at("fpr")},
                      {"tpr_low", b.at("tpr_low")},
                      {"tpr_high", b.at("tpr_high")}});
    }
  }
  if (curve.empty()) return nullptr;
  const json x = unit_axis("fpr", "1 − specificity");
  const json y = unit_axis("tpr", "Sensitivity");
  json layers = json::array();
  layers.push_back(diagonal_layer(x, y));
  if (!band.empty()) {
    // Fill, not colour, and no legend: a shared legend would show the bands' faint swatches.
    json band_fill = model_colour(results);
    band_fill["legend"] = nullptr;
    layers.push_back({{"data", {{"values", band}}},
                      {"mark", {{"type", "area"}, {"opacity", 0.12}}},
                      {"encoding",
                       {{"x", x},
                        {"y", unit_axis("tpr_low", "Sensitivity")},
                        {"y2", {{"field", "tpr_high"}}},
                        {"fill", band_fill}}}});
  }
  // `order` keeps the curve's own order: at one fpr the tpr steps up, which sorting by x loses.
  layers.push_back({{"data", {{"values", curve}}},
                    {"mark", {{"type", "line"}, {"strokeWidth", 2}}},
                    {"encoding",
                     {{"x", x},
                      {"y", y},
                      {"order", {{"field", "i"}, {"type", "quantitative"}}},
                      {"color", model_colour(results)},
                      {"tooltip", tooltip({"model", "fpr", "tpr", "threshold"})}}}});
  json points = reader_points(results, set);
  if (!points.empty()) layers.push_back(reader_layer(results, std::move(points), x, y));
  // The bands' fill (by model) and the readers' fill (by group) are different scales.
  return {{"title", "ROC: " + set_label(set)},
          {"width", kSquare},
          {"height", kSquare},
          {"layer", layers},
          {"resolve", {{"scale", {{"fill", "independent"}}}}}};
}

json confusion_chart(const json& results, const std::string& set) {
  const std::string positive = field_or_null(results, "positive").get<std::string>();
  std::string negative = "negative";
  for (const json& c : field_or_null(results, "classes")) {
    if (c != positive) negative = c.get<std::string>();
  }
  json cells = json::array();
  for (const json* e : evaluations_of(results, set)) {
    const json& m = field_or_null(*e, "confusion");
    if (!m.is_object()) continue;
    const double pos = m.at("tp").get<double>() + m.at("fn").get<double>();
    const double neg = m.at("tn").get<double>() + m.at("fp").get<double>();
    const auto cell = [&](const std::string& actual, const std::string& predicted, const char* key,
                          double total) {
      const double count = m.at(key).get<double>();
      cells.push_back({{"model", e->at("model")},
                       {"actual", actual},
                       {"predicted", predicted},
                       {"count", count},
                       {"share", total > 0 ? count / total : 0.0}});
    };
    cell(positive, positive, "tp", pos);
    cell(positive, negative, "fn", pos);
    cell(negative, positive, "fp", neg);
    cell(negative, negative, "tn", neg);
  }
  if (cells.empty()) return nullptr;
  const json classes = {negative, positive};
  const json x = {{"field", "predicted"},
                  {"type", "nominal"},
                  {"sort", classes},
                  {"title", "Predicted"},
                  {"axis", {{"labelAngle", 0}}}};
  const json y = {{"field", "actual"}, {"type", "nominal"}, {"sort", classes}, {"title", "True"}};
  const json shade = {{"field", "share"},
                      {"type", "quantitative"},
                      {"title", "Share of true class"},
                      {"scale", {{"scheme", "blues"}, {"domain", {0, 1}}}}};
  return {{"title", "Confusion matrices: " + set_label(set)},
          {"data", {{"values", cells}}},
          {"facet",
           {{"column",
             {{"field", "model"},
              {"type", "nominal"},
              {"sort", model_names(results)},
              {"title", nullptr}}}}},
          {"spec",
           {{"width", 130},
            {"height", 130},
            {"layer", heat_map_layers(x, y, shade, {{"field", "count"}}, 15,
                                      tooltip({"model", "actual", "predicted", "count"}))}}}};
}

json calibration_chart(const json& results, const std::string& set) {
  json bins = json::array();
  for (const json* e : evaluations_of(results, set)) {
    for (const json& b : field_or_null(field_or_null(*e, "calibration"), "bins")) {
      if (!field_or_null(b, "mean_predicted").is_number() ||
          !field_or_null(b, "observed").is_number()) {
        continue;  // an empty bin has no point
      }
      bins.push_back({{"model", e->at("model")},
                      {"predicted", b.at("mean_predicted")},
                      {"observed", b.at("observed")},
                      {"n", field_or_null(b, "n")}});
    }
  }
  if (bins.empty()) return nullptr;
  const json x = unit_axis("predicted", "Mean predicted probability");
  const json y = unit_axis("observed", "Observed share positive");
  const json encoding = {{"x", x},
                         {"y", y},
                         {"color", model_colour(results)},
                         {"tooltip", tooltip({"model", "predicted", "observed", "n"})}};
  return {{"title", "Calibration: " + set_label(set)},
          {"width", kSquare},
          {"height", kSquare},
          {"layer",
           {diagonal_layer(x, y),
            {{"data", {{"values", bins}}},
             {"mark", {{"type", "line"}, {"point", true}, {"strokeWidth", 1.5}}},
             {"encoding", encoding}}}}};
}

json training_auc_chart(const json& results) {
  return epoch_chart(results, "Validation AUC per epoch",
                     {{"field", "val_auc"},
                      {"type", "quantitative"},
                      {"title", "Validation AUC"},
                      {"scale", {{"zero", false}}}},
                     tooltip({"model", "epoch", "lr", "val_auc"}));
}

json training_loss_chart(const json& results) {
  json chart = epoch_chart(results, "Loss per epoch",
                           {{"field", "loss"}, {"type", "quantitative"}, {"title", "Loss (BCE)"}},
                           tooltip({"model", "epoch", "curve", "loss"}));
  if (chart.is_null()) return chart;
  chart["transform"] = {{{"fold", {"train_loss", "val_loss"}}, {"as", {"curve", "loss"}}}};
  chart["encoding"]["strokeDash"] = {{"field", "curve"},
                                     {"type", "nominal"},
                                     {"title", "Curve"},
                                     {"legend", {{"symbolType", "stroke"}}}};
  return chart;
}

json cohen_chart(const json& readers, const std::string& set) {
  json cells = json::array();
  json raters = json::array();
  const auto add_rater = [&](const json& name) {
    for (const json& r : raters) {
      if (r == name) return;
    }
    raters.push_back(name);
  };
  for (const json& pair : field_or_null(readers, "cohen")) {
    if (field_or_null(pair, "set") != set) continue;
    add_rater(pair.at("a"));
    add_rater(pair.at("b"));
    // Both halves of the symmetric matrix, so that every row reads as one rater against all.
    for (const auto& [a, b] : {std::pair{"a", "b"}, std::pair{"b", "a"}}) {
      cells.push_back({{"a", pair.at(a)},
                       {"b", pair.at(b)},
                       {"kappa", pair.at("kappa")},
                       {"n", field_or_null(pair, "n")}});
    }
  }
  if (cells.empty()) return nullptr;
  const int side = 34 * static_cast<int>(raters.size());
  const json x = {{"field", "b"}, {"type", "nominal"}, {"sort", raters}, {"title", nullptr}};
  const json y = {{"field", "a"}, {"type", "nominal"}, {"sort", raters}, {"title", nullptr}};
  const json shade = {{"field", "kappa"},
                      {"type", "quantitative"},
                      {"title", "κ"},
                      {"scale", {{"scheme", "blues"}, {"domain", {0, 1}}, {"clamp", true}}}};
  return {{"title", "Cohen's κ: " + set_label(set)},
          {"width", side},
          {"height", side},
          {"data", {{"values", cells}}},
          {"layer", heat_map_layers(x, y, shade, {{"field", "kappa"}, {"format", ".2f"}}, 10,
                                    tooltip({"a", "b", "kappa", "n"}))}};
}

std::string chart_element(const json& spec, const std::string& id) {
  return "<div class=\"chart\" id=\"" + id + "\"></div>\n<script type=\"application/json\" " +
         "class=\"chart-spec\" data-chart=\"" + id + "\">" + script_json(spec) + "</script>\n";
}

}  // namespace deeptirp::report
