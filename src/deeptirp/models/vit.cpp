#include "deeptirp/models/vit.h"

#include <ATen/core/grad_mode.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <cmath>
#include <map>

#include "deeptirp/error.h"
#include "deeptirp/models/inference_layers.h"
#include "deeptirp/models/layers.h"

namespace deeptirp {
namespace {

namespace nn = torch::nn;
constexpr int64_t kPatch = 16;
constexpr double kLayerNormEps = 1e-6;  // torchvision's ViT norm_layer

// nn.MultiheadAttention's parameters: in_proj_weight/bias and out_proj.
class SelfAttention : public nn::Module {
 public:
  SelfAttention(int64_t dim, int64_t heads) : heads_(heads) {
    // nn.MultiheadAttention's initialisation: Xavier-uniform projections, zero biases.
    in_weight_ = register_parameter("in_proj_weight", torch::empty({3 * dim, dim}));
    torch::nn::init::xavier_uniform_(in_weight_);
    in_bias_ = register_parameter("in_proj_bias", torch::zeros({3 * dim}));
    out_ = register_module("out_proj", nn::Linear(dim, dim));
  }

  // [N, L, dim] -> [N, L, dim], with autograd (training, class activation maps).
  torch::Tensor forward(const torch::Tensor& x) {
    return linear(out_, heads(at::linear(x, in_weight_, in_bias_)));
  }

  // The attention output of the class token alone, [N, 1, dim]: its query against every token's
  // key and value. in_proj's rows are q, k, v in that order, so the slices are contiguous views.
  torch::Tensor forward_class_token(const torch::Tensor& x) {
    const int64_t dim = x.size(2);
    return linear(
        out_,
        class_token_heads(
            at::linear(x.narrow(1, 0, 1), in_weight_.narrow(0, 0, dim), in_bias_.narrow(0, 0, dim)),
            at::linear(x, in_weight_.narrow(0, dim, 2 * dim), in_bias_.narrow(0, dim, 2 * dim))));
  }

  // Inference after prepare_inference: residual += forward(x) (or forward_class_token(x)), in
  // place, the projection's bias and the add fused into its GEMM.
  void add_to(const torch::Tensor& residual, const torch::Tensor& x) const {
    out_inference_.add_to(residual, heads(qkv_inference_(x)));
  }
  void add_class_token_to(const torch::Tensor& residual, const torch::Tensor& x) const {
    out_inference_.add_to(residual,
                          class_token_heads(q_inference_(x.narrow(1, 0, 1)), kv_inference_(x)));
  }

  // `class_token`: also for add_class_token_to (the last block). Its q and kv layers are only
  // made there, since in bf16 each packs its own copy of in_proj's weights.
  void prepare_inference(bool class_token) {
    const int64_t dim = out_->weight.size(0);
    qkv_inference_ = InferenceLinear(in_weight_, in_bias_);
    if (class_token) {
      q_inference_ = InferenceLinear(in_weight_.narrow(0, 0, dim), in_bias_.narrow(0, 0, dim));
      kv_inference_ =
          InferenceLinear(in_weight_.narrow(0, dim, 2 * dim), in_bias_.narrow(0, dim, 2 * dim));
    }
    out_inference_ = InferenceLinear(out_->weight, out_->bias);
  }

 private:
  // qkv [N, L, 3 dim] -> the heads' outputs side by side, [N, L, dim].
  torch::Tensor heads(const torch::Tensor& qkv) const {
    const int64_t n = qkv.size(0), length = qkv.size(1), dim = qkv.size(2) / 3;
    auto parts = qkv.view({n, length, 3, heads_, dim / heads_})
                     .permute({2, 0, 3, 1, 4})
                     .unbind(0);  // one backward node (a stack), not three zero-filled selects
    return attend(parts[0], parts[1], parts[2]);
  }

  // q [N, 1, dim] (the class token's), kv [N, L, 2 dim] -> [N, 1, dim].
  torch::Tensor class_token_heads(const torch::Tensor& q, const torch::Tensor& kv) const {
    const int64_t n = q.size(0), length = kv.size(1), dim = q.size(2);
    auto parts = kv.view({n, length, 2, heads_, dim / heads_}).permute({2, 0, 3, 1, 4}).unbind(0);
    return attend(q.view({n, 1, heads_, dim / heads_}).transpose(1, 2), parts[0], parts[1]);
  }

  // q [N, heads, queries, head_dim], k and v [N, heads, L, head_dim] -> [N, queries, dim].
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k,
                       const torch::Tensor& v) const {
    const int64_t n = q.size(0), queries = q.size(2), head_dim = q.size(3);
    auto scaled = q * (1.0 / std::sqrt(static_cast<double>(head_dim)));
    const bool inference = qkv_inference_ && !at::GradMode::is_enabled();
    auto scores = product_(scaled, k.transpose(-2, -1));
    auto attention = inference ? softmax_inference_(scores) : at::softmax(scores, -1);
    return product_(attention, v).transpose(1, 2).reshape({n, queries, heads_ * head_dim});
  }

