// The subtype labels as an auxiliary target (train.subtype_weight): its classes and loss, and a
// run trained with it: a model file without the layer, an exact resume, a refused changed resume.
#include <gtest/gtest.h>

#include <set>

#include "deeptirp/error.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/state_dict.h"
#include "deeptirp/train/checkpoint.h"
#include "deeptirp/train/subtype_target.h"
#include "deeptirp/train/trainer.h"
#include "small_run.h"
#include "synthetic_study.h"
#include "test_support.h"

namespace deeptirp {
namespace {

std::vector<std::size_t> training_cases(const Manifest& m) {
  std::vector<std::size_t> cases;
  for (std::size_t i = 0; i < m.cases.size(); ++i)
    if (m.cases[i].split == "train") cases.push_back(i);
  return cases;
}

TEST(SubtypeTarget, ClassesAreTheTrainingSubtypesAndTheLossTheirWeightedCrossEntropy) {
  auto study = testing::make_synthetic_study("subtype-loss", {60, 3});
  Manifest& m = study.manifest;
  const auto train = training_cases(m);
  // Two cases outside training: one with a subtype no training case has, one without a subtype.
  std::vector<std::size_t> others;
  for (std::size_t i = 0; i < m.cases.size() && others.size() < 2; ++i)
    if (m.cases[i].split != "train") others.push_back(i);
  ASSERT_EQ(others.size(), 2u);
  m.cases[others[0]].subtype = "a subtype no training case has";
  m.cases[others[1]].subtype = "";
  ModelOptions options;
  options.image_size = 32;
  auto model = create_model("efficientnet_b0", options);
  SubtypeTarget target(m, train, *model, 32, 3, 0.7, torch::kCPU);

  std::set<std::string> expected;
  for (auto i : train) expected.insert(m.cases[i].subtype);
  ASSERT_GE(expected.size(), 2u);
  EXPECT_EQ(target.subtypes(), std::vector<std::string>(expected.begin(), expected.end()));

  // Four cases: two known subtypes, one never seen in training, one without a subtype.
  const auto classes = target.classes_of({train[0], train[1], others[0], others[1]});
  for (int k = 0; k < 2; ++k)
    EXPECT_EQ(target.subtypes()[classes[k].item<int64_t>()], m.cases[train[k]].subtype);
  EXPECT_EQ(classes[2].item<int64_t>(), -1);
  EXPECT_EQ(classes[3].item<int64_t>(), -1);

  // The loss, computed here from the layer's weights: 0.7 x the mean cross-entropy of the known.
  model->eval();
  const auto images = torch::randn({4, 3, 32, 32});
  const auto activation = model->features(images);
  const auto loss = target.loss(*model, activation, classes);
  const auto pooled = activation.mean({2, 3});
  const auto logits = pooled.matmul(target.head()->weight.t()) + target.head()->bias;
  const auto log_p = torch::log_softmax(logits, 1);
  double expected_loss = 0;
  for (int k = 0; k < 2; ++k) expected_loss -= log_p[k][classes[k].item<int64_t>()].item<double>();
  EXPECT_NEAR(loss.item<double>(), 0.7 * expected_loss / 2, 1e-6);

  // No case with a subtype: nothing to learn, but the layer stays in the graph (a gradient of 0).
  const auto none = torch::full({4}, -1, torch::kInt64);
  const auto zero = target.loss(*model, model->features(images), none);
  EXPECT_EQ(zero.item<double>(), 0.0);
  zero.backward();
  ASSERT_TRUE(target.head()->weight.grad().defined());
  EXPECT_EQ(target.head()->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(SubtypeTarget, FewerThanTwoSubtypesIsAnErrorNamingTheManifest) {
  auto study = testing::make_synthetic_study("subtype-one", {30, 4});
  Manifest m = study.manifest;
  for (auto& c : m.cases) c.subtype = "osteosarcoma";
  ModelOptions options;
  options.image_size = 32;
  auto model = create_model("efficientnet_b0", options);
  const std::string error = testing::error_of(
      [&] { SubtypeTarget(m, training_cases(m), *model, 32, 3, 0.5, torch::kCPU); });
  EXPECT_NE(error.find(m.path.string()), std::string::npos) << error;
  EXPECT_NE(error.find("train.subtype_weight needs at least two subtypes"), std::string::npos)
      << error;
}

TrainConfig small_config(const testing::SyntheticStudy& study, const std::string& run) {
  TrainConfig c = testing::small_config(study.dir, run);
  c.image_size = 48;
  c.epochs = 3;
  return c;
}

StateDict last_weights(const TrainConfig& c, const std::string& file) {
  return read_safetensors(*checkpoint_folder(c.out, "last") / file);
}

void expect_equal(const StateDict& a, const StateDict& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  }
}

TEST(SubtypeTarget, ARunWithItKeepsAPlainModelFileAndResumesExactly) {
  auto study = testing::make_synthetic_study("subtype-train", {40, 5});
  TrainConfig plain = small_config(study, "plain");
  TrainConfig straight = plain;
  straight.out = (study.dir / "straight").string();
  straight.subtype_weight = 0.5;
  TrainConfig resumed = straight;
  resumed.out = (study.dir / "resumed").string();
  train(plain);
  train(straight);
  train(resumed, {false, 1});  // interrupted after the first epoch
  EXPECT_EQ(train(resumed, {true, 0}).epochs_done, 3);

  // The same weights, the subtype layer's included, as the run that was not interrupted.
  expect_equal(last_weights(straight, "model.safetensors"),
               last_weights(resumed, "model.safetensors"));
  expect_equal(last_weights(straight, "subtype_head.safetensors"),
               last_weights(resumed, "subtype_head.safetensors"));

  // The model file holds the tensors a run without the target holds, and other values: the
  // subtype loss moved the features.
  const StateDict with = last_weights(straight, "model.safetensors");
  const StateDict without = last_weights(plain, "model.safetensors");
  ASSERT_EQ(with.size(), without.size());
  bool moved = false;
  for (std::size_t i = 0; i < with.size(); ++i) {
    EXPECT_EQ(with[i].first, without[i].first);
    moved = moved || !torch::equal(with[i].second, without[i].second);
  }
  EXPECT_TRUE(moved);
  EXPECT_NO_THROW(load_classifier(straight.out));
  EXPECT_FALSE(
      std::filesystem::exists(*checkpoint_folder(plain.out, "last") / "subtype_head.safetensors"));

  // Resuming it without the target is refused, naming the setting.
  TrainConfig changed = straight;
  changed.subtype_weight = 0;
  const std::string error = testing::error_of([&] { train(changed, {true, 0}); });
  EXPECT_NE(error.find("subtype_weight"), std::string::npos) << error;
}

TEST(SubtypeTarget, TheWeightIsChecked) {
  TrainConfig c = train_preset("cpu-quick");
  c.manifest = "manifest.csv";
  for (double bad : {-0.1, 1000.0}) {
    c.subtype_weight = bad;
    EXPECT_NE(testing::error_of([&] { check_train_config(c); }).find("subtype_weight"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace deeptirp
