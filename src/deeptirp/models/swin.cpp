#include "deeptirp/models/swin.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <map>
#include <utility>

#include "deeptirp/error.h"
#include "deeptirp/models/inference_layers.h"
#include "deeptirp/models/layers.h"

namespace deeptirp {
namespace {

namespace nn = torch::nn;
constexpr int64_t kPatch = 4;
constexpr int64_t kWindow = 7;
constexpr double kLayerNormEps = 1e-5;

nn::LayerNorm make_norm(int64_t dim) {
  return nn::LayerNorm(nn::LayerNormOptions({dim}).eps(kLayerNormEps));
}

// Index into the (2W-1)^2 bias table for every pair of positions in a window (torchvision's
// define_relative_position_index).
torch::Tensor relative_position_index() {
  auto coords = at::stack(at::meshgrid({torch::arange(kWindow), torch::arange(kWindow)}, "ij"))
                    .flatten(1);  // 2, W*W
  auto relative = (coords.unsqueeze(2) - coords.unsqueeze(1)).permute({1, 2, 0}).contiguous();
  relative += kWindow - 1;
  relative.select(2, 0).mul_(2 * kWindow - 1);
  return relative.sum(-1).flatten();
}

// The shifted-window mask: positions from different regions of the rolled map get -100.
torch::Tensor shift_mask(int64_t height, int64_t width, int64_t shift_h, int64_t shift_w,
                         const torch::TensorOptions& options) {
  auto regions = torch::zeros({height, width}, options);
  // torchvision's slices (0, -W), (-W, -s), (-s, None) with Python's meaning of -0: with no shift
  // along an axis, the middle slice is empty and the last one covers the whole axis.
  const int64_t hs[] = {0, height - kWindow, shift_h ? height - shift_h : 0, height};
  const int64_t ws[] = {0, width - kWindow, shift_w ? width - shift_w : 0, width};
  int64_t count = 0;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const int64_t h0 = i == 2 ? hs[2] : hs[i], h1 = i == 1 ? std::max(hs[1], hs[2]) : hs[i + 1];
      const int64_t w0 = j == 2 ? ws[2] : ws[j], w1 = j == 1 ? std::max(ws[1], ws[2]) : ws[j + 1];
      regions.slice(0, h0, h1).slice(1, w0, w1).fill_(count++);
    }
  }
  auto windows = regions.view({height / kWindow, kWindow, width / kWindow, kWindow})
                     .permute({0, 2, 1, 3})
                     .reshape({-1, kWindow * kWindow});
  auto differs = windows.unsqueeze(1) - windows.unsqueeze(2);
  return torch::zeros_like(differs).masked_fill_(differs != 0, -100.0);
}

class WindowAttention : public nn::Module {
 public:
  WindowAttention(int64_t dim, int64_t heads, int64_t shift) : heads_(heads), shift_(shift) {
    qkv_ = register_module("qkv", nn::Linear(dim, 3 * dim));
    proj_ = register_module("proj", nn::Linear(dim, dim));
    table_ = register_parameter("relative_position_bias_table",
                                torch::zeros({(2 * kWindow - 1) * (2 * kWindow - 1), heads}));
    index_ = register_buffer("relative_position_index", relative_position_index());
  }

  // x: [B, H, W, C] -> same, with autograd (training, class activation maps).
  torch::Tensor forward(const torch::Tensor& input) {
    const Windows g = windows_for(input.size(1), input.size(2));
    const int64_t channels = input.size(3);
    auto x = heads(linear(qkv_, partition(input, g)), g, input.size(1), input.size(2))
                 .transpose(1, 2)
                 .reshape({-1, kWindow * kWindow, channels});
    x = linear(proj_, x)
            .view({input.size(0), g.ph / kWindow, g.pw / kWindow, kWindow, kWindow, channels})
            .permute({0, 1, 3, 2, 4, 5})
            .reshape({input.size(0), g.ph, g.pw, channels});
    return unshift(x, g, input.size(1), input.size(2));
  }

  // Inference after prepare_inference: residual += forward(x), in place. The projection acts on
  // each token alone, so it may come after the tokens are back on the map: the heads' outputs
  // go back in one copy (not two), and the residual add is fused into the projection's GEMM.
  void add_to(const torch::Tensor& residual, const torch::Tensor& input) const {
    const Windows g = windows_for(input.size(1), input.size(2));
    const int64_t batch = input.size(0), channels = input.size(3);
    auto y = heads(qkv_inference_(partition(input, g)), g, input.size(1), input.size(2))
                 .view({batch, g.ph / kWindow, g.pw / kWindow, heads_, kWindow, kWindow,
                        channels / heads_})
                 .permute({0, 1, 4, 2, 5, 3, 6})
                 .reshape({batch, g.ph, g.pw, channels});
    proj_inference_.add_to(residual, unshift(y, g, input.size(1), input.size(2)));
  }

