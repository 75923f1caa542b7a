// The ROC curve for the report, and its 95% band: the stratified bootstrap of pROC's ci.se, read
// as the TPR reached at each FPR of a fixed grid.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/stats/bootstrap.h"
#include "deeptirp/stats/roc.h"

namespace deeptirp::evaluate {
namespace {

constexpr int kGridSteps = 50;  // FPR 0, 0.02, ..., 1

struct Scored {
  double score;
  bool is_case;
  std::size_t index;  // within its class
};

// The highest TPR reached at each grid FPR, with subjects counted by their weights.
std::vector<double> tpr_on_grid(const std::vector<Scored>& descending,
                                const std::vector<std::uint32_t>& case_w,
                                const std::vector<std::uint32_t>& control_w) {
  const double n_cases = std::accumulate(case_w.begin(), case_w.end(), 0.0);
  const double n_controls = std::accumulate(control_w.begin(), control_w.end(), 0.0);
  std::vector<double> grid(kGridSteps + 1, 0.0);
  double tp = 0, fp = 0;
  std::size_t i = 0;
  while (i < descending.size()) {
    // Subjects with equal scores pass the threshold together.
    const double score = descending[i].score;
    for (; i < descending.size() && descending[i].score == score; ++i) {
      const Scored& s = descending[i];
      (s.is_case ? tp : fp) += s.is_case ? case_w[s.index] : control_w[s.index];
    }
    const double fpr = fp / n_controls, tpr = tp / n_cases;
    for (int g = kGridSteps; g >= 0 && fpr <= g / double(kGridSteps) + 1e-12; --g)
      grid[static_cast<std::size_t>(g)] = std::max(grid[static_cast<std::size_t>(g)], tpr);
  }
  return grid;
}

}  // namespace

nlohmann::json roc_points(const std::vector<double>& cases, const std::vector<double>& controls) {
  auto curve = stats::roc_curve({cases, controls});
  std::reverse(curve.begin(), curve.end());  // from +inf (nobody positive) down: fpr ascending
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : curve)
    points.push_back({{"fpr", 1 - p.specificity},
                      {"tpr", p.sensitivity},
                      {"threshold", std::isfinite(p.threshold) ? nlohmann::json(p.threshold)
                                                               : nlohmann::json()}});
  return points;
}

nlohmann::json roc_band(const std::vector<double>& cases, const std::vector<double>& controls,
                        std::size_t replicates, std::uint64_t seed) {
  std::vector<Scored> descending;
  for (std::size_t i = 0; i < cases.size(); ++i) descending.push_back({cases[i], true, i});
  for (std::size_t i = 0; i < controls.size(); ++i) descending.push_back({controls[i], false, i});
  std::stable_sort(descending.begin(), descending.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  std::vector<std::vector<double>> by_grid(kGridSteps + 1);
  stats::stratified_bootstrap(cases.size(), controls.size(), replicates, seed,
                              [&](const auto& case_w, const auto& control_w) {
                                const auto grid = tpr_on_grid(descending, case_w, control_w);
                                for (std::size_t g = 0; g < grid.size(); ++g)
                                  by_grid[g].push_back(grid[g]);
                                return 0.0;
                              });
  nlohmann::json band = nlohmann::json::array();
  for (std::size_t g = 0; g < by_grid.size(); ++g) {
    const auto [low, high] = stats::percentile_interval(by_grid[g], 0.95);
    band.push_back({{"fpr", g / double(kGridSteps)}, {"tpr_low", low}, {"tpr_high", high}});
  }
  return band;
}

}  // namespace deeptirp::evaluate
