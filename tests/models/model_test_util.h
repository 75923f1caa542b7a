#pragma once
// Shared by the model tests: torchvision fixtures from tools/reference_logits.py, and the parity
// measure (largest difference relative to the logit scale).
#include <torch/torch.h>

#include <filesystem>
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
};

// Runs tools/reference_logits.py; `extra` are further options (e.g. "--batch 1").
inline Reference make_reference(const std::string& arch, const std::filesystem::path& dir,
                                const std::string& extra) {
  const std::string command = reference_python() + " " + DEEPTIRP_SOURCE_DIR +
                              "/tools/reference_logits.py --arch " + arch + " --out " +
                              dir.string() + " " + extra;
  std::string output;
  EXPECT_EQ(run_command(command, &output), 0) << command << "\n" << output;
  Reference ref{dir / (arch + ".pth"), dir / (arch + ".safetensors"), {}, {}};
  for (auto& [name, tensor] : read_safetensors(dir / (arch + ".logits.safetensors"))) {
    if (name == "input") ref.input = tensor;
    if (name == "logits") ref.logits = tensor;
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

#define DEEPTIRP_REQUIRE_REFERENCE_PYTHON()                                          \
  do {                                                                               \
    if (::deeptirp::testing::reference_python().empty())                             \
      GTEST_SKIP() << "no reference python3 with torchvision; parity not checked";   \
  } while (0)

}  // namespace deeptirp::testing
