#pragma once
// The transformers' two most frequent layers, called the way that is fastest on the CPU.
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

}  // namespace deeptirp
