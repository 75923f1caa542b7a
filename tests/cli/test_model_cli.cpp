// `deeptirp model forward` and `model convert` as a user runs them: torchvision's logits from a
// .pth checkpoint, the same logits through our own model file, and errors that name the file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deeptirp/models/model_file.h"
#include "deeptirp/train/checkpoint.h"
#include "models/model_test_util.h"  // torchvision fixtures and the parity measure

namespace deeptirp {
namespace {

int run(const std::string& args, std::string* out) {
  return testing::run_command(std::string(DEEPTIRP_EXE) + " model " + args + " 2>&1", out);
}

// `deeptirp model forward MODEL --input IN --output OUT`, MODEL being --arch/--weights or --model.
int forward(const std::string& model, const std::filesystem::path& input,
            const std::filesystem::path& output, std::string* out) {
  return run("forward " + model + " --input " + input.string() + " --output " + output.string(),
             out);
}

// The tensor "logits" that `model forward` wrote.
torch::Tensor logits_in(const std::filesystem::path& file) {
  for (auto& [key, tensor] : read_safetensors(file))
    if (key == "logits") return tensor;
  ADD_FAILURE() << file << " has no tensor 'logits'";
  return {};
}

TEST(ModelCli, ForwardAndConvertGiveTorchvisionsLogits) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  const auto dir = testing::scratch_dir("model-cli");
  const testing::Reference ref =
      testing::make_reference("vit_ti_16", dir, "--image-size 64 --num-classes 3 --batch 2");
  const auto fixture = dir / "vit_ti_16.logits.safetensors";  // holds "input", as forward wants
  std::string out;
  ASSERT_EQ(forward("--arch vit_ti_16 --weights " + ref.pth.string(), fixture,
                    dir / "a.safetensors", &out),
            0)
      << out;
  EXPECT_LE(testing::relative_difference(logits_in(dir / "a.safetensors"), ref.logits), 1e-4);

  const auto model_file = dir / "vit.safetensors";
  ASSERT_EQ(run("convert --arch vit_ti_16 --weights " + ref.safetensors.string() +
                    " --image-size 64 --classes a b c --output " + model_file.string(),
                &out),
            0)
      << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "vit.json")) << "no sidecar beside the model file";
  ASSERT_EQ(forward("--model " + model_file.string(), fixture, dir / "b.safetensors", &out), 0)
      << out;
  EXPECT_LE(testing::relative_difference(logits_in(dir / "b.safetensors"), ref.logits), 1e-4);
}

// What `deeptirp train` leaves: a run folder whose best.json names a checkpoint folder.
TEST(ModelCli, ForwardOpensATrainingRun) {
  const auto dir = testing::scratch_dir("model-cli-run");
  ModelCard card;
  card.architecture = "vit_ti_16";
  card.image_size = 32;
  card.positive = "tumour";
  card.classes = {"infection", "tumour"};
  torch::manual_seed(5);
  auto model = build_model(card);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  CheckpointState state;
  state.epoch = state.best_epoch = 1;
  save_checkpoint(dir / "run", *model, optimizer, state, card, true);
  const auto input = torch::rand({2, 3, 32, 32});
  write_safetensors(dir / "in.safetensors", {{"input", input}});
  std::string out;
  ASSERT_EQ(forward("--model " + (dir / "run").string(), dir / "in.safetensors",
                    dir / "out.safetensors", &out),
            0)
      << out;
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_LE(testing::relative_difference(logits_in(dir / "out.safetensors"), model->forward(input)),
            1e-5);
  std::filesystem::remove(dir / "run" / "best.json");
  EXPECT_NE(forward("--model " + (dir / "run").string(), dir / "in.safetensors",
                    dir / "out2.safetensors", &out),
            0);
  EXPECT_NE(out.find("best.json"), std::string::npos) << out;
}

TEST(ModelCli, BadInputsAreNamedAndExitNonZero) {
  const auto dir = testing::scratch_dir("model-cli-errors");
  write_safetensors(dir / "no_input.safetensors", {{"pixels", torch::zeros({1, 3, 32, 32})}});
  std::string out;
  const auto output = dir / "x.safetensors";
  EXPECT_NE(
      forward("--arch vit_ti_16 --weights missing.pth", dir / "no_input.safetensors", output, &out),
      0);
  EXPECT_NE(out.find("no_input.safetensors"), std::string::npos) << out;
  EXPECT_NE(out.find("'input'"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(output));

  const auto input = dir / "in.safetensors";
  write_safetensors(input, {{"input", torch::zeros({1, 3, 32, 32})}});
  EXPECT_NE(
      forward("--arch vit_ti_16 --weights " + (dir / "missing.pth").string(), input, output, &out),
      0);
  EXPECT_NE(out.find("missing.pth"), std::string::npos) << out;
  EXPECT_NE(forward("--model m.safetensors --arch vit_ti_16", input, output, &out), 0);
  EXPECT_NE(out.find("not both"), std::string::npos) << out;
}

}  // namespace
}  // namespace deeptirp
