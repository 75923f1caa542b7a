#pragma once
// Test-time augmentation: a model's logit for an image as the mean of its logits over a few views
// of it. Which views is the model card's `tta` (a training setting, so that the study's own
// predictions, the ensemble fitted on them and the bundle all see the same):
//   none   the image itself
//   flips  the image and its horizontal, vertical and double flips (the flips training draws)
//   views  the image and a centre zoom of 87.5%, each as it is and flipped left-right
#include <torch/torch.h>

#include <functional>
#include <string>

namespace deeptirp {

bool is_tta_kind(const std::string& kind);
std::string tta_kinds_text();  // "none | flips | views"

// images [N, C, H, W] -> mean logits [N, K]. `forward` maps a batch of views to their logits.
torch::Tensor tta_logits(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                         const torch::Tensor& images, const std::string& kind);

}  // namespace deeptirp
