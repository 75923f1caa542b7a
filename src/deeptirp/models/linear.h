#pragma once
// A linear layer over the last dimension as one GEMM with the bias folded in (addmm), whatever
// the number of leading dimensions. The C++ frontend's torch::nn::Linear::forward does that only
// for 2-D inputs; for tokens [N, L, C] or Swin's [N, H, W, C] it multiplies, then adds the bias in
// a second pass over the output (and sums it again in the backward pass): ~5% of a ViT step.
// Models converted to bf16 for inference keep the frontend's path, the one their bf16 acceptance
// test (logits within 2% of fp32, 99% class agreement) was passed with.
#include <torch/nn/functional/linear.h>
#include <torch/nn/modules/linear.h>

namespace deeptirp {

inline torch::Tensor linear(const torch::nn::Linear& layer, const torch::Tensor& x) {
  if (x.dim() == 2 || layer->weight.scalar_type() != torch::kFloat)
    return torch::nn::functional::linear(x, layer->weight, layer->bias);  // Linear::forward
  auto sizes = x.sizes().vec();
  sizes.back() = layer->weight.size(0);
  return at::linear(x.reshape({-1, x.size(-1)}), layer->weight, layer->bias).view(sizes);
}

}  // namespace deeptirp
