// Data-parallel training as a user starts it: `deeptirp train --nproc 2` over loopback, against
// one process with the same global batch, and the ways it must end when a rank does not play.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "deeptirp/data/manifest.h"
#include "deeptirp/models/state_dict.h"
#include "deeptirp/train/distributed.h"
#include "synthetic_study.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

const testing::SyntheticStudy& study() {
  static const testing::SyntheticStudy s = [] {
    testing::SyntheticStudyOptions o;
    o.cases = 60;
    o.seed = 7;
    o.width = 64;
    o.height = 80;
    o.ratios = SplitRatios{0.7, 0.2, 0.1};  // about 42 training cases: a last step short of 16
    return testing::make_synthetic_study("train-parallel", o);
  }();
  return s;
}

// A layer-norm model (no batch-norm statistics per rank), no dropout: one process on a batch of
// 16 and two on 8 each must take the same steps. SGD, not cpu-quick's AdamW: attention's key bias
// has a gradient of zero but for rounding (softmax ignores a constant added to every key's
// score), and Adam scales that rounding up to steps of the learning rate, 6e-4 apart here after
// two epochs, where the summation order of the two runs differs. With SGD, measured here (Intel
// Xeon, AVX-512): weights at most 1.2e-7 apart, losses 1.7e-7, the same validation AUCs.
std::string train_command(
    const fs::path& out, const std::string& extra, int epochs = 2,
    const std::string& model = "--model vit_ti_16 --batch_size 16 --image_size 32") {
  const auto& s = study();
  return std::string(DEEPTIRP_EXE) + " train --preset cpu-quick " + model + " --manifest " +
         s.manifest_path.string() + " --config " + s.study_yaml.string() + " --out " +
         out.string() + " --channels 1 --epochs " + std::to_string(epochs) +
         " --optimizer sgd --lr 0.01 --warmup_epochs 0 --schedule constant "
         "--augment flips --threads 1 "
         "--workers 1 --quiet " +
         extra;
}

std::vector<nlohmann::json> log_of(const fs::path& run) {
  std::ifstream in(run / "train_log.jsonl");
  std::vector<nlohmann::json> epochs;
  for (std::string line; std::getline(in, line);) epochs.push_back(nlohmann::json::parse(line));
  return epochs;
}

// The last checkpoint's weights (a ViT has no batch norm to fold: the weights as trained).
StateDict last_weights(const fs::path& run) {
  const auto last = nlohmann::json::parse(std::ifstream(run / "last.json"));
  return read_safetensors(run / last.at("folder").get<std::string>() / "model.safetensors");
}

// The largest difference of a parameter or buffer between two runs' last weights.
double weight_difference(const fs::path& a_run, const fs::path& b_run) {
  const StateDict a = last_weights(a_run), b = last_weights(b_run);
  EXPECT_EQ(a.size(), b.size());
  double most = 0;
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
    EXPECT_EQ(a[k].first, b[k].first);
    most = std::max(most, (a[k].second.to(torch::kDouble) - b[k].second.to(torch::kDouble))
                              .abs()
                              .max()
                              .item<double>());
  }
  return most;
}

TEST(TrainParallel, TwoProcessesTakeTheStepsOfOneWithTheWholeBatch) {
  if (!has_data_parallel()) GTEST_SKIP() << "built without c10d's Gloo (libgloo-dev)";
  const fs::path dir = testing::scratch_dir("train-parallel-runs");
  std::string out;
  ASSERT_EQ(testing::run_command(train_command(dir / "one", ""), &out), 0) << out;
  ASSERT_EQ(testing::run_command(train_command(dir / "two", "--nproc 2"), &out), 0) << out;
  EXPECT_EQ(out.find("best epoch", out.find("best epoch") + 1), std::string::npos)
      << "only rank 0 reports: " << out;

  const auto one = log_of(dir / "one"), two = log_of(dir / "two");
  ASSERT_EQ(one.size(), 2u);
  ASSERT_EQ(two.size(), 2u);
  for (std::size_t e = 0; e < one.size(); ++e) {
    for (const char* figure : {"train_loss", "val_loss", "val_auc"})
      EXPECT_NEAR(one[e][figure].get<double>(), two[e][figure].get<double>(), 1e-5)
          << figure << ", epoch " << e + 1;
  }
  EXPECT_NE(one[0]["train_loss"], one[1]["train_loss"]) << "the model did not move";

  ASSERT_FALSE(last_weights(dir / "one").empty());
  EXPECT_LT(weight_difference(dir / "one", dir / "two"), 1e-5);
}

