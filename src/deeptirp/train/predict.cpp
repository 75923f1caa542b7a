#include "deeptirp/train/predict.h"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/loader.h"
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/train/checkpoint.h"
#include "deeptirp/train/evaluate.h"
#include "deeptirp/train/run_setup.h"

namespace deeptirp {

std::filesystem::path resolve_model_folder(const std::filesystem::path& model) {
  if (std::filesystem::exists(model / "model.json")) return model;
  if (auto best = checkpoint_folder(model, "best")) return *best;
  throw Error(model.string() + ": neither a run folder (with best.json) nor a checkpoint folder "
              "(with model.json)");
}

std::size_t predict(const PredictRequest& r, std::string* note) {
  const auto folder = resolve_model_folder(r.model);
  std::ifstream card_file(folder / "model.json");
  const ModelCard card =
      ModelCard::from_json(nlohmann::json::parse(card_file, nullptr, false), (folder / "model.json").string());
  StudyConfig study;
  study.target = card.target;  // the manifest's labels may be any value, or empty
  Manifest manifest = read_manifest(r.manifest, study);
  std::vector<std::size_t> cases;
  for (std::size_t i = 0; i < manifest.cases.size(); ++i)
    if (r.split.empty() || manifest.cases[i].split == r.split) cases.push_back(i);
  if (cases.empty()) throw Error(r.manifest.string() + ": no cases in split '" + r.split + "'");

  auto model = build_model(card);
  load_checkpoint_weights(folder, *model);
  const torch::Device device(r.device);
  std::string autocast = r.precision;
  if (device.is_cpu()) {
    // The path `model forward` and bundles take, and bench/run_models.sh measures, rather than
    // the training modules under autocast.
    prepare_for_inference(*model, parse_precision(r.precision), note);
    autocast = "fp32";
  }
  model->to(device);
  ImageCache cache(card.image_options());
  const Evaluation e = evaluate(*model, manifest, cases, card.positive, card.norm, cache, device,
                                r.workers, autocast, r.flip_tta);
  std::vector<std::vector<std::string>> rows;
  char number[32];
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = manifest.cases[cases[k]];
    std::vector<std::string> row = {c.image, c.patient_id, c.split, c.label};
    std::snprintf(number, sizeof number, "%.6f", e.probabilities[k]);
    row.push_back(number);
    std::snprintf(number, sizeof number, "%.6f", e.logits[k]);
    row.push_back(number);
    rows.push_back(std::move(row));
  }
  write_csv(r.out, {"image", "patient_id", "split", card.target, "probability", "logit"}, rows);
  return cases.size();
}

}  // namespace deeptirp
