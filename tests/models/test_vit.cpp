// ViT against torchvision 0.14's VisionTransformer (B/16; S/16 and Ti/16 built from the same
// class with DeiT sizes).
#include "bf16_check.h"
#include "deeptirp/models/vit.h"

namespace deeptirp::testing {
namespace {

TEST(Vit, Ti16MatchesTorchvisionFromPth) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref = make_reference("vit_ti_16", scratch_dir("vit-ti"), "--batch 2");
  const double diff = parity("vit_ti_16", ref, ref.pth, 224);
  std::cout << "vit_ti_16 max relative difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
}

TEST(Vit, B16MatchesTorchvisionFromSafetensors) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref = make_reference("vit_b_16", scratch_dir("vit-b"), "--batch 1");
  const double diff = parity("vit_b_16", ref, ref.safetensors, 224);
  std::cout << "vit_b_16 max relative difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
}

// A 224 checkpoint at 160x160: position embeddings resized as torchvision's
// interpolate_embeddings does, checked against torchvision running the same.
TEST(Vit, At160From224CheckpointMatchesInterpolateEmbeddings) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref = make_reference("vit_ti_16", scratch_dir("vit-160"),
                                 "--batch 2 --image-size 160 --checkpoint-size 224");
  ASSERT_EQ(ref.input.size(2), 160);
  const double diff = parity("vit_ti_16", ref, ref.safetensors, 160);
  std::cout << "vit_ti_16 at 160 max relative difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
}

// The last block computes the class token alone (the only token the head reads): its logits and
// every parameter's gradient must still be torchvision's, which computes every token.
TEST(Vit, TrainingLogitsAndGradientsMatchTorchvision) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref =
      make_reference("vit_ti_16", scratch_dir("vit-train"),
                     "--batch 4 --image-size 64 --num-classes 3 --train-seed 11 --grads");
  const double diff =
      relative_difference(train_mode_logits("vit_ti_16", ref, 64, 11), ref.train_logits);
  std::cout << "vit_ti_16 training mode: max relative difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
  expect_train_mode_gradients("vit_ti_16", ref, 64, 11);
}

TEST(Vit, RefusesSizesItWasNotBuiltFor) {
  EXPECT_THROW(create_model("vit_ti_16", {1, 3, 200}), Error);  // not a multiple of 16
  auto model = create_model("vit_ti_16", {1, 3, 64});
  prepare_for_inference(*model, Precision::kFloat32);
  EXPECT_THROW(predict_logits(*model, torch::zeros({1, 3, 96, 96})), Error);
  EXPECT_EQ(predict_logits(*model, torch::zeros({2, 3, 64, 64})).sizes(),
            (std::vector<int64_t>{2, 1}));
}

TEST(Vit, Bf16LogitsStayWithinTwoPercentOfFp32) { expect_bf16_agrees("vit_ti_16", 64, 320); }

}  // namespace
}  // namespace deeptirp::testing
