// `deeptirp study run` end to end on a small synthetic study: every stage's output, the cache that
// skips finished stages, and a config change that reruns exactly what depends on it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/study/study.h"
#include "synthetic_study.h"

namespace deeptirp {
namespace {

const char* kStudySections = R"(study:
  title: Synthetic test study
  table: clinical.csv
  out: ../study
models:
  - name: tiny
    architecture: efficientnet_b0
    preset: cpu-quick
    train: {epochs: 2, image_size: 64, batch_size: 16, threads: 2, workers: 2}
clinical_model: {models: [lr, rf], folds: 3}
ensemble: {folds: 2}
explain: {methods: [gradcam], cases: 1}
evaluate: {bootstrap: 200}
)";

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The synthetic study's YAML with the test's own study sections in place of synth's (which come
// first in the file, before `target:`).
void use_test_sections(const std::filesystem::path& yaml) {
  const std::string text = read_text(yaml);
  std::ofstream(yaml) << kStudySections << text.substr(text.find("target:"));
}

class StudyRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::SyntheticStudyOptions o;
    o.cases = 120;
    o.seed = 9;
    made = new testing::SyntheticStudy(testing::make_synthetic_study("study-run", o));
    use_test_sections(made->study_yaml);
    first = new study::StudyRunResult(study::run_study({made->study_yaml, {}, {}, "cpu", true}));
  }
  static testing::SyntheticStudy* made;
  static study::StudyRunResult* first;
};
testing::SyntheticStudy* StudyRun::made = nullptr;
study::StudyRunResult* StudyRun::first = nullptr;