// The subtype target's layer is trained beside the model: its gradient is summed with the
// model's, so two processes still take the steps of one, that layer's weights included.
TEST(TrainParallel, TheSubtypeTargetTakesTheStepsOfOneProcess) {
  if (!has_data_parallel()) GTEST_SKIP() << "built without c10d's Gloo (libgloo-dev)";
  const fs::path dir = testing::scratch_dir("train-parallel-subtype");
  std::string out;
  ASSERT_EQ(testing::run_command(train_command(dir / "one", "--subtype_weight 0.5"), &out), 0)
      << out;
  ASSERT_EQ(
      testing::run_command(train_command(dir / "two", "--subtype_weight 0.5 --nproc 2"), &out), 0)
      << out;
  const auto one = log_of(dir / "one"), two = log_of(dir / "two");
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t e = 0; e < one.size(); ++e)
    EXPECT_NEAR(one[e]["train_loss"].get<double>(), two[e]["train_loss"].get<double>(), 1e-5);
  EXPECT_LT(weight_difference(dir / "one", dir / "two"), 1e-5);
  auto head = [](const fs::path& run) {
    const auto last = nlohmann::json::parse(std::ifstream(run / "last.json"));
    return read_safetensors(run / last.at("folder").get<std::string>() /
                            "subtype_head.safetensors");
  };
  const StateDict a = head(dir / "one"), b = head(dir / "two");
  ASSERT_EQ(a.size(), 2u);  // weight and bias
  ASSERT_EQ(b.size(), 2u);
  for (std::size_t k = 0; k < a.size(); ++k)
    EXPECT_TRUE(torch::allclose(a[k].second, b[k].second, 0, 1e-5)) << a[k].first;
}

// A batch-norm model: with train.distributed.sync_batch_norm, two processes on 16 each take the
// steps of one process on 32 (BatchNorm2d over the whole batch), running statistics included;
// each rank's own statistics (DDP's default) do not. The training cases (34) make a last step of
// 2, both rank 0's: rank 1 takes its part in the statistics with no cases. Dropout and
// stochastic depth off, one epoch. The weights' tolerance is rounding's: one process alone, on 1
// thread and on 2, ends 2.6e-5 apart (the stem's weights; the two processes: 4.7e-5), while
// per-rank statistics leave running variances 0.5 apart (measured on AMD EPYC).
TEST(TrainParallel, SynchronisedBatchNormTakesTheStepsOfOneProcess) {
  if (!has_data_parallel()) GTEST_SKIP() << "built without c10d's Gloo (libgloo-dev)";
  const std::size_t n = cases_in_split(study().manifest, "train").size();
  ASSERT_TRUE(n % 32 > 0 && n % 32 <= 16) << n << " training cases: rank 1 would have some";
  const fs::path dir = testing::scratch_dir("train-parallel-sync-bn");
  const std::string b0 =
      "--model efficientnet_b0 --batch_size 32 --image_size 64 --dropout 0 --stochastic_depth 0";
  auto train = [&](const char* name, const std::string& extra) {
    std::string out;
    EXPECT_EQ(testing::run_command(train_command(dir / name, extra, 1, b0), &out), 0) << out;
    const auto log = log_of(dir / name);
    EXPECT_EQ(log.size(), 1u) << name;
    return log.empty() ? 0.0 : log[0]["train_loss"].get<double>();
  };
  const double one = train("one", "");
  const double sync = train("sync", "--nproc 2 --distributed.sync_batch_norm true");
  const double own = train("per-rank", "--nproc 2");
  EXPECT_NEAR(sync, one, 1e-5);
  EXPECT_LT(weight_difference(dir / "one", dir / "sync"), 2e-4);
  EXPECT_GT(std::abs(own - one), 1e-4) << "per-rank statistics should not be the whole batch's";
  EXPECT_GT(weight_difference(dir / "one", dir / "per-rank"), 1e-2);
}

