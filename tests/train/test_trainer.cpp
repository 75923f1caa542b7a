// The training engine end to end on small synthetic data: the study's schedule, overfitting a
// batch, resume equivalence, bad input before training, and a useful model on synthetic cases.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "deeptirp/data/import_table.h"
#include "deeptirp/data/split.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/data/synth.h"
#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/models/state_dict.h"
#include "deeptirp/stats/roc.h"
#include "deeptirp/train/checkpoint.h"
#include "deeptirp/train/predict.h"
#include "deeptirp/train/schedule.h"
#include "deeptirp/train/trainer.h"
#include "deeptirp/version.h"
#include "small_run.h"
#include "synthetic_study.h"
#include "test_support.h"

namespace deeptirp {
namespace {

using testing::small_config;

// A synthetic study, imported and split: the README demo in miniature.
std::filesystem::path make_study(const std::string& name, int cases, std::uint64_t seed,
                                 std::optional<SplitRatios> ratios = std::nullopt,
                                 bool full_size = false) {
  testing::SyntheticStudyOptions o;
  o.cases = cases;
  o.seed = seed;
  o.ratios = ratios;
  if (full_size) o.width = 256, o.height = 320;
  return testing::make_synthetic_study(name, o).dir;
}

TEST(Schedule, StudyStepScheduleAtTheIssuesEpochs) {
  // The study: SGD lr 0.1, divided by 10 every 30 epochs.
  Schedule paper{"step", 0.1, 30, 0.1, 0, 0, 100};
  EXPECT_DOUBLE_EQ(learning_rate(paper, 0), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(paper, 29, 0.99), 0.1);
  EXPECT_NEAR(learning_rate(paper, 30), 0.01, 1e-15);
  EXPECT_NEAR(learning_rate(paper, 60), 0.001, 1e-15);
  EXPECT_NEAR(learning_rate(paper, 90), 0.0001, 1e-15);
  EXPECT_NEAR(learning_rate(paper, 99), 0.0001, 1e-15);
}

TEST(Schedule, WarmupThenCosineEndsAtMinimum) {
  Schedule s{"cosine", 1e-3, 0, 0, 5, 1e-6, 50};
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 0.0);
  EXPECT_NEAR(learning_rate(s, 2, 0.5), 0.5e-3, 1e-12);
  EXPECT_NEAR(learning_rate(s, 5), 1e-3, 1e-12);
  EXPECT_NEAR(learning_rate(s, 49, 1.0), 1e-6, 1e-12);
  EXPECT_GT(learning_rate(s, 20), learning_rate(s, 30));
}

TEST(TrainConfig, PresetsAndOverrides) {
  TrainConfig paper = train_preset("paper");
  EXPECT_EQ(paper.optimizer, "sgd");
  EXPECT_DOUBLE_EQ(paper.momentum, 0.9);
  EXPECT_DOUBLE_EQ(paper.weight_decay, 1e-4);
  EXPECT_EQ(paper.batch_size, 128);
  EXPECT_EQ(paper.epochs, 100);
  EXPECT_FALSE(paper.image_size) << "a preset leaves the input to the study";
  apply_train_override(paper, "epochs=3");
  EXPECT_EQ(paper.epochs, 3);
  EXPECT_THROW(apply_train_override(paper, "epochz=3"), Error);
  EXPECT_THROW(apply_train_override(paper, "epochs=three"), Error);
  EXPECT_THROW(apply_train_override(paper, "epochs=2.5"), Error);
  EXPECT_THROW(train_preset("fast"), Error);
}

TEST(TrainConfig, TheStudysImageSectionHoldsUnlessTheRunSetsAValue) {
  ImageOptions study;
  study.size = 128;
  study.channels = 1;
  study.roi_margin = 0.2;
  study.vflip = false;
  TrainConfig quick = train_preset("cpu-quick");
  ImageOptions image = resolve_image_options(study, quick);
  EXPECT_EQ(image.size, 128);
  EXPECT_EQ(image.channels, 1);
  EXPECT_DOUBLE_EQ(image.roi_margin, 0.2);
  EXPECT_TRUE(image.hflip);
  EXPECT_FALSE(image.vflip);
  apply_train_override(quick, "image_size=96");
  apply_train_override(quick, "vflip=true");
  image = resolve_image_options(study, quick);
  EXPECT_EQ(image.size, 96);
  EXPECT_TRUE(image.vflip);
  EXPECT_EQ(image.channels, 1);
  apply_train_override(quick, "image_size=study");
  EXPECT_EQ(resolve_image_options(study, quick).size, 128);
  EXPECT_NE(train_config_json(quick).find("\"image_size\": \"study\""), std::string::npos)
      << train_config_json(quick);
  EXPECT_THROW(apply_train_override(quick, "channels=two"), Error);
}

TEST(TrainConfig, RegularisationIsTorchvisionsByDefaultAndOffForCpuQuick) {
  TrainConfig paper = train_preset("paper");
  EXPECT_LT(paper.dropout, 0);
  EXPECT_LT(paper.stochastic_depth, 0);
  TrainConfig quick = train_preset("cpu-quick");
  EXPECT_EQ(quick.dropout, 0);
  EXPECT_EQ(quick.stochastic_depth, 0);
  apply_train_override(quick, "dropout=0.25");
  EXPECT_DOUBLE_EQ(quick.dropout, 0.25);
  apply_train_override(quick, "dropout=default");
  EXPECT_LT(quick.dropout, 0);
  for (const char* bad : {"dropout=1", "stochastic_depth=-0.1", "dropout=lots"}) {
    try {
      apply_train_override(quick, bad);
      FAIL() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("train."), std::string::npos) << e.what();
    }
  }
}

