#pragma once
// The interface every image classifier shares: images in, logits out, with the hooks that the
// weight import and inference preparation need. Parameter names follow torchvision's state_dict.
#include <torch/nn/module.h>
#include <torch/types.h>

#include "deeptirp/error.h"
#include "deeptirp/models/state_dict.h"
#include "deeptirp/models/sync_batch_norm.h"

namespace deeptirp {

// What class activation maps need of a model: its logits and the activation of its CAM target
// layer, a tensor on the path to the logits (so autograd can take the logits' gradient at it).
struct CamTap {
  torch::Tensor logits;      // [N, num_classes]
  torch::Tensor activation;  // in the model's own layout; to_grid() makes it [N, C, h, w]
};

struct ModelOptions {
  int64_t num_classes = 1;  // 1: one logit for a sigmoid (binary); k > 1: k logits
  int64_t in_chans = 3;     // 1 (greyscale radiographs) or 3
  int64_t image_size = 0;   // 0: the architecture's default input size
  // Training-time regularisation; negative: torchvision's value for the architecture (dropout
  // before EfficientNet's classifier; stochastic depth of EfficientNet and Swin, the rate of the
  // last block). The identity in eval mode.
  double dropout = -1;
  double stochastic_depth = -1;
};

// A model is two halves: features() up to its CAM target layer (pytorch-grad-cam's target layer
// for the architecture) and head() from there to the logits. forward() and forward_tap() are both
// built from them, so the plain pass and the explained one cannot drift apart.
class ImageModel : public torch::nn::Module {
 public:
  // images [N, C, H, W] -> the CAM target layer's activation, in the model's own layout.
  virtual torch::Tensor features(torch::Tensor images) = 0;
  // That activation -> logits [N, num_classes], in the dtype of the model's parameters.
  virtual torch::Tensor head(const torch::Tensor& activation) = 0;

  torch::Tensor forward(torch::Tensor images) { return head(features(std::move(images))); }
  // The forward pass that also returns the target layer's activation (for autograd's gradient).
  CamTap forward_tap(torch::Tensor images) {
    torch::Tensor activation = features(std::move(images));
    return {head(activation), activation};
  }

  // Reshapes checkpoint tensors that legitimately differ for this configuration (e.g. ViT position
  // embeddings for another input size) before they are checked and copied.
  virtual void adapt_weights(StateDict& /*weights*/) const {}

  // For inference only, after the weights are loaded: folds batch norm into the convolutions and
  // converts to `dtype`. Training must not follow.
  virtual void prepare_inference(torch::ScalarType dtype) { convert_floating(dtype); }

  // Why this architecture is not run in bf16 for inference (prepare_for_inference then keeps
  // fp32 and says this); empty when it is. bf16 is offered where its logits stay within 2% of
  // fp32's scale with at least 99% of classes the same (tests/models/bf16_check.h).
  virtual std::string bf16_inference_refused() const { return {}; }

  // For training, after the weights are loaded and before the optimiser takes the parameters:
  // the memory layout the training step runs fastest in. The numbers are the same model's.
  virtual void prepare_training() {}

  // Data-parallel training with synchronised batch norm: from now on, each batch-norm layer in
  // training mode takes its statistics over every rank's cases, summed by `sum`. Returns whether
  // the model has batch norm at all (transformers have none).
  virtual bool synchronise_batch_norm(const SumOverRanks& /*sum*/) { return false; }

  // An activation of features() (or its gradient) as a grid [N, C, h, w].
  virtual torch::Tensor to_grid(const torch::Tensor& activation) const { return activation; }

  const ModelOptions& options() const { return options_; }

 protected:
  explicit ImageModel(ModelOptions options) : options_(options) {}

  // Module::to(dtype) would also turn integer buffers (Swin's relative position index, batch
  // norm's counter) into floats; only floating-point tensors change here.
  void convert_floating(torch::ScalarType dtype) {
    torch::NoGradGuard no_grad;
    for (auto& tensor : parameters()) {
      if (tensor.is_floating_point()) tensor.set_data(tensor.to(dtype));
    }
    for (auto& tensor : buffers()) {
      if (tensor.is_floating_point()) tensor.set_data(tensor.to(dtype));
    }
  }
  ModelOptions options_;
};

}  // namespace deeptirp
