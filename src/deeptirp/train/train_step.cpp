#include "deeptirp/train/train_step.h"

#include "deeptirp/train/autocast.h"

namespace deeptirp {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c,
                                                        std::vector<torch::Tensor> params) {
  if (c.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::AdamW>(
      params, torch::optim::AdamWOptions(c.lr).weight_decay(c.weight_decay));
}

torch::Tensor forward_backward(ImageModel& model, const torch::Tensor& images,
                               const torch::Tensor& labels, const std::string& precision,
                               double pos_weight, double grad_scale, double label_smoothing,
                               SubtypeTarget* subtype, const torch::Tensor& subtypes) {
  torch::Tensor loss;
  {
    AutocastGuard autocast(precision, images.device());
    CamTap tap = model.forward_tap(images);
    auto logits = tap.logits.reshape({-1}).to(torch::kFloat32);
    loss = torch::binary_cross_entropy_with_logits(
        logits, labels * (1 - label_smoothing) + label_smoothing / 2, {},
        torch::full({1}, pos_weight, labels.options()), at::Reduction::Mean);
    if (subtype) loss = loss + subtype->loss(model, tap.activation, subtypes);
  }
  (loss * grad_scale).backward();
  return loss.detach();
}

void clear_gradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) p.mutable_grad().reset();
}

}  // namespace deeptirp