  int64_t heads_;
  torch::Tensor in_weight_, in_bias_;
  nn::Linear out_{nullptr};
  InferenceLinear qkv_inference_, q_inference_, kv_inference_, out_inference_;
  AttentionProduct product_;
  InferenceSoftmax softmax_inference_;
};

// EncoderBlock: pre-norm attention and MLP (Linear "0", GELU, Linear "3"), each residual.
// Dropout is the identity in eval mode.
class EncoderBlock : public nn::Module {
 public:
  EncoderBlock(const VitSize& size) {
    auto norm = [](int64_t d) {
      return nn::LayerNorm(nn::LayerNormOptions({d}).eps(kLayerNormEps));
    };
    ln_1_ = register_module("ln_1", norm(size.hidden_dim));
    attention_ = register_module("self_attention",
                                 std::make_shared<SelfAttention>(size.hidden_dim, size.num_heads));
    ln_2_ = register_module("ln_2", norm(size.hidden_dim));
    auto mlp = register_module("mlp", nn::ModuleList());
    fc1_ = nn::Linear(size.hidden_dim, size.mlp_dim);
    fc2_ = nn::Linear(size.mlp_dim, size.hidden_dim);
    mlp->push_back(fc1_);
    mlp->push_back(nn::Identity());  // GELU, dropout: no parameters, keep the numbering
    mlp->push_back(nn::Identity());
    mlp->push_back(fc2_);
  }

  torch::Tensor forward(torch::Tensor x) {
    if (inference()) {  // x is this forward pass's own tensor: updated in place
      attention_->add_to(x, ln_1_inference_(x));
      fc2_inference_.add_to(x, fc1_inference_(ln_2_inference_(x)));
      return x;
    }
    return mlp(x + attention_->forward(layer_norm(ln_1_, x)));
  }

  // The block's output for the class token alone, [N, 1, dim]. Only the class token reaches the
  // head, and in the last block no other token's output is read, so the other tokens' attention
  // queries, projections and MLP (86% of the block) need not be computed: same logits, and the
  // same gradients, since the skipped outputs had none.
  torch::Tensor forward_class_token(const torch::Tensor& x) {
    if (inference()) {
      auto token = x.narrow(1, 0, 1).contiguous();
      attention_->add_class_token_to(token, ln_1_inference_(x));
      fc2_inference_.add_to(token, fc1_inference_(ln_2_inference_(token)));
      return token;
    }
    return mlp(x.narrow(1, 0, 1) + attention_->forward_class_token(layer_norm(ln_1_, x)));
  }

  void prepare_inference(bool last) {
    attention_->prepare_inference(last);
    ln_1_inference_ = InferenceLayerNorm(ln_1_);
    ln_2_inference_ = InferenceLayerNorm(ln_2_);
    fc1_inference_ = InferenceLinear(fc1_->weight, fc1_->bias, InferenceLinear::Then::kGelu);
    fc2_inference_ = InferenceLinear(fc2_->weight, fc2_->bias);
  }

 private:
  // Prepared for inference, and no autograd wanted (class activation maps on a prepared model
  // take the modules' path).
  bool inference() const { return fc1_inference_ && !at::GradMode::is_enabled(); }

  torch::Tensor mlp(torch::Tensor x) {
    auto y = linear(fc1_, layer_norm(ln_2_, x));
    // In place only without autograd: ln_2 saved x for the backward pass (training, CAMs).
    if (at::GradMode::is_enabled()) return x + linear(fc2_, at::gelu(y));
    return x.add_(linear(fc2_, at::gelu_(y)));
  }

