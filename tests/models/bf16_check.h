#pragma once
// The bf16 acceptance check: logits within 2% of fp32 (relative to the logit scale) and the same
// predicted class on at least 99% of a few hundred varied inputs.
#include "model_test_util.h"

namespace deeptirp::testing {

// Noise, smooth gradients and blobs: inputs of the kinds a normalised radiograph produces.
inline torch::Tensor varied_inputs(int64_t count, int64_t size) {
  torch::manual_seed(11);
  auto noise = torch::randn({count / 2, 3, size, size});
  auto ramp = torch::linspace(-2, 2, size);
  auto grid = ramp.view({1, 1, size, 1}) * torch::randn({count - count / 2, 3, 1, 1}) +
              ramp.view({1, 1, 1, size}) * torch::randn({count - count / 2, 3, 1, 1});
  auto blobs = at::sin(grid * 3) + 0.3 * torch::randn({count - count / 2, 3, size, size});
  return torch::cat({noise, blobs}, 0);
}

// Two copies of one random-initialised model (norm layers and biases perturbed so that they
// matter), one run in fp32 and one in bf16. The logits must depend on the input for agreement to
// mean anything: they must spread over 5% of their scale and predict more than one class.
inline void expect_bf16_agrees(const std::string& arch, int64_t size, int64_t count) {
  if (!cpu_supports_bf16()) GTEST_SKIP() << "this CPU has no native bf16";
  torch::manual_seed(3);
  auto fp32 = create_model(arch, {10, 3, size});
  auto bf16 = create_model(arch, {10, 3, size});
  {
    torch::NoGradGuard no_grad;
    for (auto& item : fp32->named_parameters()) {
      const std::string& name = item.key();
      if (name.find("bias") != std::string::npos) item.value().normal_(0, 0.1);
      if (name.find("norm") != std::string::npos || name.find("ln") != std::string::npos)
        item.value().normal_(name.find("weight") != std::string::npos ? 1.0 : 0.0, 0.1);
      if (name.find("class_token") != std::string::npos) item.value().normal_(0, 0.02);
    }
    auto source = fp32->named_parameters();
    for (auto& item : bf16->named_parameters()) item.value().copy_(source[item.key()]);
  }
  prepare_for_inference(*fp32, Precision::kFloat32);
  ASSERT_EQ(prepare_for_inference(*bf16, Precision::kBFloat16), Precision::kBFloat16);
  auto inputs = varied_inputs(count, size);
  auto a = predict_logits(*fp32, inputs), b = predict_logits(*bf16, inputs);
  EXPECT_EQ(b.scalar_type(), torch::kFloat32);
  const double diff = relative_difference(b, a);
  const double agree = a.argmax(1).eq(b.argmax(1)).to(torch::kDouble).mean().item<double>();
  const auto classes = std::get<0>(at::_unique(a.argmax(1))).numel();
  const double spread = (a - a.mean(0)).abs().max().item<double>() / a.abs().max().item<double>();
  std::cout << arch << " bf16 vs fp32: max relative difference " << diff << ", class agreement "
            << agree << " on " << count << " inputs (" << classes << " classes predicted, spread "
            << spread << ")\n";
  EXPECT_GT(spread, 0.05);
  EXPECT_GT(classes, 1);
  EXPECT_LE(diff, 0.02);
  EXPECT_GE(agree, 0.99);
}

}  // namespace deeptirp::testing
