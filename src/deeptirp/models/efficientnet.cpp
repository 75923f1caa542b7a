#include "deeptirp/models/efficientnet.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <map>

#include "deeptirp/error.h"
#include "deeptirp/models/layers.h"

namespace deeptirp {
namespace {

namespace nn = torch::nn;

// torchvision's _make_divisible (from the MobileNet reference): round to a multiple of 8 that
// stays within 10% of the requested width.
int64_t make_divisible(double v, int64_t divisor = 8) {
  int64_t rounded =
      std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

// Conv2dNormActivation: "0" conv without bias, "1" BatchNorm2d, SiLU or none.
class ConvNormAct : public nn::Module {
 public:
  ConvNormAct(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups,
              bool activation)
      : stride_(stride), padding_((kernel - 1) / 2), groups_(groups), activation_(activation) {
    conv_ = register_module("0", nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                                                .stride(stride)
                                                .padding(padding_)
                                                .groups(groups)
                                                .bias(false)));
    norm_ = register_module("1", nn::BatchNorm2d(out));  // eps 1e-5 as torchvision's B0..B4
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y;
    if (folded_weight_.defined())
      y = at::conv2d(x, folded_weight_, folded_bias_, stride_, padding_, 1, groups_);
    else if (sum_over_ranks_ && is_training())
      y = sync_batch_norm(conv_->forward(x), *norm_, sum_over_ranks_);
    else
      y = norm_->forward(conv_->forward(x));
    return activation_ ? at::silu_(y) : y;
  }

  void synchronise(const SumOverRanks& sum) { sum_over_ranks_ = sum; }

  // Inference: conv(x) * s + (beta - mean * s) with s = gamma / sqrt(var + eps), computed in
  // double.
  void fold(torch::ScalarType dtype) {
    torch::NoGradGuard no_grad;
    auto mean = norm_->running_mean.to(torch::kDouble);
    auto scale = norm_->weight.to(torch::kDouble) /
                 at::sqrt(norm_->running_var.to(torch::kDouble) + norm_->options.eps());
    folded_weight_ = (conv_->weight.to(torch::kDouble) * scale.view({-1, 1, 1, 1})).to(dtype);
    folded_bias_ = (norm_->bias.to(torch::kDouble) - mean * scale).to(dtype);
    if (dtype != torch::kBFloat16) {
      folded_weight_ = folded_weight_.contiguous(at::MemoryFormat::ChannelsLast);
    }
  }

 private:
  int64_t stride_, padding_, groups_;
  bool activation_;
  nn::Conv2d conv_{nullptr};
  nn::BatchNorm2d norm_{nullptr};
  torch::Tensor folded_weight_, folded_bias_;
  SumOverRanks sum_over_ranks_;  // set: batch norm in training over every rank's cases
};

// SqueezeExcitation: global average, fc1 (SiLU), fc2 (sigmoid), channel-wise scale.
class SqueezeExcitation : public nn::Module {
 public:
  SqueezeExcitation(int64_t channels, int64_t squeeze) {
    fc1_ = register_module("fc1", nn::Conv2d(nn::Conv2dOptions(channels, squeeze, 1)));
    fc2_ = register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeeze, channels, 1)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto s = at::mean(x, {2, 3}, /*keepdim=*/false);
    s = at::silu(at::linear(s, fc1_->weight.flatten(1), fc1_->bias));
    s = at::sigmoid(at::linear(s, fc2_->weight.flatten(1), fc2_->bias));
    return x * s.unsqueeze(-1).unsqueeze(-1);
  }

 private:
  nn::Conv2d fc1_{nullptr}, fc2_{nullptr};
};

struct StageRow {
  double expand;
  int64_t kernel, stride, in, out, layers;
};

// EfficientNet-B0, Table 1 of the paper (torchvision's _efficientnet_conf).
const StageRow kStages[] = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},  {6, 5, 2, 24, 40, 2},
                            {6, 3, 2, 40, 80, 3},  {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4},
                            {6, 3, 1, 192, 320, 1}};

// MBConv: expand 1x1 (if any), depthwise, squeeze-excitation, project 1x1; residual when the
// shape is kept, its branch under stochastic depth in training.
class MBConv : public nn::Module {
 public:
  MBConv(int64_t in, int64_t out, double expand, int64_t kernel, int64_t stride, double drop_path)
      : residual_(stride == 1 && in == out), drop_path_(drop_path) {
    auto block = register_module("block", nn::ModuleList());
    int64_t expanded = make_divisible(in * expand);
    if (expanded != in) {
      convs_.push_back(std::make_shared<ConvNormAct>(in, expanded, 1, 1, 1, true));
      block->push_back(convs_.back());
    }
    convs_.push_back(
        std::make_shared<ConvNormAct>(expanded, expanded, kernel, stride, expanded, true));
    block->push_back(convs_.back());
    se_ = std::make_shared<SqueezeExcitation>(expanded, std::max<int64_t>(1, in / 4));
    block->push_back(se_);
    project_ = std::make_shared<ConvNormAct>(expanded, out, 1, 1, 1, false);
    block->push_back(project_);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = x;
    for (const auto& conv : convs_) y = conv->forward(y);
    y = project_->forward(se_->forward(y));
    return residual_ ? stochastic_depth(y, drop_path_, is_training()).add_(x) : y;
  }

