// The training step shared by the trainer and bench/bench_train: its loss is the weighted
// BCE-with-logits, its gradient follows grad_scale, and dropping gradients between steps
// (clear_gradients) trains exactly as zeroing them does.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "deeptirp/error.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/train/train_step.h"
#include "deeptirp/train/weight_average.h"

namespace deeptirp {
namespace {

// A small model with every op type of the transformers (attention, GELU, layer norm).
std::shared_ptr<ImageModel> small_vit(std::uint64_t seed) {
  torch::manual_seed(seed);
  auto model = create_model("vit_ti_16", {1, 3, 32});
  model->train();
  return model;
}

std::vector<torch::Tensor> gradients(ImageModel& model) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : model.parameters()) grads.push_back(p.grad().clone());
  return grads;
}

torch::Tensor flat_gradients(ImageModel& model) {
  std::vector<torch::Tensor> flat;
  for (const auto& g : gradients(model)) {
    EXPECT_EQ(g.scalar_type(), torch::kFloat);  // bf16 autocast keeps weights and gradients fp32
    flat.push_back(g.flatten());
  }
  return torch::cat(flat);
}

TEST(TrainStep, LabelSmoothingMovesTheTargetsTowardsOneHalf) {
  auto model = small_vit(4);
  const torch::Tensor images = torch::randn({4, 3, 32, 32});
  const torch::Tensor labels = torch::tensor({1.0f, 0.0f, 1.0f, 0.0f});
  const double s = 0.2;
  torch::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    logits = model->forward(images).reshape({-1});
  }
  const torch::Tensor smoothed = labels * (1 - s) + s / 2;  // 0.9 and 0.1
  const double expected = torch::binary_cross_entropy_with_logits(logits, smoothed).item<double>();
  const double loss = forward_backward(*model, images, labels, "fp32", 1.0, 1.0, s).item<double>();
  EXPECT_NEAR(loss, expected, 1e-5);
  const double plain = torch::binary_cross_entropy_with_logits(logits, labels).item<double>();
  EXPECT_GT(std::abs(loss - plain), 1e-4);
}

// The average starts as the model, then follows a * d + m * (1 - d) with d ramping up as
// min(decay, (1 + t) / (10 + t)); integer buffers are copied.
TEST(WeightAverage, FollowsTheModelWithTheRampedDecay) {
  auto model = create_model("efficientnet_b0", {1, 3, 32});
  auto average = create_model("efficientnet_b0", {1, 3, 32});
  WeightAverage ema(average, *model, 0.99);
  const torch::Tensor start = model->parameters()[0].detach().clone();
  EXPECT_TRUE(torch::equal(average->parameters()[0], start));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(1.0);
    for (auto& b : model->buffers())
      if (!b.is_floating_point()) b.fill_(7);
  }
  ema.update(*model);  // t = 0: d = 1 / 10
  EXPECT_TRUE(torch::allclose(average->parameters()[0], start + 0.9, 1e-5, 1e-6));
  ema.update(*model);  // t = 1: d = 2 / 11, towards the same model
  EXPECT_TRUE(torch::allclose(average->parameters()[0], start + 1 - 0.1 * 2.0 / 11, 1e-5, 1e-6));
  EXPECT_EQ(ema.steps(), 2);
  for (auto& b : average->buffers())
    if (!b.is_floating_point()) EXPECT_EQ(b.item<std::int64_t>(), 7);
}

TEST(TrainStep, LossIsPositiveWeightedBceAndTheGradientFollowsItsScale) {
  auto model = small_vit(1);
  torch::manual_seed(2);
  const auto images = torch::randn({4, 3, 32, 32});
  const auto labels = torch::tensor({1.0f, 0.0f, 1.0f, 0.0f});
  const double pos_weight = 3.0;
  torch::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    logits = model->forward(images).reshape({-1}).to(torch::kDouble);
  }
  double expected = 0;  // -[w y log s(z) + (1 - y) log(1 - s(z))], averaged
  for (int i = 0; i < 4; ++i) {
    const double z = logits[i].item<double>(), y = labels[i].item<double>();
    const double s = 1 / (1 + std::exp(-z));
    expected -= (pos_weight * y * std::log(s) + (1 - y) * std::log(1 - s)) / 4;
  }

  const auto loss = forward_backward(*model, images, labels, "fp32", pos_weight, 1.0);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-6);
  EXPECT_FALSE(loss.requires_grad());
  const auto once = gradients(*model);

  for (auto& p : model->parameters()) p.mutable_grad().reset();
  forward_backward(*model, images, labels, "fp32", pos_weight, 2.0);
  const auto twice = gradients(*model);
  bool some_nonzero = false;
  for (std::size_t i = 0; i < once.size(); ++i) {
    EXPECT_TRUE(torch::allclose(twice[i], 2 * once[i], 1e-6, 0)) << "parameter " << i;
    some_nonzero = some_nonzero || once[i].abs().sum().item<double>() > 0;
  }
  EXPECT_TRUE(some_nonzero);
}

