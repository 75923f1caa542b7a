#pragma once
// Shared by the model tests: torchvision fixtures from tools/reference_logits.py, and the parity
// measure (largest difference relative to the logit scale).
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

#include "deeptirp/error.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/state_dict.h"
#include "test_support.h"

namespace deeptirp::testing {

// max |a - b| / max(1, max |ref|): the "within 1e-4 of the logit scale".
inline double relative_difference(const torch::Tensor& a, const torch::Tensor& ref) {
  const double scale = std::max(1.0, ref.abs().max().item<double>());
  return (a.to(torch::kDouble) - ref.to(torch::kDouble)).abs().max().item<double>() / scale;
}

struct Reference {
  std::filesystem::path pth, safetensors;
  torch::Tensor input, logits;
  torch::Tensor train_logits;  // with --train-seed: training mode right after that seed
  std::map<std::string, torch::Tensor> grads;  // with --grads: d sum(train_logits) / d parameter
};

// Runs tools/reference_logits.py; `extra` are further options (e.g. "--batch 1").
inline Reference make_reference(const std::string& arch, const std::filesystem::path& dir,
                                const std::string& extra) {
  const std::string command = reference_python() + " " + DEEPTIRP_SOURCE_DIR +
                              "/tools/reference_logits.py --arch " + arch + " --out " +
                              dir.string() + " " + extra;
  std::string output;
  EXPECT_EQ(run_command(command, &output), 0) << command << "\n" << output;
  Reference ref{dir / (arch + ".pth"), dir / (arch + ".safetensors"), {}, {}, {}, {}};
  const std::string grad_prefix = "grad.";
  for (auto& [name, tensor] : read_safetensors(dir / (arch + ".logits.safetensors"))) {
    if (name == "input") ref.input = tensor;
    if (name == "logits") ref.logits = tensor;
    if (name == "train_logits") ref.train_logits = tensor;
    if (name.rfind(grad_prefix, 0) == 0) ref.grads[name.substr(grad_prefix.size())] = tensor;
  }
  return ref;
}

// Loads the reference weights (from `weights`) into a fresh model, prepares it for fp32
// inference and returns its logits on the reference input, with the largest relative difference.
inline double parity(const std::string& arch, const Reference& ref,
                     const std::filesystem::path& weights, int64_t image_size) {
  auto model = create_model(arch, {ref.logits.size(1), 3, image_size});
  LoadReport report = load_weights(*model, arch, weights);
  EXPECT_FALSE(report.head_replaced) << report.describe();
  prepare_for_inference(*model, Precision::kFloat32);
  auto logits = predict_logits(*model, ref.input);
  EXPECT_EQ(logits.sizes(), ref.logits.sizes());
  return relative_difference(logits, ref.logits);
}

// Training-mode logits of the reference weights on the reference input right after
// torch::manual_seed(seed): batch statistics, dropout and stochastic depth, as torchvision trains.
inline torch::Tensor train_mode_logits(const std::string& arch, const Reference& ref,
                                       int64_t image_size, uint64_t seed) {
  auto model = create_model(arch, {ref.logits.size(1), 3, image_size});
  load_weights(*model, arch, ref.safetensors);
  model->train();
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  return model->forward(ref.input);
}

// The training-mode forward pass draws the same random numbers as torchvision's, in the same
// order: equal logits with the reference's seed. Another seed gives other logits (so the
// randomness is really there), and both differ from eval mode.
inline void expect_train_mode_parity(const std::string& arch, const Reference& ref,
                                     int64_t image_size, uint64_t seed) {
  ASSERT_TRUE(ref.train_logits.defined()) << "the reference was made without --train-seed";
  const auto logits = train_mode_logits(arch, ref, image_size, seed);
  const double diff = relative_difference(logits, ref.train_logits);
  std::cout << arch << " training mode: max relative difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
  const auto other = train_mode_logits(arch, ref, image_size, seed + 1);
  EXPECT_GT(relative_difference(other, ref.train_logits), 1e-3) << "no randomness in training";
  EXPECT_GT(relative_difference(ref.train_logits, ref.logits), 1e-3);
}

// The training step's gradients are torchvision's: after the same seed, the gradient of the sum
// of the training-mode logits for every parameter, each within 1e-4 of its own largest value.
inline void expect_train_mode_gradients(const std::string& arch, const Reference& ref,
                                        int64_t image_size, uint64_t seed) {
  ASSERT_FALSE(ref.grads.empty()) << "the reference was made without --grads";
  auto model = create_model(arch, {ref.logits.size(1), 3, image_size});
  load_weights(*model, arch, ref.safetensors);
  model->train();
  torch::manual_seed(seed);
  model->forward(ref.input).sum().backward();
  double worst = 0;
  std::string worst_name;
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    const torch::Tensor& parameter = item.value();
    const auto it = ref.grads.find(name);
    ASSERT_NE(it, ref.grads.end()) << name << " has no reference gradient";
    ASSERT_TRUE(parameter.grad().defined()) << name << " got no gradient";
    const double scale = it->second.abs().max().item<double>();
    ASSERT_GT(scale, 0) << name;
    const double diff = (parameter.grad().to(torch::kDouble) - it->second.to(torch::kDouble))
                            .abs()
                            .max()
                            .item<double>() /
                        scale;
    if (diff > worst) worst = diff, worst_name = name;
  }
  EXPECT_EQ(model->named_parameters().size(), ref.grads.size());
  std::cout << arch << " gradients: max relative difference " << worst << " (" << worst_name
            << ")\n";
  EXPECT_LE(worst, 1e-4) << worst_name;
}

#define DEEPTIRP_REQUIRE_REFERENCE_PYTHON()                                        \
  do {                                                                             \
    if (::deeptirp::testing::reference_python().empty())                           \
      GTEST_SKIP() << "no reference python3 with torchvision; parity not checked"; \
  } while (0)

}  // namespace deeptirp::testing