  void fold(torch::ScalarType dtype) {
    for (auto& conv : convs_) conv->fold(dtype);
    project_->fold(dtype);
  }

 private:
  bool residual_;
  double drop_path_;
  std::vector<std::shared_ptr<ConvNormAct>> convs_;
  std::shared_ptr<SqueezeExcitation> se_;
  std::shared_ptr<ConvNormAct> project_;
};

class EfficientNet : public ImageModel {
 public:
  EfficientNet(const EfficientNetScale& scale, const ModelOptions& options)
      : ImageModel(options), dropout_(options.dropout >= 0 ? options.dropout : scale.dropout) {
    auto features = register_module("features", nn::ModuleList());
    auto width = [&](int64_t c) { return make_divisible(c * scale.width_mult); };
    stem_ = std::make_shared<ConvNormAct>(options.in_chans, width(kStages[0].in), 3, 2, 1, true);
    features->push_back(stem_);
    auto depth = [&](const StageRow& row) {
      return static_cast<int64_t>(std::ceil(row.layers * scale.depth_mult));
    };
    const double stochastic_depth =
        options.stochastic_depth >= 0 ? options.stochastic_depth : kEfficientNetStochasticDepth;
    int64_t total_blocks = 0;
    for (const StageRow& row : kStages) total_blocks += depth(row);
    for (const StageRow& row : kStages) {
      auto stage = nn::ModuleList();
      for (int64_t i = 0; i < depth(row); ++i) {
        int64_t in = i == 0 ? width(row.in) : width(row.out);
        const double drop_path =
            stochastic_depth * static_cast<double>(blocks_.size()) / total_blocks;
        blocks_.push_back(std::make_shared<MBConv>(in, width(row.out), row.expand, row.kernel,
                                                   i == 0 ? row.stride : 1, drop_path));
        stage->push_back(blocks_.back());
      }
      features->push_back(stage);
    }
    int64_t last_in = width(kStages[6].out);
    head_conv_ = std::make_shared<ConvNormAct>(last_in, 4 * last_in, 1, 1, 1, true);
    features->push_back(head_conv_);
    auto classifier = register_module("classifier", nn::ModuleList());
    classifier->push_back(nn::Dropout(dropout_));
    fc_ = nn::Linear(4 * last_in, options.num_classes);
    classifier->push_back(fc_);
  }

  // CAM target: features.8, the last conv stage's output before pooling.
  torch::Tensor features(torch::Tensor x) override {
    if (channels_last_) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    x = stem_->forward(x);
    for (const auto& block : blocks_) x = block->forward(x);
    return head_conv_->forward(x);
  }

  torch::Tensor head(const torch::Tensor& x) override {
    return fc_->forward(at::dropout(at::mean(x, {2, 3}), dropout_, is_training()));
  }

  // oneDNN's convolutions train faster on NHWC as well (bench/bench_train, docs/performance.md).
  void prepare_training() override {
    torch::NoGradGuard no_grad;
    for (auto& p : parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    channels_last_ = true;
  }

  bool synchronise_batch_norm(const SumOverRanks& sum) override {
    for (const auto& module : modules(/*include_self=*/false))
      if (auto* layer = dynamic_cast<ConvNormAct*>(module.get())) layer->synchronise(sum);
    return true;
  }

  // Converted whole to bf16, EfficientNet's logits drift past the 2% that bf16 is held to, and it
  // was not faster either (docs/performance.md).
  std::string bf16_inference_refused() const override {
    return "EfficientNet's bf16 logits drift more than 2% from fp32's";
  }

  void prepare_inference(torch::ScalarType dtype) override {
    eval();
    stem_->fold(dtype);  // from the fp32 statistics, before any conversion
    for (auto& block : blocks_) block->fold(dtype);
    head_conv_->fold(dtype);
    convert_floating(dtype);
    // oneDNN's direct convolutions run faster on NHWC for fp32; its bf16 path is layout-neutral.
    channels_last_ = dtype != torch::kBFloat16;
  }

 private:
  std::shared_ptr<ConvNormAct> stem_, head_conv_;
  std::vector<std::shared_ptr<MBConv>> blocks_;
  nn::Linear fc_{nullptr};
  double dropout_;
  bool channels_last_ = false;
};

}  // namespace

EfficientNetScale efficientnet_scale(const std::string& variant) {
  // torchvision 0.14: (width, depth, dropout); B3 and B4 differ only here.
  static const std::map<std::string, EfficientNetScale> scales = {{"b0", {1.0, 1.0, 0.2}},
                                                                  {"b1", {1.0, 1.1, 0.2}},
                                                                  {"b2", {1.1, 1.2, 0.3}},
                                                                  {"b3", {1.2, 1.4, 0.3}},
                                                                  {"b4", {1.4, 1.8, 0.4}}};
  auto it = scales.find(variant);
  if (it == scales.end()) throw Error("unknown EfficientNet variant '" + variant + "' (b0..b4)");
  return it->second;
}

std::shared_ptr<ImageModel> make_efficientnet(const EfficientNetScale& scale,
                                              const ModelOptions& options) {
  return std::make_shared<EfficientNet>(scale, options);
}

}  // namespace deeptirp
