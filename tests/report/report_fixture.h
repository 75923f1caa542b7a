#pragma once
// A realistic results.json (docs/results.md) for the report's tests: two image models, the
// clinical model and the ensemble on two test sets, three readers in two groups, training
// history, and two heat-map PNGs written with OpenCV beside it.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

namespace deeptirp::testing {

using nlohmann::json;

inline json proportion(double value, double half_width) {
  return {{"value", value},
          {"ci", {std::max(0.0, value - half_width), std::min(1.0, value + half_width)}}};
}

// A binormal-looking ROC curve with vertical steps, as an empirical curve has, and its band.
inline json roc_curve(double k) {
  json points = json::array({{{"fpr", 0.0}, {"tpr", 0.0}, {"threshold", nullptr}}});
  for (int i = 1; i <= 20; ++i) {
    const double fpr = i / 20.0;
    const double tpr = 1 - std::pow(1 - fpr, k);
    points.push_back({{"fpr", (i - 1) / 20.0}, {"tpr", tpr}, {"threshold", 1 - fpr + 0.01}});
    points.push_back({{"fpr", fpr}, {"tpr", tpr}, {"threshold", 1 - fpr}});
  }
  return points;
}

inline json roc_band(double k) {
  json band = json::array();
  for (int i = 0; i <= 50; ++i) {
    const double fpr = i / 50.0;
    const double tpr = 1 - std::pow(1 - fpr, k);
    band.push_back({{"fpr", fpr},
                    {"tpr_low", std::max(0.0, tpr - 0.1)},
                    {"tpr_high", std::min(1.0, tpr + 0.1)}});
  }
  return band;
}

inline json evaluation(const std::string& model, const std::string& set, double auc, double k) {
  json bins = json::array();
  for (int b = 0; b < 10; ++b) {
    const bool empty = b == 4;  // an empty bin: no point on the reliability diagram
    bins.push_back({{"lower", b / 10.0},
                    {"upper", (b + 1) / 10.0},
                    {"n", empty ? 0 : 6},
                    {"mean_predicted", empty ? json() : json(b / 10.0 + 0.05)},
                    {"observed", empty ? json() : json(std::min(1.0, b / 10.0 + 0.02 * k))}});
  }
  return {{"model", model},
          {"set", set},
          {"n", 60},
          {"positives", 31},
          {"negatives", 29},
          {"auc", auc},
          {"auc_ci", {auc - 0.07, std::min(1.0, auc + 0.06)}},
          {"roc", roc_curve(k)},
          {"roc_band", roc_band(k)},
          {"threshold", 0.45},
          {"confusion", {{"tp", 27}, {"fp", 5}, {"tn", 24}, {"fn", 4}}},
          {"metrics",
           {{"accuracy", proportion(0.85, 0.09)},
            {"sensitivity", proportion(0.87, 0.1)},
            {"specificity", proportion(0.83, 0.11)},
            {"ppv", proportion(0.84, 0.1)},
            {"npv", proportion(0.86, 0.1)},
            {"f1", proportion(0.855, 0.08)}}},
          {"subtypes",
           {{{"class", "tumour"},
             {"subtype", "osteosarcoma"},
             {"n", 9},
             {"correct", 8},
             {"accuracy", proportion(0.889, 0.2)}},
            {{"class", "tumour"},
             {"subtype", "Ewing sarcoma"},
             {"n", 5},
             {"correct", 4},
             {"accuracy", proportion(0.8, 0.3)}},
            {{"class", "infection"},
             {"subtype", "osteomyelitis"},
             {"n", 20},
             {"correct", 17},
             {"accuracy", proportion(0.85, 0.15)}}}},
          {"calibration", {{"brier", 0.11}, {"intercept", 0.05}, {"slope", 0.9}, {"bins", bins}}},
          {"versus", {{{"model", "clinical"}, {"auc_diff", 0.12}, {"p", 0.0004}}}}};
}

inline json readers_part() {
  json readers = {{"groups", {"junior", "senior"}}};
  json list = json::array(), versus = json::array(), cohen = json::array();
  const std::string names[] = {"R1", "R2", "R3"};
  for (const std::string set : {"test", "external_test"}) {
    for (int r = 0; r < 3; ++r) {
      list.push_back({{"reader", names[r]},
                      {"group", r < 2 ? "junior" : "senior"},
                      {"set", set},
                      {"n", 60},
                      {"accuracy", proportion(0.7 + 0.05 * r, 0.1)},
                      {"sensitivity", proportion(0.72, 0.1)},
                      {"specificity", proportion(0.68, 0.1)},
                      {"fpr", 0.32 - 0.05 * r},
                      {"tpr", 0.72 + 0.04 * r},
                      {"auc", r == 2 ? json(0.8) : json()}});
      versus.push_back({{"model", "ensemble"},
                        {"reader", names[r]},
                        {"set", set},
                        {"n", 60},
                        {"model_accuracy", 0.9},
                        {"reader_accuracy", 0.7},
                        {"mcnemar_p", 0.01},
                        {"delong_p", nullptr}});
    }
    cohen.push_back(
        {{"a", "R1"}, {"b", "R2"}, {"set", set}, {"n", 60}, {"kappa", 0.41}, {"ci", {0.2, 0.6}}});
    cohen.push_back(
        {{"a", "R1"}, {"b", "R3"}, {"set", set}, {"n", 60}, {"kappa", 0.55}, {"ci", {0.35, 0.75}}});
    cohen.push_back(
        {{"a", "R2"}, {"b", "R3"}, {"set", set}, {"n", 60}, {"kappa", 0.62}, {"ci", {0.45, 0.8}}});
    cohen.push_back({{"a", "ensemble"},
                     {"b", "R3"},
                     {"set", set},
                     {"n", 60},
                     {"kappa", 0.7},
                     {"ci", {0.55, 0.85}}});
    readers["group_metrics"].push_back({{"group", "junior"},
                                        {"set", set},
                                        {"n", 120},
                                        {"accuracy", proportion(0.72, 0.08)},
                                        {"sensitivity", proportion(0.7, 0.08)},
                                        {"specificity", proportion(0.74, 0.08)},
                                        {"fpr", 0.26},
                                        {"tpr", 0.7}});
    readers["fleiss"].push_back({{"raters", "readers"},
                                 {"set", set},
                                 {"n_raters", 3},
                                 {"subjects", 60},
                                 {"kappa", 0.52},
                                 {"ci", {0.4, 0.64}},
                                 {"p", 0.00001}});
  }
  readers["readers"] = list;
  readers["versus_models"] = versus;
  readers["cohen"] = cohen;
  return readers;
}

// A heat-map-like PNG: a grey radiograph with a warm blob.
inline void write_heatmap_png(const std::filesystem::path& path, int width, int height) {
  std::filesystem::create_directories(path.parent_path());
  cv::Mat grey(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) grey.at<unsigned char>(y, x) = (x * 3 + y * 2) % 200 + 30;
  }
  cv::Mat blob = cv::Mat::zeros(height, width, CV_8UC1);
  cv::circle(blob, {width / 2, height / 2}, std::min(width, height) / 4, cv::Scalar(255), -1);
  cv::GaussianBlur(blob, blob, {0, 0}, std::min(width, height) / 10.0);
  cv::Mat colour, grey3, overlay;
  cv::applyColorMap(blob, colour, cv::COLORMAP_JET);
  cv::cvtColor(grey, grey3, cv::COLOR_GRAY2BGR);
  cv::addWeighted(grey3, 0.6, colour, 0.4, 0, overlay);
  cv::imwrite(path.string(), overlay);
}

