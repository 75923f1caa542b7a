// The prepared transformer layers (models/inference_layers.h) against ATen in fp32: bf16 through
// oneDNN within bf16's rounding, fp32 within float rounding, attention products on strided
// views, and concurrent calls with other row counts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>
#include <vector>

#include "deeptirp/models/inference.h"
#include "deeptirp/models/inference_layers.h"

namespace deeptirp {
namespace {

// Largest |a - ref| relative to ref's scale.
double relative_error(const torch::Tensor& a, const torch::Tensor& ref) {
  return (a.to(torch::kFloat) - ref).abs().max().item<double>() / ref.abs().max().item<double>();
}

struct Fixture {
  torch::Tensor x, weight, bias, residual;  // bf16-representable values, kept in fp32
};

Fixture make_fixture(int64_t rows, int64_t in, int64_t out) {
  torch::manual_seed(3);
  auto round = [](const torch::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kFloat); };
  return {round(torch::randn({2, rows, in})), round(torch::randn({out, in}) / std::sqrt(in)),
          round(torch::randn({out})), round(torch::randn({2, rows, out}))};
}

TEST(InferenceLayers, Bf16LinearWithItsBiasGeluAndResidualIsFp32WithinRounding) {
  if (!cpu_supports_bf16()) GTEST_SKIP() << "no native bf16 on this CPU";
  std::cout << "bf16 layers through " << (inference_layers_use_onednn() ? "oneDNN" : "ATen")
            << "\n";
  torch::InferenceMode guard;
  const auto f = make_fixture(197, 96, 160);
  const auto bf16 = [](const torch::Tensor& t) { return t.to(torch::kBFloat16); };
  const auto expected = at::linear(f.x, f.weight, f.bias);

  const InferenceLinear plain(bf16(f.weight), bf16(f.bias));
  EXPECT_LT(relative_error(plain(bf16(f.x)), expected), 1e-2);
  const InferenceLinear gelu(bf16(f.weight), bf16(f.bias), InferenceLinear::Then::kGelu);
  EXPECT_LT(relative_error(gelu(bf16(f.x)), at::gelu(expected)), 1e-2);
  const InferenceLinear no_bias(bf16(f.weight), {});
  EXPECT_LT(relative_error(no_bias(bf16(f.x)), at::linear(f.x, f.weight)), 1e-2);

  auto residual = bf16(f.residual);
  plain.add_to(residual, bf16(f.x));
  EXPECT_LT(relative_error(residual, f.residual + expected), 1e-2);
  auto residual32 = f.residual.clone();  // a bf16 layer may add into an fp32 stream
  plain.add_to(residual32, bf16(f.x));
  EXPECT_LT(relative_error(residual32, f.residual + expected), 1e-2);

  // Rows that are not adjacent in memory (ViT's class tokens): the first token of each image.
  const auto first = f.x.narrow(1, 0, 1);
  EXPECT_LT(relative_error(plain(bf16(f.x).narrow(1, 0, 1)), at::linear(first, f.weight, f.bias)),
            1e-2);
}

// fp32 through oneDNN sums in another order than OpenBLAS: equal within float rounding.
TEST(InferenceLayers, Fp32LayersEqualAtenWithinRounding) {
  torch::InferenceMode guard;
  const auto f = make_fixture(50, 64, 32);
  const auto expected = at::addmm(f.bias, f.x.reshape({-1, 64}), f.weight.t()).view({2, 50, 32});
  const auto plain = InferenceLinear(f.weight, f.bias)(f.x);
  ASSERT_EQ(plain.sizes(), expected.sizes());
  EXPECT_LT(relative_error(plain, expected), 1e-6);
  EXPECT_LT(relative_error(InferenceLinear(f.weight, f.bias, InferenceLinear::Then::kGelu)(f.x),
                           at::gelu(expected)),
            1e-6);
  EXPECT_LT(relative_error(InferenceLinear(f.weight, {})(f.x), at::linear(f.x, f.weight)), 1e-6);
  auto residual = f.residual.clone();
  InferenceLinear(f.weight, f.bias).add_to(residual, f.x);
  EXPECT_LT(relative_error(residual, f.residual + expected), 1e-6);
  const auto first = f.x.narrow(1, 0, 1);  // rows not adjacent in memory
  EXPECT_LT(
      relative_error(InferenceLinear(f.weight, f.bias)(first), at::linear(first, f.weight, f.bias)),
      1e-6);

  torch::nn::LayerNorm norm(torch::nn::LayerNormOptions({64}).eps(1e-6));
  norm->weight.data().normal_();
  norm->bias.data().normal_();
  const auto normed = InferenceLayerNorm(norm)(f.x * 3 + 1);
  EXPECT_LT(relative_error(normed, norm->forward(f.x * 3 + 1)), 1e-5);

  for (int64_t width : {49, 197}) {
    const auto scores = torch::randn({2, 3, width, width}) * 4;
    const auto expected_softmax = at::softmax(scores, -1);
    EXPECT_LT(relative_error(InferenceSoftmax()(scores.clone()), expected_softmax), 1e-6) << width;
  }
}

TEST(InferenceLayers, Bf16LayerNormRoundsFp32sResultOnce) {
  if (!cpu_supports_bf16()) GTEST_SKIP() << "no native bf16 on this CPU";
  torch::InferenceMode guard;
  torch::manual_seed(4);
  torch::nn::LayerNorm norm(torch::nn::LayerNormOptions({96}).eps(1e-5));
  norm->weight.data().normal_();
  norm->bias.data().normal_();
  const auto x = (torch::randn({3, 7, 7, 96}) * 3 + 1).to(torch::kBFloat16);
  const auto expected = norm->forward(x.to(torch::kFloat));
  torch::nn::LayerNorm converted(torch::nn::LayerNormOptions({96}).eps(1e-5));
  converted->weight.data().copy_(norm->weight.data());
  converted->bias.data().copy_(norm->bias.data());
  converted->to(torch::kBFloat16);  // as ImageModel::prepare_inference leaves it
  const auto out = InferenceLayerNorm(converted)(x).to(torch::kFloat);
  ASSERT_EQ(out.sizes(), expected.sizes());
  // One bf16 rounding of the fp32 result (2^-8 relative), plus the weights' own rounding.
  EXPECT_TRUE(((out - expected).abs() <= expected.abs() * (1.0 / 64) + 2e-2).all().item<bool>())
      << (out - expected).abs().max().item<double>();
  EXPECT_FALSE(torch::equal(out, torch::zeros_like(out)));
}

// q, k and v as the attention takes them: strided views into one qkv projection output.
TEST(InferenceLayers, AttentionProductsOnStridedViewsEqualMatmul) {
  torch::InferenceMode guard;
  torch::manual_seed(6);
  const auto qkv =
      torch::randn({5, 49, 3 * 3 * 32}).view({5, 49, 3, 3, 32}).permute({2, 0, 3, 1, 4});
  const auto q = qkv[0], k = qkv[1], v = qkv[2];
  const AttentionProduct product;
  const auto scores = product(q, k.transpose(-2, -1));
  const auto expected = at::matmul(q, k.transpose(-2, -1));
  ASSERT_EQ(scores.sizes(), expected.sizes());
  EXPECT_LT(relative_error(scores, expected), 1e-6);
  const auto attention = at::softmax(scores, -1);
  EXPECT_LT(relative_error(product(attention, v), at::matmul(attention, v)), 1e-6);
}

// bf16 multiplies dense copies of the strided views: LibTorch's own bf16 product runs the same
// oneDNN kernel on the same copies. oneDNN has no bf16 product for a CPU without AVX-512 (an AVX2
// AMD EPYC refused to create one), and the models run fp32 there (prepare_for_inference).
TEST(InferenceLayers, Bf16AttentionProductsAreLibTorchsOwn) {
  if (!cpu_supports_bf16()) GTEST_SKIP() << "no native bf16 on this CPU";
  torch::InferenceMode guard;
  torch::manual_seed(6);
  const auto qkv =
      torch::randn({5, 49, 3 * 3 * 32}).view({5, 49, 3, 3, 32}).permute({2, 0, 3, 1, 4});
  const AttentionProduct product;
  const auto expected = at::matmul(qkv[0], qkv[1].transpose(-2, -1));
  const auto qkv16 = qkv.to(torch::kBFloat16);
  const auto q16 = qkv16[0], k16 = qkv16[1], v16 = qkv16[2];
  const auto scores16 = product(q16, k16.transpose(-2, -1));
  EXPECT_TRUE(torch::equal(scores16, at::matmul(q16, k16.transpose(-2, -1))));
  EXPECT_LT(relative_error(scores16, expected), 1e-2);
  EXPECT_TRUE(torch::equal(product(scores16, v16), at::matmul(scores16, v16)));
}

// In training, the product's backward pass gives at::matmul's gradients.
TEST(InferenceLayers, AttentionProductGradientsEqualMatmuls) {
  torch::manual_seed(7);
  const auto source = torch::randn({4, 49, 3 * 2 * 32}, torch::requires_grad());
  const auto weights = torch::randn({4, 2, 49, 32});
  const AttentionProduct product;
  std::vector<torch::Tensor> grads;
  for (bool ours : {true, false}) {
    source.mutable_grad() = torch::Tensor();
    auto qkv = (source * 1.0).view({4, 49, 3, 2, 32}).permute({2, 0, 3, 1, 4});
    auto k_t = qkv[1].transpose(-2, -1);
    auto scores = ours ? product(qkv[0], k_t) : at::matmul(qkv[0], k_t);
    auto attention = at::softmax(scores, -1);
    auto out = ours ? product(attention, qkv[2]) : at::matmul(attention, qkv[2]);
    (out * weights).sum().backward();
    grads.push_back(source.grad().clone());
  }
  EXPECT_LT(relative_error(grads[0], grads[1]), 1e-5);
  EXPECT_GT(grads[1].abs().max().item<double>(), 0);
}

TEST(InferenceLayers, Bf16SoftmaxIsFp32sWithinRounding) {
  if (!cpu_supports_bf16()) GTEST_SKIP() << "no native bf16 on this CPU";
  torch::InferenceMode guard;
  torch::manual_seed(5);
  for (int64_t width : {49, 197}) {  // Swin's window, ViT-B/16's tokens
    const auto scores = (torch::randn({2, 3, width, width}) * 4).to(torch::kBFloat16);
    const auto expected = at::softmax(scores.to(torch::kFloat), -1);
    const auto out = InferenceSoftmax()(scores.clone()).to(torch::kFloat);
    EXPECT_TRUE(((out - expected).abs() <= expected * (1.0 / 128) + 1e-6).all().item<bool>())
        << width << ": " << (out - expected).abs().max().item<double>();
  }
}

// One prepared layer, four threads, each with its own batch size (its own oneDNN primitive):
// every result equals the same call made alone.
TEST(InferenceLayers, ConcurrentCallsEqualSingleCalls) {
  const auto dtype = cpu_supports_bf16() ? torch::kBFloat16 : torch::kFloat;
  torch::InferenceMode guard;
  const auto f = make_fixture(49, 96, 96);
  const InferenceLinear layer(f.weight.to(dtype), f.bias.to(dtype), InferenceLinear::Then::kGelu);
  std::vector<torch::Tensor> inputs, alone, together(4);
  for (int i = 0; i < 4; ++i) {
    inputs.push_back(torch::randn({i + 1, 49, 96}).to(dtype));
    alone.push_back(layer(inputs[i]));
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      torch::InferenceMode thread_guard;
      for (int repeat = 0; repeat < 20; ++repeat) together[i] = layer(inputs[i]);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(torch::equal(together[i], alone[i])) << i;
}

}  // namespace
}  // namespace deeptirp
