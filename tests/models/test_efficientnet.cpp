// EfficientNet against torchvision 0.14: the same weights give the same eval-mode logits.
#include "model_test_util.h"

namespace deeptirp::testing {
namespace {

// Random batch-norm statistics and affine parameters, so that folding and eval-mode
// normalisation are really exercised.
void randomise_norms(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  for (auto& item : model.named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.1);
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 1.5);
  }
  for (auto& item : model.named_parameters()) {
    if (item.key().find(".1.weight") != std::string::npos) item.value().normal_(1, 0.1);
    if (item.key().find(".1.bias") != std::string::npos) item.value().normal_(0, 0.1);
  }
}

StateDict state_of(torch::nn::Module& model) {
  StateDict out;
  for (auto& item : model.named_parameters()) out.emplace_back(item.key(), item.value().detach());
  for (auto& item : model.named_buffers()) out.emplace_back(item.key(), item.value().detach());
  return out;
}

TEST(EfficientNet, B0MatchesTorchvisionFromSafetensorsFoldedAndUnfolded) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  auto dir = scratch_dir("effnet-b0");
  Reference ref = make_reference("efficientnet_b0", dir, "--image-size 160");
  EXPECT_LE(parity("efficientnet_b0", ref, ref.safetensors, 160), 1e-4);

  // Eval-mode batch norm without folding gives the same logits.
  auto model = create_model("efficientnet_b0", {1000, 3, 160});
  load_weights(*model, "efficientnet_b0", ref.safetensors);
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_LE(relative_difference(model->forward(ref.input), ref.logits), 1e-4);
}

TEST(EfficientNet, B3MatchesTorchvisionFromPth) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  auto dir = scratch_dir("effnet-b3");
  Reference ref = make_reference("efficientnet_b3", dir, "--image-size 160");
  const double diff = parity("efficientnet_b3", ref, ref.pth, 160);
  EXPECT_LE(diff, 1e-4);
  std::cout << "efficientnet_b3 max relative difference " << diff << "\n";
}

// Training mode as torchvision trains: batch statistics, stochastic depth 0.2 * i / 16 on the
// residual blocks and dropout 0.2 before the classifier.
TEST(EfficientNet, B0TrainingModeMatchesTorchvisionWithItsDropoutAndStochasticDepth) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref = make_reference("efficientnet_b0", scratch_dir("effnet-b0-train"),
                                 "--image-size 64 --batch 8 --train-seed 11");
  expect_train_mode_parity("efficientnet_b0", ref, 64, 11);
}

TEST(EfficientNet, OneChannelModelSumsTheStemAndEqualsTheGreyImageInRgb) {
  auto rgb = create_model("efficientnet_b0", {2, 3, 96});
  randomise_norms(*rgb);
  auto grey = create_model("efficientnet_b0", {2, 1, 96});
  LoadReport report = load_weights(*grey, "efficientnet_b0", state_of(*rgb), "rgb model");
  EXPECT_TRUE(report.stem_summed);
  EXPECT_FALSE(report.head_replaced);
  prepare_for_inference(*rgb, Precision::kFloat32);
  prepare_for_inference(*grey, Precision::kFloat32);
  auto image = torch::rand({2, 1, 96, 96});
  auto expected = predict_logits(*rgb, image.repeat({1, 3, 1, 1}));
  EXPECT_LE(relative_difference(predict_logits(*grey, image), expected), 1e-4);
  EXPECT_THROW(predict_logits(*grey, image.repeat({1, 3, 1, 1})), Error);
}

TEST(EfficientNet, OneLogitFromA1000ClassCheckpointReplacesTheHead) {
  auto source = create_model("efficientnet_b0", {1000, 3, 96});
  randomise_norms(*source);
  auto binary = create_model("efficientnet_b0", {1, 3, 96});
  LoadReport report = load_weights(*binary, "efficientnet_b0", state_of(*source), "imagenet");
  EXPECT_TRUE(report.head_replaced);
  EXPECT_NE(report.describe().find("head"), std::string::npos);
  // Everything but the head came from the checkpoint.
  auto params = binary->named_parameters();
  EXPECT_TRUE(torch::equal(params["features.1.0.block.0.0.weight"],
                           source->named_parameters()["features.1.0.block.0.0.weight"]));
  EXPECT_EQ(params["classifier.1.weight"].sizes(), (std::vector<int64_t>{1, 1280}));
  prepare_for_inference(*binary, Precision::kFloat32);
  EXPECT_EQ(predict_logits(*binary, torch::rand({3, 3, 96, 96})).sizes(),
            (std::vector<int64_t>{3, 1}));
}

TEST(EfficientNet, ACheckpointOfAnotherVariantIsRefusedByName) {
  auto b0 = create_model("efficientnet_b0", {1000, 3, 96});
  auto b3 = create_model("efficientnet_b3", {1000, 3, 96});
  try {
    load_weights(*b3, "efficientnet_b3", state_of(*b0), "b0.safetensors");
    FAIL() << "a B0 checkpoint loaded into B3";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b0.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("features.0.0.weight"), std::string::npos) << e.what();
  }
}

// bf16 is refused for EfficientNet (its logits drift past 2%): fp32, and a note that says why.
TEST(EfficientNet, Bf16InferenceFallsBackToFp32WithANote) {
  auto model = create_model("efficientnet_b0", {10, 3, 64});
  std::string note;
  EXPECT_EQ(prepare_for_inference(*model, Precision::kBFloat16, &note), Precision::kFloat32);
  EXPECT_NE(note.find(cpu_supports_bf16() ? "EfficientNet" : "native bf16"), std::string::npos)
      << note;
  EXPECT_EQ(model->parameters().front().scalar_type(), torch::kFloat32);
  EXPECT_EQ(predict_logits(*model, torch::randn({2, 3, 64, 64})).sizes(),
            (std::vector<int64_t>{2, 10}));
}

}  // namespace
}  // namespace deeptirp::testing