  // Inference on height x width maps: the bias, built from fixed weights, is built once here
  // rather than on every call (read-only afterwards, so concurrent forward passes may share it).
  void cache_bias(int64_t height, int64_t width) {
    torch::NoGradGuard no_grad;
    cached_bias_ = attention_bias(windows_for(height, width));
    cached_for_ = {height, width};
  }

  void prepare_inference() {
    qkv_inference_ = InferenceLinear(qkv_->weight, qkv_->bias);
    proj_inference_ = InferenceLinear(proj_->weight, proj_->bias);
  }

 private:
  // The padded map and the shift, by torchvision's rules: pad to whole windows, and no shift
  // along an axis that one window covers.
  struct Windows {
    int64_t ph, pw, shift_h, shift_w;
    bool shifted() const { return shift_h + shift_w > 0; }
  };
  Windows windows_for(int64_t height, int64_t width) const {
    const int64_t ph = height + (kWindow - height % kWindow) % kWindow;
    const int64_t pw = width + (kWindow - width % kWindow) % kWindow;
    return {ph, pw, kWindow >= ph ? 0 : shift_, kWindow >= pw ? 0 : shift_};
  }

  // [B, H, W, C] -> the shifted map's windows, [B * windows, T, C].
  static torch::Tensor partition(const torch::Tensor& input, const Windows& g) {
    const int64_t height = input.size(1), width = input.size(2), channels = input.size(3);
    auto x = (g.ph != height || g.pw != width)
                 ? at::constant_pad_nd(input, {0, 0, 0, g.pw - width, 0, g.ph - height})
                 : input;
    if (g.shifted()) x = at::roll(x, {-g.shift_h, -g.shift_w}, {1, 2});
    return x.view({input.size(0), g.ph / kWindow, kWindow, g.pw / kWindow, kWindow, channels})
        .permute({0, 1, 3, 2, 4, 5})
        .reshape({-1, kWindow * kWindow, channels});
  }

  // The map [B, ph, pw, C] shifted back and cut to height x width.
  static torch::Tensor unshift(torch::Tensor x, const Windows& g, int64_t height, int64_t width) {
    if (g.shifted()) x = at::roll(x, {g.shift_h, g.shift_w}, {1, 2});
    return x.slice(1, 0, height).slice(2, 0, width).contiguous();
  }

  // qkv [B * windows, T, 3C] -> each head's attention output, [B * windows, heads, T, C / heads].
  torch::Tensor heads(const torch::Tensor& qkv_rows, const Windows& g, int64_t height,
                      int64_t width) const {
    const int64_t windows = qkv_rows.size(0), tokens = kWindow * kWindow,
                  head_dim = qkv_rows.size(2) / 3 / heads_;
    auto qkv = qkv_rows.reshape({windows, tokens, 3, heads_, head_dim})
                   .permute({2, 0, 3, 1, 4})
                   .unbind(0);  // one backward node (a stack), not three zero-filled selects
    auto q = qkv[0] * std::pow(static_cast<double>(head_dim), -0.5);
    const bool inference = qkv_inference_ && !at::GradMode::is_enabled();
    auto attention = product_(q, qkv[1].transpose(-2, -1))
                         .view({-1, (g.ph / kWindow) * (g.pw / kWindow), heads_, tokens, tokens});
    const bool cached =
        cached_bias_.defined() && cached_for_ == std::pair{height, width} && !is_training();
    const auto bias = cached ? cached_bias_ : attention_bias(g);
    // In place only without autograd (training and CAMs need the scores for the backward pass).
    attention = at::GradMode::is_enabled() ? attention + bias : attention.add_(bias);
    attention = attention.view({-1, heads_, tokens, tokens});
    return product_(inference ? softmax_inference_(attention) : at::softmax(attention, -1), qkv[2]);
  }

  // What the attention scores [1 or windows, heads, T, T] get added: the relative position bias
  // and, for shifted windows, the mask (-100 between regions; masked scores differ from
  // torchvision's (score + bias) - 100 only in rounding, and softmax turns both into 0).
  torch::Tensor attention_bias(const Windows& g) const {
    const int64_t tokens = kWindow * kWindow;
    auto bias = table_.index_select(0, index_).view({tokens, tokens, -1}).permute({2, 0, 1});
    if (!g.shifted()) return bias.unsqueeze(0);
    auto mask = shift_mask(g.ph, g.pw, g.shift_h, g.shift_w, table_.options());
    return bias.unsqueeze(0) + mask.unsqueeze(1);
  }

