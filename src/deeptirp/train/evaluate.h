#pragma once
// A model's outputs on a set of cases, and the validation figures the trainer tracks.
#include <torch/types.h>

#include <string>
#include <vector>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/manifest.h"
#include "deeptirp/data/preprocess.h"
#include "deeptirp/models/image_model.h"

namespace deeptirp {

struct Evaluation {
  std::vector<double> logits;         // one per case, in the order of `cases`
  std::vector<double> probabilities;  // sigmoid of the logits
  double loss = 0;                    // mean BCE, when every case has a label
  double auc = 0;                     // 0 when a class is absent
  double accuracy = 0;                // at probability 0.5
};

// Eval mode, no gradients. Cases whose label is empty count as unlabelled (no loss/AUC).
// `precision` is autocast's (fp32: none). A model already converted for inference
// (prepare_for_inference) gets its images in its own dtype.
Evaluation evaluate(ImageModel& model, const Manifest& manifest,
                    const std::vector<std::size_t>& cases, const std::string& positive,
                    const NormStats& norm, ImageCache& cache, const torch::Device& device,
                    int workers, const std::string& precision, const std::string& tta = "none");

// evaluate's two halves: the model's logit for each case, in the order of `cases`; and the
// figures of those logits (data-parallel validation gathers each rank's logits in between).
std::vector<double> case_logits(ImageModel& model, const Manifest& manifest,
                                const std::vector<std::size_t>& cases, const std::string& positive,
                                const NormStats& norm, ImageCache& cache,
                                const torch::Device& device, int workers,
                                const std::string& precision, const std::string& tta = "none");
Evaluation evaluation_of(std::vector<double> logits, const Manifest& manifest,
                         const std::vector<std::size_t>& cases, const std::string& positive);

}  // namespace deeptirp