TEST(TrainParallel, AKilledRankEndsTheRunWithAnError) {
  if (!has_data_parallel()) GTEST_SKIP() << "built without c10d's Gloo (libgloo-dev)";
  const fs::path dir = testing::scratch_dir("train-parallel-kill");
  // Rank 1 is killed once the run has begun; the launcher must stop rank 0 and say so.
  const std::string script =
      train_command(dir / "run", "--nproc 2", 500) + " > " + (dir / "log").string() +
      " 2>&1 & L=$!; for i in $(seq 1 600); do [ -f " + (dir / "run/train_config.json").string() +
      " ] && break; sleep 0.1; done; sleep 1; kill -9 $(pgrep -P $L | tail -1); wait $L; "
      "echo rc=$?; cat " +
      (dir / "log").string();
  std::string out;
  testing::run_command("bash -c '" + script + "'", &out);
  EXPECT_NE(out.find("rank 1 was killed by signal 9; the other processes were stopped"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("rc=0"), std::string::npos) << out;
}

// Every process killed after the first checkpoint (the launcher's whole process group), then
// --resume: each rank reads the run folder and the run ends as one that was never stopped.
TEST(TrainParallel, EveryRankResumesAfterAKill) {
  if (!has_data_parallel()) GTEST_SKIP() << "built without c10d's Gloo (libgloo-dev)";
  const fs::path dir = testing::scratch_dir("train-parallel-resume");
  std::string out;
  ASSERT_EQ(testing::run_command(train_command(dir / "whole", "--nproc 2", 3), &out), 0) << out;
  const fs::path run = dir / "run";
  const std::string script = "setsid " + train_command(run, "--nproc 2", 3) +
                             " > /dev/null 2>&1 & L=$!; for i in $(seq 1 600); do [ -f " +
                             (run / "last.json").string() +
                             " ] && break; sleep 0.05; done; kill -9 -- -$L; wait $L; echo rc=$?";
  testing::run_command("bash -c '" + script + "'", &out);
  ASSERT_EQ(out.find("rc=0"), std::string::npos) << "the run ended before the kill: " << out;
  const std::size_t done = log_of(run).size();
  ASSERT_LT(done, 3u) << "the kill came too late to test a resume";
  ASSERT_EQ(testing::run_command(train_command(run, "--nproc 2 --resume", 3), &out), 0) << out;
  const auto whole = log_of(dir / "whole"), resumed = log_of(run);
  ASSERT_EQ(resumed.size(), 3u);
  for (std::size_t e = 0; e < 3; ++e)
    for (const char* figure : {"train_loss", "val_loss", "val_auc"})
      EXPECT_NEAR(whole[e][figure].get<double>(), resumed[e][figure].get<double>(), 1e-9)
          << figure << ", epoch " << e + 1 << " (" << done << " done before the kill)";
}

TEST(TrainParallel, ARankAloneGivesUpAtTheTimeoutNamingTheAddress) {
  if (!has_data_parallel()) GTEST_SKIP() << "built without c10d's Gloo (libgloo-dev)";
  const fs::path dir = testing::scratch_dir("train-parallel-alone");
  std::string out;
  const int rc =
      testing::run_command("WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 " +
                               train_command(dir / "run", "--distributed.timeout_s 2"),
                           &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("rank 0 of 2: could not join the process group at 127.0.0.1:29517"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(dir / "run" / "train_config.json")) << "it wrote before joining";

  EXPECT_NE(testing::run_command("WORLD_SIZE=2 RANK=2 " + train_command(dir / "bad", ""), &out), 0);
  EXPECT_NE(out.find("environment variable RANK='2': expected a whole number from 0 to 1"),
            std::string::npos)
      << out;
  EXPECT_NE(testing::run_command(train_command(dir / "odd", "--nproc 3"), &out), 0);
  EXPECT_NE(out.find("train.batch_size: 16 images per step cannot be shared equally by 3"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace deeptirp
