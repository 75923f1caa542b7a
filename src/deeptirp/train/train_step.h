#pragma once
// One optimisation step of an image model, as the trainer runs it and bench/bench_train.cpp times
// it: forward under the configured precision, BCE-with-logits, backward; the optimiser step
// follows once a whole batch's micro-batches have added their gradients.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "deeptirp/models/image_model.h"
#include "deeptirp/train/subtype_target.h"
#include "deeptirp/train/train_config.h"

namespace deeptirp {

// The configured optimiser over `params`: SGD with momentum and weight decay, or AdamW.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& config,
                                                        std::vector<torch::Tensor> params);

// Forward and backward of one micro-batch (images [N, C, H, W], labels [N] of 0/1 floats) under
// `precision` (fp32 | bf16 | fp16 autocast): the mean BCE-with-logits loss with positives
// weighted by pos_weight, against targets smoothed to y (1 - s) + s / 2 (s = label_smoothing).
// With `subtype`, its loss on `subtypes` (class indices [N]) is added. The gradient of
// loss * grad_scale is added to the parameters' own. Returns the unscaled loss.
torch::Tensor forward_backward(ImageModel& model, const torch::Tensor& images,
                               const torch::Tensor& labels, const std::string& precision,
                               double pos_weight, double grad_scale, double label_smoothing = 0,
                               SubtypeTarget* subtype = nullptr,
                               const torch::Tensor& subtypes = {});

// Drops the gradients (Python's zero_grad(set_to_none=True)): the next backward pass writes them
// instead of adding to zeros, the same numbers without two passes over every gradient. Every
// parameter of our models receives a gradient each step, so the optimisers update the same ones.
void clear_gradients(torch::optim::Optimizer& optimizer);

}  // namespace deeptirp