  int64_t heads_, shift_;
  nn::Linear qkv_{nullptr}, proj_{nullptr};
  InferenceLinear qkv_inference_, proj_inference_;
  AttentionProduct product_;
  InferenceSoftmax softmax_inference_;
  torch::Tensor table_, index_;
  torch::Tensor cached_bias_;
  std::pair<int64_t, int64_t> cached_for_{0, 0};
};

// SwinTransformerBlock: pre-norm window attention and MLP ("0", GELU, "3"), each residual with
// its branch under stochastic depth in training. (torchvision's dropouts are all 0 for Swin.)
class SwinBlock : public nn::Module {
 public:
  SwinBlock(int64_t dim, int64_t heads, int64_t shift, double drop_path) : drop_path_(drop_path) {
    norm1_ = register_module("norm1", make_norm(dim));
    attention_ = register_module("attn", std::make_shared<WindowAttention>(dim, heads, shift));
    norm2_ = register_module("norm2", make_norm(dim));
    auto mlp = register_module("mlp", nn::ModuleList());
    fc1_ = nn::Linear(dim, 4 * dim);
    fc2_ = nn::Linear(4 * dim, dim);
    mlp->push_back(fc1_);
    mlp->push_back(nn::Identity());
    mlp->push_back(nn::Identity());
    mlp->push_back(fc2_);
  }

  // Inference on grid x grid maps from now on.
  void prepare_inference(int64_t grid) {
    attention_->cache_bias(grid, grid);
    attention_->prepare_inference();
    norm1_inference_ = InferenceLayerNorm(norm1_);
    norm2_inference_ = InferenceLayerNorm(norm2_);
    fc1_inference_ = InferenceLinear(fc1_->weight, fc1_->bias, InferenceLinear::Then::kGelu);
    fc2_inference_ = InferenceLinear(fc2_->weight, fc2_->bias);
  }

  torch::Tensor forward(torch::Tensor x) {
    if (fc1_inference_ && !at::GradMode::is_enabled()) {  // x is this pass's own: in place
      attention_->add_to(x, norm1_inference_(x));
      fc2_inference_.add_to(x, fc1_inference_(norm2_inference_(x)));
      return x;
    }
    x = x + drop_path(attention_->forward(layer_norm(norm1_, x)));
    auto y = linear(fc1_, layer_norm(norm2_, x));
    // In place only without autograd: norm2 saved x for the backward pass (training, CAMs).
    if (at::GradMode::is_enabled()) return x + drop_path(linear(fc2_, at::gelu(y)));
    return x.add_(drop_path(linear(fc2_, at::gelu_(y))));
  }

 private:
  torch::Tensor drop_path(const torch::Tensor& branch) {
    return stochastic_depth(branch, drop_path_, is_training());
  }

  double drop_path_;
  nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  std::shared_ptr<WindowAttention> attention_;
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
  InferenceLayerNorm norm1_inference_, norm2_inference_;
  InferenceLinear fc1_inference_, fc2_inference_;
};

// PatchMerging: 2x2 neighbours concatenated (order x0 x1 x2 x3 as torchvision), norm, reduce.
class PatchMerging : public nn::Module {
 public:
  explicit PatchMerging(int64_t dim) {
    reduction_ =
        register_module("reduction", nn::Linear(nn::LinearOptions(4 * dim, 2 * dim).bias(false)));
    norm_ = register_module("norm", make_norm(4 * dim));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    using torch::indexing::Slice;
    auto even = Slice(0, torch::indexing::None, 2), odd = Slice(1, torch::indexing::None, 2);
    auto merged = at::cat({x.index({Slice(), even, even}), x.index({Slice(), odd, even}),
                           x.index({Slice(), even, odd}), x.index({Slice(), odd, odd})},
                          -1);
    if (inference_ && !at::GradMode::is_enabled()) return inference_(norm_inference_(merged));
    return linear(reduction_, layer_norm(norm_, merged));
  }

  void prepare_inference() {
    inference_ = InferenceLinear(reduction_->weight, {});
    norm_inference_ = InferenceLayerNorm(norm_);
  }

 private:
  nn::Linear reduction_{nullptr};
  InferenceLinear inference_;
  InferenceLayerNorm norm_inference_;
  nn::LayerNorm norm_{nullptr};
};