  nn::LayerNorm ln_1_{nullptr}, ln_2_{nullptr};
  std::shared_ptr<SelfAttention> attention_;
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
  InferenceLayerNorm ln_1_inference_, ln_2_inference_;
  InferenceLinear fc1_inference_, fc2_inference_;
};

class VisionTransformer : public ImageModel {
 public:
  VisionTransformer(const VitSize& size, const ModelOptions& options)
      : ImageModel(options), grid_(options.image_size / kPatch) {
    if (options.image_size <= 0 || options.image_size % kPatch != 0) {
      throw Error("ViT needs an input size that is a multiple of " + std::to_string(kPatch) +
                  "; got " + std::to_string(options.image_size));
    }
    conv_proj_ = register_module(
        "conv_proj",
        nn::Conv2d(nn::Conv2dOptions(options.in_chans, size.hidden_dim, kPatch).stride(kPatch)));
    class_token_ = register_parameter("class_token", torch::zeros({1, 1, size.hidden_dim}));
    auto encoder = register_module("encoder", std::make_shared<nn::Module>());
    pos_embedding_ = encoder->register_parameter(
        "pos_embedding", torch::empty({1, grid_ * grid_ + 1, size.hidden_dim}).normal_(0, 0.02));
    auto layers = encoder->register_module("layers", std::make_shared<nn::Module>());
    for (int64_t i = 0; i < size.num_layers; ++i) {
      blocks_.push_back(layers->register_module("encoder_layer_" + std::to_string(i),
                                                std::make_shared<EncoderBlock>(size)));
    }
    ln_ = encoder->register_module(
        "ln", nn::LayerNorm(nn::LayerNormOptions({size.hidden_dim}).eps(kLayerNormEps)));
    auto heads = register_module("heads", std::make_shared<nn::Module>());
    head_ = heads->register_module("head", nn::Linear(size.hidden_dim, options.num_classes));
  }

  // CAM target: the tokens entering the last block's ln_1 (pytorch-grad-cam's blocks[-1].norm1).
  torch::Tensor features(torch::Tensor images) override {
    if (images.size(2) != options_.image_size || images.size(3) != options_.image_size) {
      throw Error("this ViT was built for " + std::to_string(options_.image_size) + "x" +
                  std::to_string(options_.image_size) + " inputs; got " +
                  std::to_string(images.size(2)) + "x" + std::to_string(images.size(3)));
    }
    auto x = conv_proj_->forward(images).flatten(2).transpose(1, 2);
    x = at::cat({class_token_.expand({x.size(0), -1, -1}), x}, 1) + pos_embedding_;
    for (std::size_t i = 0; i + 1 < blocks_.size(); ++i) x = blocks_[i]->forward(x);
    return x;
  }

  // The last block computes the class token alone, then the final norm and the head.
  torch::Tensor head(const torch::Tensor& tokens) override {
    const torch::Tensor class_token = blocks_.back()->forward_class_token(tokens);
    return head_->forward(layer_norm(ln_, class_token.select(1, 0)));
  }

  // Drops the class token; the patch tokens are the grid, row-major as conv_proj flattened them.
  torch::Tensor to_grid(const torch::Tensor& tokens) const override {
    return tokens.slice(1, 1).transpose(1, 2).reshape(
        {tokens.size(0), tokens.size(2), grid_, grid_});
  }

  void prepare_inference(torch::ScalarType dtype) override {
    convert_floating(dtype);
    for (auto& block : blocks_) block->prepare_inference(block == blocks_.back());
  }

  void adapt_weights(StateDict& weights) const override {
    for (auto& [name, tensor] : weights) {
      if (name == "encoder.pos_embedding" && tensor.dim() == 3 &&
          tensor.size(1) != pos_embedding_.size(1)) {
        tensor = interpolate(tensor, name);
      }
    }
  }

 private:
  torch::Tensor interpolate(const torch::Tensor& pos, const std::string& name) const {
    const int64_t patches = pos.size(1) - 1, dim = pos.size(2);
    const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(patches))));
    if (pos.size(0) != 1 || side * side != patches) {
      throw Error("'" + name + "' has " + std::to_string(patches) +
                  " patch positions, not a square grid; cannot resize it");
    }
    auto grid = pos.slice(1, 1).permute({0, 2, 1}).reshape({1, dim, side, side}).to(torch::kFloat);
    namespace F = torch::nn::functional;
    auto resized = F::interpolate(grid, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{grid_, grid_})
                                            .mode(torch::kBicubic)
                                            .align_corners(true));
    resized = resized.reshape({1, dim, grid_ * grid_}).permute({0, 2, 1});
    return at::cat({pos.slice(1, 0, 1).to(torch::kFloat), resized}, 1).to(pos.scalar_type());
  }

  int64_t grid_;
  nn::Conv2d conv_proj_{nullptr};
  torch::Tensor class_token_, pos_embedding_;
  std::vector<std::shared_ptr<EncoderBlock>> blocks_;
  nn::LayerNorm ln_{nullptr};
  nn::Linear head_{nullptr};
};

}  // namespace

VitSize vit_size(const std::string& variant) {
  static const std::map<std::string, VitSize> sizes = {
      {"b", {768, 12, 12, 3072}}, {"s", {384, 6, 12, 1536}}, {"ti", {192, 3, 12, 768}}};
  auto it = sizes.find(variant);
  if (it == sizes.end()) throw Error("unknown ViT size '" + variant + "' (b, s, ti)");
  return it->second;
}

std::shared_ptr<ImageModel> make_vit(const VitSize& size, const ModelOptions& options) {
  return std::make_shared<VisionTransformer>(size, options);
}

}  // namespace deeptirp
