// `deeptirp model forward` and `model convert` as a user runs them: torchvision's logits from a
// .pth checkpoint, the same logits through our own model file, and errors that name the file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deeptirp/models/state_dict.h"
#include "test_support.h"

namespace deeptirp {
namespace {

int run(const std::string& args, std::string* out) {
  return testing::run_command(std::string(DEEPTIRP_EXE) + " model " + args + " 2>&1", out);
}

torch::Tensor tensor_named(const std::filesystem::path& file, const std::string& name) {
  for (auto& [key, tensor] : read_safetensors(file))
    if (key == name) return tensor;
  ADD_FAILURE() << file << " has no tensor '" << name << "'";
  return {};
}

double relative_difference(const torch::Tensor& a, const torch::Tensor& ref) {
  const double scale = std::max(1.0, ref.abs().max().item<double>());
  return (a - ref).abs().max().item<double>() / scale;
}

TEST(ModelCli, ForwardAndConvertGiveTorchvisionsLogits) {
  if (testing::reference_python().empty())
    GTEST_SKIP() << "no reference python3 with torchvision; parity not checked";
  const auto dir = testing::scratch_dir("model-cli");
  std::string out;
  ASSERT_EQ(testing::run_command(testing::reference_python() + " " + DEEPTIRP_SOURCE_DIR +
                                     "/tools/reference_logits.py --arch vit_ti_16 --image-size 64"
                                     " --num-classes 3 --batch 2 --out " + dir.string(),
                                 &out),
            0)
      << out;
  const auto fixture = dir / "vit_ti_16.logits.safetensors";
  const auto expected = tensor_named(fixture, "logits");

  ASSERT_EQ(run("forward --arch vit_ti_16 --weights " + (dir / "vit_ti_16.pth").string() +
                    " --input " + fixture.string() + " --output " + (dir / "a.safetensors").string(),
                &out),
            0)
      << out;
  EXPECT_LE(relative_difference(tensor_named(dir / "a.safetensors", "logits"), expected), 1e-4);

  const auto model_file = dir / "vit.safetensors";
  ASSERT_EQ(run("convert --arch vit_ti_16 --weights " + (dir / "vit_ti_16.safetensors").string() +
                    " --image-size 64 --classes a b c --output " + model_file.string(),
                &out),
            0)
      << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "vit.json")) << "no sidecar beside the model file";
  ASSERT_EQ(run("forward --model " + model_file.string() + " --input " + fixture.string() +
                    " --output " + (dir / "b.safetensors").string(),
                &out),
            0)
      << out;
  EXPECT_LE(relative_difference(tensor_named(dir / "b.safetensors", "logits"), expected), 1e-4);
}

TEST(ModelCli, BadInputsAreNamedAndExitNonZero) {
  const auto dir = testing::scratch_dir("model-cli-errors");
  write_safetensors(dir / "no_input.safetensors", {{"pixels", torch::zeros({1, 3, 32, 32})}});
  std::string out;
  EXPECT_NE(run("forward --arch vit_ti_16 --weights missing.pth --input " +
                    (dir / "no_input.safetensors").string() + " --output " +
                    (dir / "x.safetensors").string(),
                &out),
            0);
  EXPECT_NE(out.find("no_input.safetensors"), std::string::npos) << out;
  EXPECT_NE(out.find("'input'"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors"));

  write_safetensors(dir / "in.safetensors", {{"input", torch::zeros({1, 3, 32, 32})}});
  EXPECT_NE(run("forward --arch vit_ti_16 --weights " + (dir / "missing.pth").string() +
                    " --input " + (dir / "in.safetensors").string() + " --output " +
                    (dir / "x.safetensors").string(),
                &out),
            0);
  EXPECT_NE(out.find("missing.pth"), std::string::npos) << out;
  EXPECT_NE(run("forward --model m.safetensors --arch vit_ti_16 --input " +
                    (dir / "in.safetensors").string() + " --output " +
                    (dir / "x.safetensors").string(),
                &out),
            0);
  EXPECT_NE(out.find("not both"), std::string::npos) << out;
}

}  // namespace
}  // namespace deeptirp