TEST(TrainStep, ClearingGradientsTrainsExactlyAsZeroingThem) {
  auto zeroed = small_vit(3), cleared = small_vit(3);
  TrainConfig config;  // the study's SGD: lr 0.1, momentum 0.9, weight decay 1e-4
  auto zeroed_opt = make_optimizer(config, zeroed->parameters());
  auto cleared_opt = make_optimizer(config, cleared->parameters());
  ASSERT_NE(dynamic_cast<torch::optim::SGD*>(cleared_opt.get()), nullptr);
  torch::manual_seed(4);
  for (int step = 0; step < 3; ++step) {
    for (int micro = 0; micro < 2; ++micro) {  // gradient accumulation, as micro_batch does
      const auto images = torch::randn({2, 3, 32, 32});
      const auto labels = torch::tensor({1.0f, 0.0f});
      forward_backward(*zeroed, images, labels, "fp32", 1.0, 0.5);
      forward_backward(*cleared, images, labels, "fp32", 1.0, 0.5);
    }
    zeroed_opt->step();
    zeroed_opt->zero_grad();
    cleared_opt->step();
    clear_gradients(*cleared_opt);
    for (const auto& p : cleared->parameters()) EXPECT_FALSE(p.grad().defined());
  }
  const auto a = zeroed->parameters(), b = cleared->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  EXPECT_FALSE(torch::equal(a.back(), small_vit(3)->parameters().back()));  // it did train
}

TEST(TrainStep, AdamWWhenConfigured) {
  TrainConfig config;
  config.optimizer = "adamw";
  auto model = small_vit(5);
  EXPECT_NE(dynamic_cast<torch::optim::AdamW*>(make_optimizer(config, model->parameters()).get()),
            nullptr);
}

// LibTorch 1.13's CPU autocast hands Swin's layer norms bf16 inputs with fp32 weights, which
// its layer_norm refuses (torch in Python fails the same way); ours normalise in fp32.
TEST(TrainStep, Bf16SwinTrainsOnTheCpuWithGradientsCloseToFp32) {
  torch::manual_seed(6);
  auto model = create_model("swin_t", {1, 3, 32});
  model->train();
  const auto images = torch::randn({2, 3, 32, 32});
  const auto labels = torch::tensor({1.0f, 0.0f});
  torch::manual_seed(7);  // the same blocks dropped by stochastic depth in both passes
  const double fp32_loss =
      forward_backward(*model, images, labels, "fp32", 1.0, 1.0).item<double>();
  const auto fp32_grads = flat_gradients(*model);
  for (auto& p : model->parameters()) p.mutable_grad().reset();
  torch::manual_seed(7);
  const double bf16_loss =
      forward_backward(*model, images, labels, "bf16", 1.0, 1.0).item<double>();
  const auto bf16_grads = flat_gradients(*model);
  EXPECT_TRUE(std::isfinite(bf16_loss));
  EXPECT_NEAR(bf16_loss, fp32_loss, 0.02 * std::abs(fp32_loss));
  const double cosine = torch::cosine_similarity(bf16_grads, fp32_grads, 0).item<double>();
  EXPECT_GT(cosine, 0.99) << "bf16 and fp32 gradients point apart";
}

TEST(TrainStep, Bf16TransformersPassTheConfigCheckOnTheCpu) {
  TrainConfig c = train_preset("cpu-quick");
  c.manifest = "m.csv";
  c.precision = "bf16";
  for (const char* arch : {"swin_t", "vit_ti_16"}) {
    c.model = arch;
    EXPECT_NO_THROW(check_train_config(c)) << arch;
  }
}

}  // namespace
}  // namespace deeptirp
