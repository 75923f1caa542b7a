#include "deeptirp/explain/cam.h"

#include <torch/torch.h>

#include "deeptirp/error.h"

namespace deeptirp {
namespace {

namespace F = torch::nn::functional;

torch::Tensor target_score(const torch::Tensor& logits, const CamOptions& o) {
  if (o.target_class < 0 || o.target_class >= logits.size(1)) {
    throw Error("CAM target class " + std::to_string(o.target_class) + " is not one of the " +
                std::to_string(logits.size(1)) + " logits of the model");
  }
  auto score = logits.select(1, o.target_class);
  return o.negative ? -score : score;
}

// Score-CAM (Wang et al. 2020) as pytorch-grad-cam's ScoreCAM: each channel upsampled to the
// input (bilinear, align_corners as its UpsamplingBilinear2d), min-max normalised, multiplied
// into the input; the weights are a softmax over the channels of the masked inputs' raw target
// scores (logits, not probabilities); its 1e-8 keeps a constant channel's mask at zero.
torch::Tensor score_cam_weights(ImageModel& model, const torch::Tensor& images,
                                const torch::Tensor& grid, const CamOptions& o) {
  torch::NoGradGuard no_grad;
  const int64_t n = images.size(0), channels = grid.size(1);
  auto up = F::interpolate(grid, F::InterpolateFuncOptions()
                                     .size(std::vector<int64_t>{images.size(2), images.size(3)})
                                     .mode(torch::kBilinear)
                                     .align_corners(true));
  auto flat = up.flatten(2);
  auto low = std::get<0>(flat.min(2, true));
  auto high = std::get<0>(flat.max(2, true));
  auto masks = ((flat - low) / (high - low + 1e-8)).view_as(up);
  auto scores = torch::empty({n, channels}, torch::kFloat);
  const int64_t batch = std::max<int64_t>(1, o.score_batch);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t start = 0; start < channels; start += batch) {
      const int64_t end = std::min(channels, start + batch);
      auto masked = images[i].unsqueeze(0) * masks[i].slice(0, start, end).unsqueeze(1);
      scores[i]
          .slice(0, start, end)
          .copy_(target_score(model.forward(masked), o).to(torch::kFloat));
    }
  }
  return torch::softmax(scores, 1);
}

}  // namespace

CamMethod parse_cam_method(const std::string& name) {
  if (name == "gradcam") return CamMethod::kGradCam;
  if (name == "gradcampp") return CamMethod::kGradCamPlusPlus;
  if (name == "scorecam") return CamMethod::kScoreCam;
  throw Error("unknown CAM method '" + name + "' (gradcam, gradcampp, scorecam)");
}

std::string cam_method_name(CamMethod method) {
  switch (method) {
    case CamMethod::kGradCam:
      return "gradcam";
    case CamMethod::kGradCamPlusPlus:
      return "gradcampp";
    case CamMethod::kScoreCam:
      return "scorecam";
  }
  return "";
}

torch::Tensor grad_cam_weights(const torch::Tensor& gradient_grid) {
  return gradient_grid.mean({2, 3});
}

// pytorch-grad-cam's GradCAMPlusPlus: alpha = g^2 / (2 g^2 + sum(A) g^3 + eps), zero where g is.
torch::Tensor grad_cam_plus_plus_weights(const torch::Tensor& activation_grid,
                                         const torch::Tensor& gradient_grid) {
  const auto& g = gradient_grid;
  auto g2 = g * g;
  auto g3 = g2 * g;
  auto sum_a = activation_grid.sum({2, 3}, true);
  auto alpha = g2 / (2 * g2 + sum_a * g3 + 1e-6);
  alpha = torch::where(g != 0, alpha, torch::zeros_like(alpha));
  return (alpha * torch::relu(g)).sum({2, 3});
}

torch::Tensor weighted_cam(const torch::Tensor& weights, const torch::Tensor& activation_grid) {
  auto cam = torch::relu((weights.unsqueeze(2).unsqueeze(3) * activation_grid).sum(1));
  // Min-max to [0, 1]. pytorch-grad-cam divides by (1e-7 + the maximum); an absolute epsilon
  // flattens maps whose values are small (an untrained network's), so a constant map becomes 0
  // here and any other is divided by its own range.
  auto flat = cam.flatten(1);
  flat = flat - std::get<0>(flat.min(1, true));
  auto range = std::get<0>(flat.max(1, true));
  flat = torch::where(range > 0, flat / range.clamp_min(1e-30), torch::zeros_like(flat));
  return flat.view_as(cam);
}

CamResult compute_cam(ImageModel& model, const torch::Tensor& images, const CamOptions& o) {
  const bool score_cam = o.method == CamMethod::kScoreCam;
  torch::AutoGradMode grad_mode(!score_cam);
  // An input that requires grad keeps the activation on the graph even for frozen weights.
  const auto input = score_cam ? images.detach() : images.detach().requires_grad_(true);
  CamTap tap = model.forward_tap(input);
  const auto grid = model.to_grid(tap.activation.detach()).to(torch::kFloat);
  torch::Tensor weights;
  if (score_cam) {
    weights = score_cam_weights(model, input, grid.to(input.scalar_type()), o);
  } else {
    auto score = target_score(tap.logits, o).sum();
    auto gradient = torch::autograd::grad({score}, {tap.activation})[0];
    auto gradient_grid = model.to_grid(gradient).to(torch::kFloat);
    weights = o.method == CamMethod::kGradCam ? grad_cam_weights(gradient_grid)
                                              : grad_cam_plus_plus_weights(grid, gradient_grid);
  }
  torch::NoGradGuard no_grad;
  auto maps = weighted_cam(weights, grid).unsqueeze(1);
  maps = F::interpolate(maps, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{input.size(2), input.size(3)})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
  return {maps.squeeze(1).clamp(0, 1).contiguous(), tap.logits.detach()};
}

}  // namespace deeptirp
