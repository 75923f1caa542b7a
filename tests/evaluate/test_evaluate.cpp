// The study's evaluation: the numbers in results.json against independent computations (sklearn
// for the ROC curve and the confusion matrix) and the stats functions they are built from.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "deeptirp/clinical/logistic.h"
#include "deeptirp/error.h"
#include "deeptirp/evaluate/evaluate.h"
#include "deeptirp/stats/diagnostic.h"
#include "deeptirp/stats/roc.h"
#include "test_support.h"

namespace deeptirp {
namespace {

// A manifest of `n` cases per split with scores that separate the classes partly.
struct Fixture {
  Manifest manifest;
  evaluate::Predictions predictions;
};

Fixture make_fixture(std::uint64_t seed) {
  Fixture f;
  f.manifest.path = "/tmp/manifest.csv";
  f.manifest.target = "diagnosis";
  f.predictions.parts = {"b0", "clinical"};
  f.predictions.probability.resize(2);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  const std::vector<std::string> subtypes = {"osteosarcoma", "giant cell tumour"};
  int id = 0;
  for (const std::string split : {"validation", "test", "external_test"})
    for (int k = 0; k < 60; ++k, ++id) {
      Case c;
      c.image = "img" + std::to_string(id) + ".png";
      c.patient_id = "P" + std::to_string(id / 2);
      c.split = split;
      c.centre = split == "external_test" ? "C" : "A";
      const bool tumour = k % 3 != 0;
      c.label = tumour ? "tumour" : "infection";
      c.subtype = tumour ? subtypes[k % 2] : "osteomyelitis";
      f.manifest.cases.push_back(c);
      for (int part = 0; part < 2; ++part) {
        const double z = (tumour ? 1.2 - 0.6 * part : 0.0) + noise(rng);
        f.predictions.probability[part].push_back(1.0 / (1.0 + std::exp(-z)));
      }
    }
  return f;
}

const nlohmann::json& find(const nlohmann::json& evaluation, const std::string& model,
                           const std::string& set) {
  for (const auto& e : evaluation)
    if (e["model"] == model && e["set"] == set) return e;
  throw std::runtime_error("no entry " + model + "/" + set);
}

TEST(Evaluate, RocPointsRunFromOriginToCornerAndIntegrateToTheAuc) {
  const std::vector<double> cases = {0.9, 0.8, 0.8, 0.4, 0.35}, controls = {0.1, 0.4, 0.5, 0.8};
  const auto points = evaluate::roc_points(cases, controls);
  EXPECT_EQ(points.front()["fpr"], 0.0);
  EXPECT_EQ(points.front()["tpr"], 0.0);
  EXPECT_EQ(points.back()["fpr"], 1.0);
  EXPECT_EQ(points.back()["tpr"], 1.0);
  double area = 0;
  for (std::size_t i = 1; i < points.size(); ++i) {
    EXPECT_GE(points[i]["fpr"].get<double>(), points[i - 1]["fpr"].get<double>());
    area += (points[i]["fpr"].get<double>() - points[i - 1]["fpr"].get<double>()) *
            (points[i]["tpr"].get<double>() + points[i - 1]["tpr"].get<double>()) / 2;
  }
  EXPECT_NEAR(area, stats::auc({cases, controls}), 1e-12);  // ties give the trapezoid, as pROC
}

TEST(Evaluate, RocBandHoldsThePerfectCurveAndContainsTheEmpiricalOne) {
  const auto perfect = evaluate::roc_band({0.9, 0.8, 0.7}, {0.1, 0.2, 0.3}, 200, 1);
  ASSERT_EQ(perfect.size(), 51u);
  for (const auto& g : perfect) {
    EXPECT_EQ(g["tpr_low"], 1.0);
    EXPECT_EQ(g["tpr_high"], 1.0);
  }
  const Fixture f = make_fixture(3);
  std::vector<double> cases, controls;
  for (std::size_t c = 0; c < f.manifest.cases.size(); ++c)
    (f.manifest.cases[c].label == "tumour" ? cases : controls)
        .push_back(f.predictions.probability[0][c]);
  const auto band = evaluate::roc_band(cases, controls, 500, 7);
  const auto curve = evaluate::roc_points(cases, controls);
  int inside = 0;
  for (const auto& g : band) {
    double tpr = 0;  // the empirical curve's best TPR at this FPR
    for (const auto& p : curve)
      if (p["fpr"].get<double>() <= g["fpr"].get<double>() + 1e-12)
        tpr = std::max(tpr, p["tpr"].get<double>());
    EXPECT_LE(g["tpr_low"].get<double>(), g["tpr_high"].get<double>());
    inside += g["tpr_low"].get<double>() <= tpr && tpr <= g["tpr_high"].get<double>();
  }
  EXPECT_GE(inside, 49);  // a percentile band may miss the point estimate at an edge
  EXPECT_EQ(band, evaluate::roc_band(cases, controls, 500, 7)) << "same seed, same band";
}

TEST(Evaluate, MetricsMatchTheStatsAtTheValidationYoudenThreshold) {
  const Fixture f = make_fixture(11);
  const std::vector<evaluate::Part> parts = {{"b0", "image", {}}, {"clinical", "clinical", {}}};
  evaluate::EvaluateConfig config;
  config.bootstrap = 200;
  config.threshold = "youden";
  const auto r = evaluate::evaluate_study(f.manifest, "tumour", parts, f.predictions, config);
  ASSERT_EQ(r["sets"], nlohmann::json({"test", "external_test"}));
  ASSERT_EQ(r["evaluation"].size(), 4u);

  stats::Classes validation, test;
  for (std::size_t c = 0; c < f.manifest.cases.size(); ++c) {
    const Case& item = f.manifest.cases[c];
    auto& classes = item.split == "validation" ? validation : test;
    if (item.split == "external_test") continue;
    (item.label == "tumour" ? classes.cases : classes.controls)
        .push_back(f.predictions.probability[0][c]);
  }
  const double threshold = stats::youden_optimal(validation).threshold;
  EXPECT_DOUBLE_EQ(r["models"][0]["threshold"].get<double>(), threshold);
  const auto& e = find(r["evaluation"], "b0", "test");
  EXPECT_DOUBLE_EQ(e["auc"].get<double>(), stats::delong_auc(test).auc);
  const auto m = stats::diagnostic_metrics(test, threshold);
  EXPECT_EQ(e["confusion"]["tp"], m.matrix.tp);
  EXPECT_EQ(e["confusion"]["fn"], m.matrix.fn);
  EXPECT_DOUBLE_EQ(e["metrics"]["specificity"]["ci"][0].get<double>(), m.specificity.ci_low);
  // Accuracy per subtype adds up to the accuracy of the whole set.
  std::size_t n = 0, correct = 0;
  for (const auto& s : e["subtypes"]) {
    n += s["n"].get<std::size_t>();
    correct += s["correct"].get<std::size_t>();
  }
  EXPECT_EQ(n, 60u);
  EXPECT_EQ(correct, m.matrix.tp + m.matrix.tn);
  // The threshold's transfer: validation, test and external at the one threshold, whatever the
  // evaluated sets are.
  const auto& transfer = r["models"][0]["at_threshold"];
  ASSERT_EQ(transfer.size(), 3u);
  EXPECT_EQ(transfer[0]["set"], "validation");
  const auto at_validation = stats::diagnostic_metrics(validation, threshold);
  EXPECT_DOUBLE_EQ(transfer[0]["sensitivity"]["value"].get<double>(),
                   at_validation.sensitivity.value);
  EXPECT_EQ(transfer[1]["set"], "test");
  EXPECT_EQ(transfer[1]["specificity"], e["metrics"]["specificity"]);
  // Each part against the other: the same difference with opposite signs.
  EXPECT_DOUBLE_EQ(
      e["versus"][0]["auc_diff"].get<double>(),
      -find(r["evaluation"], "clinical", "test")["versus"][0]["auc_diff"].get<double>());
}

// The default threshold: Platt scaling on the validation split, cut where the calibrated
// probability reaches the validation prevalence. Only validation rows may move it.
TEST(Evaluate, CalibratedThresholdIsFittedOnValidationRowsOnly) {
  Fixture f = make_fixture(11);
  const std::vector<evaluate::Part> parts = {{"b0", "image", {}}, {"clinical", "clinical", {}}};
  evaluate::EvaluateConfig config;
  config.bootstrap = 100;
  ASSERT_EQ(config.threshold, "calibrated");
  const auto threshold = [&](const Fixture& x) {
    return evaluate::evaluate_study(x.manifest, "tumour", parts, x.predictions,
                                    config)["models"][0];
  };
  const nlohmann::json before = threshold(f);
  const double t = before["threshold"].get<double>();
  const auto ab = before["calibration"]["platt"].get<std::vector<double>>();
  EXPECT_LT(ab[0], 0) << "the scores rank tumours higher";
  EXPECT_DOUBLE_EQ(before["calibration"]["prevalence"].get<double>(), 40.0 / 60.0);
  // At the threshold, the calibrated probability is the validation prevalence.
  EXPECT_NEAR(clinical::apply_platt(ab, std::log(t / (1 - t))), 40.0 / 60.0, 1e-9);

  // Test and external rows turned upside down: the same threshold.
  Fixture moved = f;
  for (std::size_t c = 0; c < f.manifest.cases.size(); ++c)
    if (f.manifest.cases[c].split != "validation")
      moved.predictions.probability[0][c] = 1 - f.predictions.probability[0][c];
  EXPECT_DOUBLE_EQ(threshold(moved)["threshold"].get<double>(), t);

  // One validation tumour made extreme moves it, but only a little: no single point decides.
  Fixture outlier = f;
  outlier.predictions.probability[0][1] = 0.9999;
  const double t2 = threshold(outlier)["threshold"].get<double>();
  EXPECT_NE(t2, t);
  EXPECT_NEAR(t2, t, 0.05);
}

TEST(Evaluate, AgreesWithSklearn) {
  const std::string python = testing::reference_python();
  if (python.empty()) GTEST_SKIP() << "the Debian python3 with sklearn is absent";
  const Fixture f = make_fixture(5);
  evaluate::EvaluateConfig config;
  config.bootstrap = 100;
  config.threshold = "0.5";
  const auto r = evaluate::evaluate_study(f.manifest, "tumour",
                                          {{"b0", "image", {}}, {"clinical", "clinical", {}}},
                                          f.predictions, config);
  const auto dir = testing::scratch_dir("evaluate-sklearn");
  std::ofstream data(dir / "scores.csv");
  for (std::size_t c = 0; c < f.manifest.cases.size(); ++c)
    if (f.manifest.cases[c].split == "external_test")
      data << (f.manifest.cases[c].label == "tumour") << "," << f.predictions.probability[1][c]
           << "\n";
  data.close();
  std::ofstream script(dir / "ref.py");
  script << "import numpy as np\nfrom sklearn.metrics import roc_auc_score, confusion_matrix, "
            "brier_score_loss\n"
            "d = np.loadtxt('"
         << (dir / "scores.csv").string()
         << "', delimiter=',')\n"
            "y, p = d[:, 0].astype(int), d[:, 1]\n"
            "tn, fp, fn, tp = confusion_matrix(y, (p >= 0.5).astype(int)).ravel()\n"
            "print(repr(roc_auc_score(y, p)), tp, fp, tn, fn, repr(brier_score_loss(y, p)))\n";
  script.close();
  std::string out;
  ASSERT_EQ(testing::run_command(python + " " + (dir / "ref.py").string(), &out), 0) << out;
  std::istringstream fields(out);
  double auc, brier;
  std::size_t tp, fp, tn, fn;
  fields >> auc >> tp >> fp >> tn >> fn >> brier;
  const auto& e = find(r["evaluation"], "clinical", "external_test");
  EXPECT_NEAR(e["auc"].get<double>(), auc, 1e-6);  // the scores went through text at 6 digits
  EXPECT_EQ(e["confusion"]["tp"], tp);
  EXPECT_EQ(e["confusion"]["fp"], fp);
  EXPECT_EQ(e["confusion"]["tn"], tn);
  EXPECT_EQ(e["confusion"]["fn"], fn);
  EXPECT_NEAR(e["calibration"]["brier"].get<double>(), brier, 1e-6);
}

TEST(Evaluate, DataSummaryCountsImagesAndPatientsPerCell) {
  const Fixture f = make_fixture(1);
  const auto rows = evaluate::data_summary(f.manifest);
  std::size_t images = 0;
  for (const auto& row : rows) {
    images += row["images"].get<std::size_t>();
    EXPECT_LE(row["patients"].get<std::size_t>(), row["images"].get<std::size_t>());
  }
  EXPECT_EQ(images, f.manifest.cases.size());
  EXPECT_EQ(rows[0]["split"], "validation");  // the study's order, not the alphabet's
}

TEST(Evaluate, PredictionErrorsNameTheFileAndTheImage) {
  const Fixture f = make_fixture(1);
  const auto dir = testing::scratch_dir("evaluate-errors");
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "preds.csv") << "image,b0\n" << text;
    return dir / "preds.csv";
  };
  try {
    evaluate::read_predictions(write("img0.png,0.5\n"), f.manifest, {"b0"});
    FAIL() << "a missing image was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no prediction for image 'img1.png'"), std::string::npos)
        << e.what();
  }
  try {
    evaluate::read_predictions(write("img0.png,0.5\nimg0.png,0.4\n"), f.manifest, {"b0"});
    FAIL() << "a duplicate was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  try {
    evaluate::read_predictions(write("img0.png,1.5\n"), f.manifest, {"b0"});
    FAIL() << "1.5 was taken for a probability";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'1.5' is not a probability"), std::string::npos)
        << e.what();
  }
}

TEST(Evaluate, ConfigIsStrict) {
  EXPECT_EQ(evaluate::parse_evaluate_config(
                YamlDocument::parse("evaluate: {threshold: 0.4}", "s.yaml"), 1)
                .threshold,
            "0.4");
  EXPECT_THROW(evaluate::parse_evaluate_config(
                   YamlDocument::parse("evaluate: {threshold: high}", "s.yaml"), 1),
               Error);
  EXPECT_THROW(evaluate::parse_evaluate_config(
                   YamlDocument::parse("evaluate: {sets: [holdout]}", "s.yaml"), 1),
               Error);
  EXPECT_THROW(
      evaluate::parse_evaluate_config(YamlDocument::parse("evaluate: {bootstrp: 10}", "s.yaml"), 1),
      Error);
}

}  // namespace
}  // namespace deeptirp
