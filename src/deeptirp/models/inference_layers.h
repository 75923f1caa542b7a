#pragma once
// The transformers' linear layers, layer norms and attention softmax as prepared for inference.
// They call oneDNN (the library LibTorch's own bf16 kernels run on) directly, in bf16 and fp32:
// - linear: the bias, the GELU after fc1 and the residual add after fc2 and the attention
//   projection are done while each output tile is still in cache, where ATen (at::addmm) makes
//   three passes over the output. bf16 weights are packed once into the layout of its AMX
//   kernels. In fp32 its AVX-512 kernels beat OpenBLAS's (LibTorch's fp32 GEMM) on the 197-row
//   products of batch 1.
// - layer norm: oneDNN's bf16 kernel reads bf16 and writes bf16 in one pass, with fp32
//   statistics, faster than LibTorch 1.13's (see layers.h), with the same rounding.
// The measurements behind each choice: docs/performance.md.
// - softmax, in place (below).
// Where deeptirp was built without oneDNN's headers (LibTorch 2.x wheels bundle oneDNN
// privately), the same calls go through ATen. No autograd: training and class activation maps
// use the modules' own forward. The prepared layers are read-only, so several threads may run
// one model.
#include <ATen/ATen.h>
#include <torch/nn/modules/normalization.h>

#include <memory>

namespace deeptirp {

// Whether this build calls oneDNN (else ATen throughout).
bool inference_layers_use_onednn();

class InferenceLinear {
 public:
  enum class Then { kNothing, kGelu };  // what the output goes through (exact, erf GELU)

  InferenceLinear() = default;
  // weight [out, in] and bias [out] (undefined: none), as the module holds them after
  // ImageModel::prepare_inference converted it; they are shared, not copied.
  InferenceLinear(const at::Tensor& weight, const at::Tensor& bias, Then then = Then::kNothing);

  explicit operator bool() const { return weight_.defined(); }

  // x [..., in] -> [..., out], in x's dtype.
  at::Tensor operator()(const at::Tensor& x) const;

  // residual [..., out] += layer(x), in place; residual must be contiguous.
  void add_to(const at::Tensor& residual, const at::Tensor& x) const;

 private:
  struct OneDnn;  // the matmul primitives per row count, when built with oneDNN
  at::Tensor weight_, bias_;
  Then then_ = Then::kNothing;
  std::shared_ptr<OneDnn> onednn_;
};

class InferenceLayerNorm {
 public:
  InferenceLayerNorm() = default;
  explicit InferenceLayerNorm(const torch::nn::LayerNorm& layer);

  explicit operator bool() const { return !layer_.is_empty(); }

  // x [..., C] -> normalised over C, in x's dtype.
  at::Tensor operator()(const at::Tensor& x) const;

 private:
  struct OneDnn;  // the layer norm primitives per row count, when built with oneDNN
  torch::nn::LayerNorm layer_{nullptr};
  std::shared_ptr<OneDnn> onednn_;
};

// The batched matrix products of attention (scores = q k^T, outputs = attention v), in inference
// and in training (with its backward pass), through oneDNN's batched matmul. fp32 reads q, k and v
// where they lie: LibTorch 1.13's fp32 bmm calls one GEMM per matrix, thousands of tiny ones per
// Swin block. bf16 reads dense copies (the copies LibTorch makes too; strided bf16 reads were
// slower) with primitives made once.
class AttentionProduct {
 public:
  AttentionProduct();

  // a [..., M, K] x b [..., K, N] -> [..., M, N], dense; differentiable when autograd is on.
  at::Tensor operator()(const at::Tensor& a, const at::Tensor& b) const;

  // The same product without autograd.
  at::Tensor no_grad(const at::Tensor& a, const at::Tensor& b) const;

 private:
  bool runs_onednn(const at::Tensor& a, const at::Tensor& b) const;

  struct OneDnn;  // the matmul primitives per shape and strides, when built with oneDNN
  std::shared_ptr<OneDnn> onednn_;
};

// Softmax over the last dimension of attention scores, for inference, through oneDNN in place.
// LibTorch 1.13's kernels are slow on these short rows (Swin's are 49 wide): in both precisions
// they became the largest ATen operator once the linear layers were oneDNN's.
// Elsewhere at::softmax. (oneDNN's binary add for Swin's broadcast bias was slower than ATen's,
// so the bias stays an ATen add.)
class InferenceSoftmax {
 public:
  InferenceSoftmax();

  // scores [..., C] -> softmax over C; overwrites (and returns) scores on the oneDNN path.
  at::Tensor operator()(const at::Tensor& scores) const;

 private:
  struct OneDnn;  // the softmax primitives per shape, when built with oneDNN
  std::shared_ptr<OneDnn> onednn_;
};

}  // namespace deeptirp
