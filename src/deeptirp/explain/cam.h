#pragma once
// Class activation maps in pytorch-grad-cam's frame: the activation A and the gradient G of the
// target score at the architecture's target layer (ImageModel::forward_tap), one weight per
// channel, the weighted sum of the channels, ReLU, min-max scaling, and a bilinear resize to the
// model's input. The methods differ only in the channel weights.
#include <torch/types.h>

#include <string>

#include "deeptirp/models/image_model.h"

namespace deeptirp {

enum class CamMethod {
  kGradCam,          // Selvaraju et al. 2017: spatial mean of G
  kGradCamPlusPlus,  // Chattopadhay et al. 2018: sum of alpha * relu(G)
  kScoreCam,         // Wang et al. 2020: softmax over channels of masked-input scores
};

// "gradcam" | "gradcampp" | "scorecam"; throws Error naming the known methods.
CamMethod parse_cam_method(const std::string& name);
std::string cam_method_name(CamMethod method);

struct CamOptions {
  CamMethod method = CamMethod::kGradCam;
  int64_t target_class = 0;  // the logit explained; a single-logit model has only 0
  bool negative = false;     // explain the opposite of that logit (the logit negated)
  int64_t score_batch = 32;  // Score-CAM: masked images per forward pass
};

struct CamResult {
  torch::Tensor maps;    // [N, H, W] float in [0, 1], the size of the model's input
  torch::Tensor logits;  // [N, num_classes], from the unmasked forward pass
};

// `images` [N, C, H, W] as the model takes them. The model should be in eval mode; its
// parameters' requires_grad is left as it is (gradients are taken only at the activation).
CamResult compute_cam(ImageModel& model, const torch::Tensor& images, const CamOptions& options);

// The steps shared by every method, exposed for tests: weights [N, C] and grid [N, C, h, w] ->
// relu(sum_c w_c A_c), each map min-max scaled to [0, 1] (a constant map becomes 0), [N, h, w].
torch::Tensor weighted_cam(const torch::Tensor& weights, const torch::Tensor& activation_grid);

// The channel weights of each gradient method from A and G ([N, C, h, w]).
torch::Tensor grad_cam_weights(const torch::Tensor& gradient_grid);
torch::Tensor grad_cam_plus_plus_weights(const torch::Tensor& activation_grid,
                                         const torch::Tensor& gradient_grid);

}  // namespace deeptirp
