#pragma once
// Layers the image models share: the transformers' two most frequent ones, called the way that is
// fastest on the CPU, and torchvision's stochastic depth.
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace deeptirp {

// A linear layer over the last dimension as one GEMM with the bias folded in (addmm), whatever
// the number of leading dimensions. The C++ frontend's torch::nn::Linear::forward does that only
// for 2-D inputs; for tokens [N, L, C] or Swin's [N, H, W, C] it multiplies, then adds the bias in
// a second pass over the output (and sums it again in the backward pass): ~5% of a ViT step.
// In bf16, addmm goes to oneDNN with the bias fused.
inline torch::Tensor linear(const torch::nn::Linear& layer, const torch::Tensor& x) {
  if (x.dim() == 2) return at::linear(x, layer->weight, layer->bias);
  auto sizes = x.sizes().vec();
  sizes.back() = layer->weight.size(0);
  return at::linear(x.reshape({-1, x.size(-1)}), layer->weight, layer->bias).view(sizes);
}

// Layer norm with its statistics in fp32 whatever the input's type. LibTorch 1.13's bf16 CPU
// kernel is scalar: 5-10x slower than converting to fp32, normalising and converting back (it
// was a third of bf16 Swin-T inference), and its outputs are off by up to 4 bf16 steps instead
// of one rounding. It also cannot take bf16 inputs with fp32 weights, as autocast hands it.
inline torch::Tensor layer_norm(const torch::nn::LayerNorm& layer, const torch::Tensor& x) {
  const auto& options = layer->options;
  if (x.scalar_type() != torch::kBFloat16)
    return at::layer_norm(x, options.normalized_shape(), layer->weight, layer->bias, options.eps());
  return at::layer_norm(x.to(torch::kFloat), options.normalized_shape(),
                        layer->weight.to(torch::kFloat), layer->bias.to(torch::kFloat),
                        options.eps())
      .to(torch::kBFloat16);
}

// Stochastic depth (Huang et al. 2016) per sample, torchvision.ops.stochastic_depth's "row" mode:
// in training, each sample's residual branch is dropped with probability p and the kept ones are
// scaled by 1 / (1 - p). Same RNG calls in the same order as torchvision, so a seeded forward
// pass draws the same samples. The identity in eval mode or with p = 0 (no random numbers drawn).
inline torch::Tensor stochastic_depth(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0.0) return x;
  const double survival = 1.0 - p;
  std::vector<int64_t> size(x.dim(), 1);
  size[0] = x.size(0);
  auto keep = at::empty(size, x.options()).bernoulli_(survival);
  if (survival > 0.0) keep.div_(survival);
  return x * keep;
}

}  // namespace deeptirp
