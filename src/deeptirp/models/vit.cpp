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

  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t n = x.size(0), length = x.size(1), dim = x.size(2);
    auto qkv = at::linear(x, in_weight_, in_bias_)
                   .view({n, length, 3, heads_, dim / heads_})
                   .permute({2, 0, 3, 1, 4})
                   .unbind(0);  // one backward node (a stack), not three zero-filled selects
    auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(dim / heads_)));
    auto attention = at::softmax(at::matmul(q, qkv[1].transpose(-2, -1)), -1);
    auto y = at::matmul(attention, qkv[2]).transpose(1, 2).reshape({n, length, dim});
    return linear(out_, y);
  }

 private:
  int64_t heads_;
  torch::Tensor in_weight_, in_bias_;
  nn::Linear out_{nullptr};
};

// EncoderBlock: pre-norm attention and MLP (Linear "0", GELU, Linear "3"), each residual.
// Dropout is the identity in eval mode.
class EncoderBlock : public nn::Module {
 public:
  EncoderBlock(const VitSize& size) {
    auto norm = [](int64_t d) { return nn::LayerNorm(nn::LayerNormOptions({d}).eps(kLayerNormEps)); };
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
    x = x + attention_->forward(layer_norm(ln_1_, x));
    auto y = linear(fc1_, layer_norm(ln_2_, x));
    // In place only without autograd: ln_2 saved x for the backward pass (training, CAMs).
    if (at::GradMode::is_enabled()) return x + linear(fc2_, at::gelu(y));
    return x.add_(linear(fc2_, at::gelu_(y)));
  }

 private:
  nn::LayerNorm ln_1_{nullptr}, ln_2_{nullptr};
  std::shared_ptr<SelfAttention> attention_;
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
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
        "conv_proj", nn::Conv2d(nn::Conv2dOptions(options.in_chans, size.hidden_dim, kPatch)
                                    .stride(kPatch)));
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

  torch::Tensor forward(torch::Tensor x) override {
    if (x.size(2) != options_.image_size || x.size(3) != options_.image_size) {
      throw Error("this ViT was built for " + std::to_string(options_.image_size) + "x" +
                  std::to_string(options_.image_size) + " inputs; got " +
                  std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)));
    }
    x = conv_proj_->forward(x).flatten(2).transpose(1, 2);
    x = at::cat({class_token_.expand({x.size(0), -1, -1}), x}, 1) + pos_embedding_;
    for (const auto& block : blocks_) x = block->forward(x);
    x = layer_norm(ln_, x.select(1, 0));  // only the class token reaches the head
    return head_->forward(x);
  }

  // CAM target: the tokens entering the last block's ln_1 (pytorch-grad-cam's blocks[-1].norm1).
  CamTap forward_tap(torch::Tensor x) override {
    x = conv_proj_->forward(x).flatten(2).transpose(1, 2);
    x = at::cat({class_token_.expand({x.size(0), -1, -1}), x}, 1) + pos_embedding_;
    for (std::size_t i = 0; i + 1 < blocks_.size(); ++i) x = blocks_[i]->forward(x);
    auto tokens = x;
    x = blocks_.back()->forward(x);
    return {head_->forward(layer_norm(ln_, x.select(1, 0))), tokens};
  }

  // Drops the class token; the patch tokens are the grid, row-major as conv_proj flattened them.
  torch::Tensor to_grid(const torch::Tensor& tokens) const override {
    return tokens.slice(1, 1).transpose(1, 2).reshape(
        {tokens.size(0), tokens.size(2), grid_, grid_});
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
