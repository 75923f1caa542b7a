// Heat maps for the report's gallery: for each image model, method and test set, the cases it got
// most confidently right and most confidently wrong (at its validation threshold), as the study
// showed Grad-CAM and Score-CAM maps of both.
#include <algorithm>
#include <cmath>

#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/explain/explain.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/study/study_context.h"

namespace deeptirp::study {
namespace {

struct Pick {
  std::size_t row;  // manifest row
  bool correct;
};

std::vector<Pick> pick_cases(const Manifest& manifest, const std::vector<double>& probability,
                             const std::string& positive, double threshold, const std::string& set,
                             int per_kind) {
  std::vector<std::pair<double, Pick>> right, wrong;  // by confidence, most confident first
  for (std::size_t r = 0; r < manifest.cases.size(); ++r) {
    if (manifest.cases[r].split != set) continue;
    const bool called = probability[r] >= threshold;
    const bool correct = called == (manifest.cases[r].label == positive);
    (correct ? right : wrong).push_back({-std::abs(probability[r] - threshold), {r, correct}});
  }
  std::vector<Pick> picks;
  for (auto* kind : {&right, &wrong}) {
    std::stable_sort(kind->begin(), kind->end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (int k = 0; k < per_kind && k < static_cast<int>(kind->size()); ++k)
      picks.push_back((*kind)[static_cast<std::size_t>(k)].second);
  }
  return picks;
}

}  // namespace

void run_explain_stage(const StudyContext& ctx, const ImageModelSpec& spec) {
  const Manifest& manifest = ctx.cases;
  const auto probability =
      evaluate::read_predictions(ctx.image_predictions(spec.name), manifest, {"probability"})
          .probability[0];
  const double threshold =
      evaluate::part_threshold(probability, manifest, ctx.config.positive, ctx.evaluate).value;
  const auto dir = ctx.explain_dir(spec.name);
  std::filesystem::remove_all(dir);
  nlohmann::json gallery = nlohmann::json::array();
  for (const auto& set : ctx.plan.explain_sets) {
    const auto picks = pick_cases(manifest, probability, ctx.config.positive, threshold, set,
                                  ctx.plan.explain_cases);
    if (picks.empty()) continue;
    Manifest chosen = manifest;
    chosen.path = dir / set / "cases.csv";
    chosen.cases.clear();
    for (const Pick& p : picks) {
      chosen.cases.push_back(manifest.cases[p.row]);
      chosen.cases.back().image = manifest.image_path(manifest.cases[p.row]).string();
    }
    std::filesystem::create_directories(chosen.path.parent_path());
    write_manifest(chosen.path, chosen);
    for (const auto& method : ctx.plan.explain_methods) {
      ExplainRequest request;
      request.model = ctx.run_dir(spec.name);
      request.manifest = chosen.path;
      request.manifest_read = &chosen;
      request.out = dir / set / method;
      request.method = method;
      request.progress = ctx.quiet ? "quiet" : "auto";
      for (const ExplainedCase& e : explain(request)) {
        const Pick& p = picks[e.row - 1];
        const Case& c = manifest.cases[p.row];
        gallery.push_back({{"model", spec.name},
                           {"method", method},
                           {"set", set},
                           {"image", c.image},
                           {"label", c.label},
                           {"probability", e.probability},
                           {"correct", p.correct},
                           {"png", (request.out / e.png).string()}});
      }
    }
  }
  write_file_atomically(dir / "heatmaps.json", gallery.dump(1) + "\n");
}

}  // namespace deeptirp::study
