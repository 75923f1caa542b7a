// Swin against torchvision 0.14's swin_t / swin_b: shifted windows, attention mask, relative
// position bias, patch merging; padding and unshifted windows at 192.
#include "bf16_check.h"
#include "deeptirp/models/swin.h"

namespace deeptirp::testing {
namespace {

TEST(Swin, TinyMatchesTorchvisionFromPth) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref = make_reference("swin_t", scratch_dir("swin-t"), "--batch 2");
  const double diff = parity("swin_t", ref, ref.pth, 224);
  std::cout << "swin_t max relative difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
}

// 192: stage grids 48, 24, 12, 6 are padded to windows of 7 and the last stage's window covers
// the whole grid, so it is not shifted (torchvision's rules).
TEST(Swin, BaseAt192MatchesTorchvisionFromSafetensors) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref = make_reference("swin_b", scratch_dir("swin-b"), "--batch 1 --image-size 192");
  const double diff = parity("swin_b", ref, ref.safetensors, 192);
  std::cout << "swin_b at 192 max relative difference " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
}

// Training mode as torchvision trains: stochastic depth 0.2 * i / 11 on both residual branches
// of every block.
TEST(Swin, TinyTrainingModeMatchesTorchvisionWithItsStochasticDepth) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  Reference ref = make_reference("swin_t", scratch_dir("swin-t-train"),
                                 "--image-size 64 --batch 8 --train-seed 11");
  expect_train_mode_parity("swin_t", ref, 64, 11);
}

TEST(Swin, UnsupportedSizesGiveAClearError) {
  try {
    create_model("swin_t", {1, 3, 200});
    FAIL() << "swin_t built for 200x200";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("200x200"), std::string::npos) << e.what();
  }
  auto model = create_model("swin_t", {1, 3, 224});
  prepare_for_inference(*model, Precision::kFloat32);
  EXPECT_THROW(predict_logits(*model, torch::zeros({1, 3, 224, 230})), Error);
}

TEST(Swin, Bf16LogitsStayWithinTwoPercentOfFp32) { expect_bf16_agrees("swin_t", 64, 320); }

}  // namespace
}  // namespace deeptirp::testing
