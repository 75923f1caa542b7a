#include "deeptirp/train/predict.h"

#include <torch/torch.h>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/loader.h"
#include "deeptirp/data/predictions.h"
#include "deeptirp/error.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/models/test_time.h"
#include "deeptirp/train/evaluate.h"

namespace deeptirp {

std::size_t predict(const PredictRequest& r, std::string* note) {
  if (!r.tta.empty() && !is_tta_kind(r.tta))
    throw Error("--tta: '" + r.tta + "' is not one of " + tta_kinds_text());
  LoadedModel loaded = load_classifier(r.model);
  const ModelCard& card = loaded.card;
  StudyConfig study;
  study.target = card.target;  // the manifest's labels may be any value, or empty
  const Manifest manifest = manifest_or_read(r.manifest_read, r.manifest, study);
  const std::vector<std::size_t> cases = cases_in_split(manifest, r.split);
  if (cases.empty()) throw Error(r.manifest.string() + ": no cases in split '" + r.split + "'");

  std::shared_ptr<ImageModel> model = loaded.model;
  const torch::Device device(r.device);
  std::string autocast = r.precision;
  if (device.is_cpu()) {
    // The path `model forward` and bundles take, and bench/run_models.sh measures, rather than
    // the training modules under autocast.
    prepare_for_inference(*model, parse_precision(r.precision), note);
    autocast = "fp32";
  }
  model->to(device);
  ImageCache cache(card.image_options(), r.cache_dir);
  const Evaluation e = evaluate(*model, manifest, cases, card.positive, card.norm, cache, device,
                                r.workers, autocast, r.tta.empty() ? card.tta : r.tta);
  write_predictions(r.out, manifest, cases,
                    {{"probability", e.probabilities}, {"logit", e.logits}});
  return cases.size();
}

}  // namespace deeptirp