TEST(TrainConfig, UnknownYamlKeyIsNamed) {
  auto dir = testing::scratch_dir("train-yaml");
  std::ofstream(dir / "s.yaml") << "train:\n  epochs: 2\n  learning_rate: 0.1\n";
  TrainConfig c;
  try {
    apply_train_section(c, YamlDocument::load(dir / "s.yaml"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.learning_rate"), std::string::npos) << e.what();
  }
}

// A nested mapping is a group of fields (train.distributed.*), named in full when wrong.
TEST(TrainConfig, DistributedSettingsAreANestedMapping) {
  auto dir = testing::scratch_dir("train-yaml-nested");
  std::ofstream(dir / "s.yaml")
      << "train:\n  epochs: 2\n  distributed: {backend: gloo, timeout_s: 60}\n";
  TrainConfig c;
  apply_train_section(c, YamlDocument::load(dir / "s.yaml"));
  EXPECT_EQ(c.distributed_backend, "gloo");
  EXPECT_DOUBLE_EQ(c.distributed_timeout_s, 60);
  EXPECT_EQ(train_section_assignments(YamlDocument::load(dir / "s.yaml")),
            (std::vector<std::string>{"epochs=2", "distributed.backend=gloo",
                                      "distributed.timeout_s=60"}));
  std::ofstream(dir / "s.yaml") << "train:\n  distributed: {port: 1}\n";
  EXPECT_NE(testing::error_of([&] {
              apply_train_section(c, YamlDocument::load(dir / "s.yaml"));
            }).find("train.distributed.port': unknown key"),
            std::string::npos);
  c.manifest = "manifest.csv";
  c.distributed_backend = "mpi";
  EXPECT_NE(testing::error_of([&] { check_train_config(c); }).find("train.distributed.backend"),
            std::string::npos);
  // How a run is spread over processes changes none of its results: a resume may change it.
  TrainConfig a, b;
  b.distributed_timeout_s = 30;
  EXPECT_EQ(changed_setting(a, b), "");
  // ... but synchronised batch norm changes the steps themselves.
  std::ofstream(dir / "s.yaml") << "train:\n  distributed: {sync_batch_norm: true}\n";
  apply_train_section(b, YamlDocument::load(dir / "s.yaml"));
  EXPECT_TRUE(b.distributed_sync_batch_norm);
  EXPECT_NE(changed_setting(a, b).find("distributed.sync_batch_norm"), std::string::npos);
}

TEST(Trainer, OverfitsOneSmallBatch) {
  auto dir = make_study("train-overfit", 24, 3);
  // Every case in train, and the same images again as validation under other patient ids.
  StudyConfig study = load_study_config(dir / "data/study.yaml");
  Manifest m = read_manifest(dir / "manifest.csv", study);
  std::vector<Case> batch;  // four of each class
  for (const std::string label : {"tumour", "infection"}) {
    int taken = 0;
    for (const auto& c : m.cases)
      if (c.label == label && taken < 4) batch.push_back(c), ++taken;
  }
  ASSERT_EQ(batch.size(), 8u);
  m.cases = batch;
  for (auto& c : m.cases) c.split = "train";
  auto val = m.cases;
  for (auto& c : val) c.split = "validation", c.patient_id += "-v";
  m.cases.insert(m.cases.end(), val.begin(), val.end());
  TrainConfig c = small_config(dir, "run");
  c.epochs = 40;
  c.hflip = c.vflip = false;
  c.schedule = "constant";
  c.lr = 3e-3;
  // Passed in memory: a manifest file may not list one image twice.
  TrainControl control;
  control.study = &study;
  control.manifest = &m;
  TrainResult r = train(c, control);
  EXPECT_LT(r.history.back()["train_loss"].get<double>(), 0.05);
}

TEST(Trainer, ResumeEqualsStraightRun) {
  auto dir = make_study("train-resume", 40, 5);
  TrainConfig straight = small_config(dir, "straight");
  straight.epochs = 4;
  straight.dropout = straight.stochastic_depth = -1;  // torchvision's: their draws resume too
  TrainConfig resumed = straight;
  resumed.out = (dir / "resumed").string();
  train(straight);
  train(resumed, {false, 2});  // interrupted after 2 epochs
  TrainResult r = train(resumed, {true, 0});
  EXPECT_EQ(r.epochs_done, 4);
  const StateDict a =
      read_safetensors(*checkpoint_folder(straight.out, "last") / "model.safetensors");
  const StateDict b =
      read_safetensors(*checkpoint_folder(resumed.out, "last") / "model.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  }
}

TEST(Trainer, ResumeTakesTheRunsSettingsAndRefusesChangedOnes) {
  auto dir = make_study("train-resume-settings", 40, 5);
  TrainConfig c = small_config(dir, "run");
  c.epochs = 2;
  c.image_size = 32;
  c.lr = 1.23456789e-3;  // survives train_config.json exactly
  train(c, {false, 1});
  const std::string settings = read_file_bytes(std::filesystem::path(c.out) / "train_config.json");
  const TrainConfig saved = read_run_train_config(c.out);
  EXPECT_EQ(changed_setting(saved, c), "");
  EXPECT_EQ(saved.lr, c.lr);
  // Only how it is watched or how fast it runs may change.
  EXPECT_EQ(resume_train_config(c.out, {"log=plain", "threads=1", "epochs=2"}).log, "plain");
  for (const std::string& change : {"lr=0.1", "model=vit_ti_16", "seed=1", "image_size=64"}) {
    TrainConfig changed = c;
    apply_train_override(changed, change);
    std::string error;
    try {
      train(changed, {true, 0});
    } catch (const Error& e) {
      error = e.what();
    }
    const std::string field = change.substr(0, change.find('='));
    EXPECT_NE(error.find("--resume refuses a changed setting: " + field + ": the run was trained"),
              std::string::npos)
        << error;
    EXPECT_THROW(resume_train_config(c.out, {change}), Error);
    EXPECT_EQ(read_file_bytes(std::filesystem::path(c.out) / "train_config.json"), settings);
  }
  EXPECT_EQ(train(c, {true, 0}).epochs_done, 2);
}

TEST(Trainer, RefusesBadInputBeforeTraining) {
  auto dir = make_study("train-bad", 30, 7);
  StudyConfig study = load_study_config(dir / "data/study.yaml");
  Manifest m = read_manifest(dir / "manifest.csv", study);
  // One class only in validation.
  Manifest one_class = m;
  std::vector<Case> kept;
  for (auto& c : one_class.cases)
    if (c.split != "validation" || c.label == study.positive) kept.push_back(c);
  one_class.cases = kept;
  write_manifest(dir / "one_class.csv", one_class);
  TrainConfig c = small_config(dir, "run-one-class");
  c.manifest = (dir / "one_class.csv").string();
  try {
    train(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("split 'validation' holds only"), std::string::npos)
        << e.what();
  }
  // An image that cannot be read.
  std::string broken;
  for (auto& c2 : m.cases)
    if (c2.split == "train") {
      broken = m.image_path(c2).string();
      break;
    }
  std::ofstream(broken, std::ios::trunc) << "not an image";
  TrainConfig c2 = small_config(dir, "run-broken");
  try {
    train(c2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::filesystem::path(broken).filename().string()),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "run-broken" / "last.json"));
}

TEST(Trainer, LearnsTheSyntheticTask) {
  // A larger validation split than the study's, so that its AUC is not a handful of cases. This
  // setting (EfficientNet-B0 from scratch, 128 px, 12 epochs) reached 0.905 when it was written.
  auto dir = make_study("train-learn", 400, 11, SplitRatios{0.6, 0.25, 0.15}, true);
  TrainConfig c = small_config(dir, "run");
  c.image_size = 128;
  c.epochs = 12;
  c.batch_size = 16;
  TrainResult r = train(c);
  double best_auc = 0;
  for (const auto& e : r.history) best_auc = std::max(best_auc, e["val_auc"].get<double>());
  EXPECT_GE(best_auc, 0.9);
  EXPECT_EQ(r.best_epoch, [&] {
    int best = 1;
    for (std::size_t i = 0; i < r.history.size(); ++i)
      if (r.history[i]["val_auc"].get<double>() > r.history[best - 1]["val_auc"].get<double>())
        best = static_cast<int>(i) + 1;
    return best;
  }());

  // `predict` runs the prepared inference path (batch norm folded): on the validation split, the
  // AUC that training recorded for its best epoch. bf16 is refused for EfficientNet (its logits
  // drift past 2%, models/efficientnet.cpp): fp32's logits, and a note that says so.
  std::vector<std::string> logits[2];
  std::vector<double> scores;
  std::vector<int> labels;
  std::string notes[2];
  const StudyConfig study = load_study_config(c.study);
  for (int k = 0; k < 2; ++k) {
    PredictRequest request;
    request.model = dir / "run";
    request.manifest = c.manifest;
    request.split = "validation";
    request.precision = k == 0 ? "fp32" : "bf16";
    request.out = dir / ("validation_" + request.precision + ".csv");
    ASSERT_GT(predict(request, &notes[k]), 50u);
    const CsvTable table = read_csv(request.out);
    for (const auto& row : table.rows) {
      logits[k].push_back(row[table.column("logit")]);
      if (k == 0) {
        scores.push_back(std::stod(logits[k].back()));
        labels.push_back(row[table.column(study.target)] == study.positive);
      }
    }
  }
  EXPECT_NEAR(stats::auc(stats::split_by_label(scores, labels)), r.best_metric, 1e-9);
  EXPECT_TRUE(notes[0].empty()) << notes[0];
  EXPECT_NE(notes[1].find(cpu_supports_bf16() ? "EfficientNet" : "native bf16"), std::string::npos)
      << notes[1];
  EXPECT_EQ(logits[1], logits[0]);

  // The run's card says what it trained on (the study's 224 overridden by image_size), and
  // predicting from the run's cache of decoded crops gives the same numbers.
  const LoadedModel loaded = load_model_file(dir / "run");
  EXPECT_EQ(loaded.card.image_size, 128);
  EXPECT_EQ(loaded.card.positive, study.positive);
  EXPECT_EQ(loaded.card.tool_version, kVersion);
  PredictRequest cached;
  cached.model = dir / "run";
  cached.manifest = c.manifest;
  cached.split = "validation";
  cached.cache_dir = r.cache;
  cached.out = dir / "validation_cached.csv";
  ASSERT_TRUE(std::filesystem::is_directory(r.cache));
  predict(cached);
  const CsvTable table = read_csv(cached.out);
  for (std::size_t i = 0; i < table.rows.size(); ++i)
    EXPECT_EQ(table.rows[i][table.column("logit")], logits[0][i]);
}

}  // namespace
}  // namespace deeptirp