class SwinTransformer : public ImageModel {
 public:
  SwinTransformer(const SwinSize& size, const ModelOptions& options) : ImageModel(options) {
    check_swin_input_size(options.image_size, options.image_size);
    auto features = register_module("features", nn::ModuleList());
    auto stem = nn::ModuleList();
    patch_embed_ =
        nn::Conv2d(nn::Conv2dOptions(options.in_chans, size.embed_dim, kPatch).stride(kPatch));
    stem->push_back(patch_embed_);
    stem->push_back(nn::Identity());  // Permute to NHWC
    stem_norm_ = make_norm(size.embed_dim);
    stem->push_back(stem_norm_);
    features->push_back(stem);
    const int64_t total_blocks = size.depths[0] + size.depths[1] + size.depths[2] + size.depths[3];
    const double stochastic_depth =
        options.stochastic_depth >= 0 ? options.stochastic_depth : size.stochastic_depth;
    int64_t block_id = 0;
    for (int stage = 0; stage < 4; ++stage) {
      const int64_t dim = size.embed_dim << stage;
      auto blocks = nn::ModuleList();
      for (int64_t i = 0; i < size.depths[stage]; ++i) {
        const double drop_path = stochastic_depth * block_id++ / (total_blocks - 1);
        auto block =
            std::make_shared<SwinBlock>(dim, size.heads[stage], i % 2 ? kWindow / 2 : 0, drop_path);
        blocks->push_back(block);
        stages_[stage].push_back(block);
      }
      features->push_back(blocks);
      if (stage < 3) {
        merges_[stage] = std::make_shared<PatchMerging>(dim);
        features->push_back(merges_[stage]);
      }
    }
    norm_ = register_module("norm", make_norm(size.embed_dim << 3));
    head_ = register_module("head", nn::Linear(size.embed_dim << 3, options.num_classes));
  }

  // CAM target: the last stage's output after the final norm, [N, h, w, C].
  torch::Tensor features(torch::Tensor x) override {
    check_swin_input_size(x.size(2), x.size(3));
    x = patch_embed_->forward(x).permute({0, 2, 3, 1});
    x = stem_norm_inference_ && !at::GradMode::is_enabled() ? stem_norm_inference_(x)
                                                            : layer_norm(stem_norm_, x);
    for (int stage = 0; stage < 4; ++stage) {
      for (const auto& block : stages_[stage]) x = block->forward(x);
      if (stage < 3) x = merges_[stage]->forward(x);
    }
    return layer_norm(norm_, x);
  }

  torch::Tensor head(const torch::Tensor& x) override {
    return head_->forward(at::mean(x, {1, 2}));
  }

  torch::Tensor to_grid(const torch::Tensor& t) const override { return t.permute({0, 3, 1, 2}); }

  void prepare_inference(torch::ScalarType dtype) override {
    convert_floating(dtype);
    stem_norm_inference_ = InferenceLayerNorm(stem_norm_);
    int64_t grid = options_.image_size / kPatch;  // each stage's square map; merges halve it
    for (int stage = 0; stage < 4; ++stage, grid /= 2) {
      for (auto& block : stages_[stage]) block->prepare_inference(grid);
      if (stage < 3) merges_[stage]->prepare_inference();
    }
  }

 private:
  nn::Conv2d patch_embed_{nullptr};
  nn::LayerNorm stem_norm_{nullptr}, norm_{nullptr};
  InferenceLayerNorm stem_norm_inference_;
  std::vector<std::shared_ptr<SwinBlock>> stages_[4];
  std::shared_ptr<PatchMerging> merges_[3];
  nn::Linear head_{nullptr};
};

}  // namespace

void check_swin_input_size(int64_t height, int64_t width) {
  if (height <= 0 || width <= 0 || height % kSwinSizeMultiple != 0 ||
      width % kSwinSizeMultiple != 0) {
    throw Error("Swin needs an input size that is a multiple of " +
                std::to_string(kSwinSizeMultiple) +
                " (patch 4, three 2x patch merges), e.g. "
                "192, 224, 256 or 384; got " +
                std::to_string(height) + "x" + std::to_string(width));
  }
}

SwinSize swin_size(const std::string& variant) {
  static const std::map<std::string, SwinSize> sizes = {
      {"t", {96, {2, 2, 6, 2}, {3, 6, 12, 24}, 0.2}},
      {"s", {96, {2, 2, 18, 2}, {3, 6, 12, 24}, 0.3}},
      {"b", {128, {2, 2, 18, 2}, {4, 8, 16, 32}, 0.5}}};
  auto it = sizes.find(variant);
  if (it == sizes.end()) throw Error("unknown Swin size '" + variant + "' (t, s, b)");
  return it->second;
}

std::shared_ptr<ImageModel> make_swin(const SwinSize& size, const ModelOptions& options) {
  return std::make_shared<SwinTransformer>(size, options);
}

}  // namespace deeptirp