TEST_F(StudyRun, RunsEveryStageIntoTheStudyFolder) {
  EXPECT_EQ(first->stages_run,
            8);  // data, model:tiny, clinical, ensemble, explain, evaluate, bundle, report
  EXPECT_EQ(first->out, (made->dir / "study").lexically_normal());
  const auto results = nlohmann::json::parse(read_text(first->results));
  std::vector<std::string> names;
  for (const auto& m : results["models"]) names.push_back(m["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"tiny", "clinical", "ensemble"}));
  EXPECT_EQ(results["sets"], nlohmann::json({"test", "external_test"}));
  EXPECT_EQ(results["evaluation"].size(), 6u);
  EXPECT_EQ(results["title"], "Synthetic test study");
  EXPECT_EQ(results["training"].size(), 2u);  // two epochs of one image model
  EXPECT_FALSE(results["heatmaps"].empty());
  for (const auto& h : results["heatmaps"])
    EXPECT_TRUE(std::filesystem::exists(first->results.parent_path() / h["png"].get<std::string>()))
        << h["png"];
  EXPECT_TRUE(std::filesystem::exists(first->report));
  // The bundle carries each part's validation threshold and Platt fit, as evaluated.
  const auto bundle = nlohmann::json::parse(read_text(first->bundle / "metadata.json"));
  for (const auto& m : results["models"]) {
    EXPECT_EQ(bundle["thresholds"][m["name"].get<std::string>()], m["threshold"]) << m["name"];
    EXPECT_EQ(bundle["calibration"][m["name"].get<std::string>()]["platt"],
              m["calibration"]["platt"])
        << m["name"];
  }
}

TEST_F(StudyRun, ARerunSkipsEveryFinishedStage) {
  const std::string before = read_text(first->results);
  const auto again = study::run_study({made->study_yaml, {}, {}, "cpu", true});
  EXPECT_EQ(again.stages_run, 0);
  EXPECT_EQ(again.stages_cached, 8);
  EXPECT_EQ(read_text(again.results), before);
}

TEST_F(StudyRun, AChangedSectionRerunsWhatDependsOnIt) {
  // A copy of the study with another ensemble: the image and clinical models stay cached.
  const auto copy = made->dir / "data" / "study-mean.yaml";
  std::string text = read_text(made->study_yaml);
  text.replace(text.find("ensemble: {folds: 2}"), 20, "ensemble: {folds: 2, kinds: [mean]}");
  std::ofstream(copy) << text;
  std::filesystem::copy(made->dir / "study", made->dir / "study-mean",
                        std::filesystem::copy_options::recursive);
  const auto changed = study::run_study({copy, made->dir / "study-mean", {}, "cpu", true});
  EXPECT_EQ(changed.stages_run, 4);  // ensemble, evaluate, bundle, report
  EXPECT_EQ(changed.stages_cached, 4);
  const auto results = nlohmann::json::parse(read_text(changed.results));
  EXPECT_EQ(results["models"][2]["detail"], "mean");
}

TEST(Study, ConfigErrorsNameTheKey) {
  const auto dir = testing::scratch_dir("study-errors");
  auto run = [&](const std::string& yaml) {
    std::ofstream(dir / "s.yaml") << "target: diagnosis\npositive: tumour\n" << yaml;
    try {
      study::run_study({dir / "s.yaml", {}, {}, "cpu", true});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(run("study: {title: x}\n").find("exactly one of table, btxrd or manifest"),
            std::string::npos);
  EXPECT_NE(run("study: {table: t.csv}\nmodels: [{architecture: resnet9}]\n")
                .find("models[0].architecture"),
            std::string::npos);
  EXPECT_NE(run("study: {table: t.csv}\nmodels: [{name: clinical}]\n").find("models[0].name"),
            std::string::npos);
  // Training settings are checked before the data stage reads the table (t.csv does not exist).
  EXPECT_NE(run("study: {table: t.csv}\ntrain: {epochz: 3}\n").find("train.epochz"),
            std::string::npos);
  EXPECT_NE(run("study: {table: t.csv}\n"
                "models: [{architecture: efficientnet_b0, train: {lr: -1}}]\n")
                .find("train.lr"),
            std::string::npos);
  // A model may not take a column of the predictions tables: the fixed ones or the target.
  for (const char* name : {"split", "diagnosis", "predicted", "a/b"})
    EXPECT_NE(run(std::string("study: {table: t.csv}\nmodels: [{name: '") + name +
                  "', architecture: efficientnet_b0}]\n")
                  .find("models[0].name"),
              std::string::npos)
        << name;
  EXPECT_NE(run("study: {table: t.csv}\nexplain: {methods: [lime]}\n").find("explain.methods"),
            std::string::npos);
  EXPECT_NE(run("study: {table: t.csv, outt: x}\n").find("study.outt"), std::string::npos);
  // Every later stage's section, and the split, are read with the rest, before the data stage.
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"clinical_model: {fold: 3}\n", "clinical_model.fold"},
           {"ensemble: {kinds: [median]}\n", "ensemble.kinds"},
           {"evaluate: {bootstrap: 5}\n", "evaluate.bootstrap"},
           {"readers: {columns: {case: x}}\n", "readers.calls"},
           {"split: {train: 0, test: 0.5}\n", "split.train"},
           {"split: {train: 0.7, test: -0.2}\n", "split.test"},
           {"image: {size: 2}\n", "image.size"}})
    EXPECT_NE(run("study: {table: t.csv}\n" + yaml).find("key '" + key + "'"), std::string::npos)
        << yaml;
  EXPECT_FALSE(std::filesystem::exists(dir / "study")) << "a refused study wrote its folder";
}

// Every file the study names is checked, and the readers' calls read, before the first stage:
// a missing file must not surface after an hour of training.
TEST(Study, MissingInputFilesAreFoundBeforeTheFirstStage) {
  const auto dir = testing::scratch_dir("study-inputs");
  std::ofstream(dir / "t.csv") << "image,diagnosis\n";
  std::ofstream(dir / "calls.csv") << "image,reader,call\na.png,R1,sarcoma\n";
  auto run = [&](const std::string& yaml) {
    std::ofstream(dir / "s.yaml") << "target: diagnosis\npositive: tumour\n"
                                     "classes: [infection, tumour]\n"
                                  << yaml;
    try {
      study::run_study({dir / "s.yaml", {}, {}, "cpu", true});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {"study: {table: missing.csv}\n", "study.table: " + (dir / "missing.csv").string()},
           {"study: {table: t.csv, images: pictures}\n", "study.images"},
           {"study: {manifest: m.csv}\n", "study.manifest"},
           {"study: {btxrd: nowhere, task: benign-vs-malignant}\n", "study.btxrd"},
           {"study: {table: t.csv}\nmodels: [{architecture: efficientnet_b0}, "
            "{name: b3, architecture: efficientnet_b3, weights: b3.pth}]\n",
            "models[1].weights: " + (dir / "b3.pth").string() + ": no such file"},
           {"study: {table: t.csv}\nreaders: {calls: readers.csv}\n", "readers.calls"},
           {"study: {table: t.csv}\nreaders: {calls: calls.csv}\n", "line 2"}}) {
    const std::string error = run(yaml);
    EXPECT_NE(error.find(expected), std::string::npos) << yaml << ": " << error;
    EXPECT_FALSE(std::filesystem::exists(dir / "study")) << yaml << ": wrote the study folder";
  }
}

}  // namespace
}  // namespace deeptirp