// The whole fixture; PNGs go under `base` (the folder results.json would be in).
inline json make_results(const std::filesystem::path& base) {
  json results = {{"title", "DeepTIRP study: tumour vs infection"},
                  {"tool", {{"name", "deeptirp"}, {"version", "0.1.0"}, {"libtorch", "1.13.0"}}},
                  {"config",
                   {{"path", "study.yaml"},
                    {"text", "target: diagnosis\npositive: tumour\nsplit: {seed: 42}\n"},
                    {"seed", 42}}},
                  {"target", "diagnosis"},
                  {"positive", "tumour"},
                  {"classes", {"infection", "tumour"}},
                  {"sets", {"test", "external_test"}},
                  {"models",
                   {{{"name", "b3"},
                     {"kind", "image"},
                     {"architecture", "efficientnet_b3"},
                     {"threshold", 0.41},
                     {"threshold_rule", "calibrated"},
                     {"at_threshold",
                      {{{"set", "validation"},
                        {"n", 40},
                        {"sensitivity", {{"value", 0.85}, {"ci", {0.64, 0.95}}}},
                        {"specificity", {{"value", 0.8}, {"ci", {0.58, 0.92}}}}},
                       {{"set", "external_test"},
                        {"n", 90},
                        {"sensitivity", {{"value", 0.615}, {"ci", {0.47, 0.74}}}},
                        {"specificity", {{"value", 0.9}, {"ci", {0.79, 0.96}}}}}}},
                     {"best_epoch", 7},
                     {"epochs", 8}},
                    {{"name", "vit"},
                     {"kind", "image"},
                     {"architecture", "vit_b_16"},
                     {"threshold", 0.5},
                     {"best_epoch", 6},
                     {"epochs", 8}},
                    {{"name", "clinical"},
                     {"kind", "clinical"},
                     {"detail", "xgboost max_depth=2"},
                     {"threshold", 0.5}},
                    {{"name", "ensemble"},
                     {"kind", "ensemble"},
                     {"detail", "stacking"},
                     {"threshold", 0.47}}}}};
  for (const std::string split : {"train", "validation", "test", "external_test"}) {
    for (const std::string cls : {"infection", "tumour"}) {
      results["data"].push_back({{"split", split},
                                 {"class", cls},
                                 {"centre", split == "external_test" ? "B" : "A"},
                                 {"images", split == "train" ? 40 : 12},
                                 {"patients", split == "train" ? 31 : 10}});
    }
  }
  const char* names[] = {"b3", "vit", "clinical", "ensemble"};
  for (const std::string set : {"test", "external_test"}) {
    for (int m = 0; m < 4; ++m) {
      const double k = 2.5 + m + (set == "test" ? 1 : 0);
      results["evaluation"].push_back(evaluation(names[m], set, 0.8 + 0.03 * m, k));
    }
  }
  for (const std::string model : {"b3", "vit"}) {
    for (int epoch = 1; epoch <= 8; ++epoch) {
      results["training"].push_back(
          {{"model", model},
           {"epoch", epoch},
           {"lr", 0.01},
           {"train_loss", 0.7 - 0.05 * epoch},
           {"val_loss", 0.68 - 0.03 * epoch},
           {"val_auc", 0.7 + 0.02 * epoch + (model == "vit" ? 0.01 : 0)}});
    }
  }
  results["readers"] = readers_part();
  write_heatmap_png(base / "explain/b3/gradcam/img00012.png", 224, 224);
  write_heatmap_png(base / "explain/b3/gradcam/img00031.png", 300, 200);
  results["heatmaps"] = {{{"model", "b3"},
                          {"method", "gradcam"},
                          {"set", "test"},
                          {"image", "images/img00012.dcm"},
                          {"label", "tumour"},
                          {"probability", 0.93},
                          {"correct", true},
                          {"png", "explain/b3/gradcam/img00012.png"}},
                         {{"model", "b3"},
                          {"method", "gradcam"},
                          {"set", "external_test"},
                          {"image", "images/img00031.dcm"},
                          {"label", "infection"},
                          {"probability", 0.71},
                          {"correct", false},
                          {"png", "explain/b3/gradcam/img00031.png"}}};
  return results;
}

}  // namespace deeptirp::testing
