// The ensemble on a synthetic study: the clinical model sees age, sex and site; two simulated image
// models see the truth through noise independent of the clinical columns.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/data/import_table.h"
#include "deeptirp/data/rng.h"
#include "deeptirp/data/split.h"
#include "deeptirp/data/synth.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/stats/roc.h"
#include "synthetic_study.h"
#include "test_support.h"

namespace deeptirp::ensemble {
namespace {

struct Study {
  std::filesystem::path dir, yaml, manifest_path, clinical;
  StudyConfig config;
  Manifest manifest;
  std::vector<ImageSource> images;
};

// An image model's probability: logit = strength * (2y - 1) + noise, the noise drawn per image from
// its own stream, so it is independent of the clinical columns and of the other image model.
void write_image_model(const Manifest& m, const std::filesystem::path& path, std::uint64_t seed,
                       double strength, const std::set<std::string>& drop = {},
                       bool flip_test = false) {
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < m.cases.size(); ++i) {
    const Case& c = m.cases[i];
    if (drop.count(c.image)) continue;
    std::mt19937_64 g(mix_seed(seed, i));
    const double z = strength * (c.label == "tumour" ? 1 : -1) + normal(g, 0, 1.5);
    double p = 1 / (1 + std::exp(-z));
    if (flip_test && (c.split == "test" || c.split == "external_test")) p = 1 - p;
    rows.push_back({c.image, c.patient_id, c.split, c.label, std::to_string(p), std::to_string(z)});
  }
  write_csv(path, {"image", "patient_id", "split", "diagnosis", "probability", "logit"}, rows);
}

const Study& study() {
  static const Study s = [] {
    Study s;
    testing::SyntheticStudyOptions o;
    o.cases = 500;
    o.seed = 23;
    o.width = 64;
    o.height = 80;
    const auto made = testing::make_synthetic_study("ensemble-study", o);
    s.dir = made.dir;
    s.yaml = made.study_yaml;
    s.config = made.config;
    s.manifest_path = made.manifest_path;
    s.manifest = made.manifest;
    clinical::ClinicalConfig cc;
    cc.models = {"rf"};
    s.clinical = s.dir / "clinical";
    clinical::fit_clinical(s.manifest, s.config, cc).save(s.clinical);
    s.images = {{"cnn", s.dir / "cnn.csv"}, {"vit", s.dir / "vit.csv"}};
    write_image_model(s.manifest, s.images[0].csv, 101, 1.2);
    write_image_model(s.manifest, s.images[1].csv, 202, 1.2);
    return s;
  }();
  return s;
}

std::map<std::string, std::vector<double>> held_out_columns(const std::filesystem::path& csv,
                                                            std::vector<int>& labels) {
  const CsvTable t = read_csv(csv);
  std::map<std::string, std::vector<double>> out;
  labels.clear();
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& split = t.rows[r][t.column("split")];
    if (split != "test" && split != "external_test") continue;
    labels.push_back(t.rows[r][t.column("diagnosis")] == "tumour");
    for (const char* name : {"cnn", "vit", "clinical", "ensemble"})
      out[name].push_back(std::stod(t.rows[r][t.column(name)]));
  }
  return out;
}

EnsembleFitRequest fit_request(const Study& s, const std::string& out) {
  EnsembleFitRequest r;
  r.config = s.yaml;
  r.manifest = s.manifest_path;
  r.clinical = s.clinical;
  r.images = s.images;
  r.out = s.dir / out;
  return r;
}

// The central claim: on the test and external cases, which enter no fit, the ensemble beats each
// part; the meta-model and the kind selection see validation cases only.
TEST(Ensemble, BeatsEveryPartOnHeldOutCasesAndFitsOnValidationOnly) {
  const Study& s = study();
  for (const std::string kind : {"", "stacking"}) {
    EnsembleFitRequest r = fit_request(s, "ensemble" + kind);
    if (!kind.empty()) r.kinds = {kind};
    std::map<std::string, std::set<std::size_t>> seen;
    r.observer = [&](const std::string& stage, const std::vector<std::size_t>& rows) {
      seen[stage].insert(rows.begin(), rows.end());
    };
    const EnsembleModel model = fit_ensemble_files(r);
    if (!kind.empty()) EXPECT_EQ(model.kind, kind);
    EXPECT_EQ(model.names, (std::vector<std::string>{"cnn", "vit", "clinical"}));
    {  // zmean (the default) and stacking both fit on the validation split
      EXPECT_TRUE(seen.count("ensemble:cv") && seen.count("ensemble:fit"));
      std::size_t validation = 0;
      for (const auto& c : s.manifest.cases) validation += c.split == "validation";
      EXPECT_EQ(seen["ensemble:fit"].size(), validation);
    }
    for (const auto& [stage, rows] : seen)
      for (std::size_t row : rows)
        ASSERT_EQ(s.manifest.cases[row].split, "validation") << stage << " used row " << row;

    EnsemblePredictRequest p;
    p.model = r.out;
    p.manifest = s.manifest_path;
    p.clinical = s.clinical;
    p.images = s.images;
    p.out = s.dir / ("predictions" + kind + ".csv");
    EXPECT_EQ(predict_ensemble_files(p), s.manifest.cases.size());
    std::vector<int> y;
    const auto columns = held_out_columns(p.out, y);
    const double ensemble = stats::auc(stats::split_by_label(columns.at("ensemble"), y));
    for (const char* part : {"cnn", "vit", "clinical"}) {
      const double a = stats::auc(stats::split_by_label(columns.at(part), y));
      std::cout << model.kind << " ensemble AUC " << ensemble << ", " << part << " " << a << "\n";
      EXPECT_GT(ensemble, a + 0.02) << model.kind << " vs " << part;
    }
  }
}

// Changing what the image models say about the test cases changes nothing in the fitted ensemble.
TEST(Ensemble, TestPredictionsDoNotChangeTheFit) {
  const Study& s = study();
  EnsembleFitRequest a = fit_request(s, "plain");
  EnsembleFitRequest b = fit_request(s, "flipped");
  b.images = {{"cnn", s.dir / "cnn-flipped.csv"}, {"vit", s.dir / "vit-flipped.csv"}};
  write_image_model(s.manifest, b.images[0].csv, 101, 1.2, {}, true);
  write_image_model(s.manifest, b.images[1].csv, 202, 1.2, {}, true);
  for (const std::string kind : {"zmean", "halves", "weighted", "stacking"}) {
    a.kinds = b.kinds = {kind};
    EXPECT_EQ(fit_ensemble_files(a).to_json(), fit_ensemble_files(b).to_json()) << kind;
  }
}

// Every kind: save + load combines exactly as the fitted model does.
TEST(Ensemble, EveryKindReloadsExactly) {
  Components d;
  d.names = {"a", "b", "clinical"};
  std::mt19937_64 g(5);
  for (int i = 0; i < 80; ++i) {
    const int y = i % 3 == 0;
    d.labels.push_back(y);
    d.patients.push_back("P" + std::to_string(i / 2));
    d.rows.push_back(i);
    std::vector<double> p;
    for (int j = 0; j < 3; ++j)
      p.push_back(1 / (1 + std::exp(-(y ? 1.0 : -1.0) - normal(g, 0, 1.5))));
    d.p.push_back(p);
  }
  for (const std::string kind : {"zmean", "halves", "mean", "weighted", "stacking"}) {
    EnsembleConfig config;
    config.kinds = {kind};
    config.aggregate = Aggregate::kMax;
    const EnsembleModel m = fit_ensemble(d, config);
    const auto folder = testing::scratch_dir("ensemble-reload-" + kind);
    m.save(folder);
    const EnsembleModel back = EnsembleModel::load(folder);
    EXPECT_EQ(back.kind, kind);
    EXPECT_EQ(back.aggregate, Aggregate::kMax);
    for (const auto& p : d.p) ASSERT_EQ(back.combine(p), m.combine(p)) << kind;
    if (kind == "mean") EXPECT_DOUBLE_EQ(m.combine({0.2, 0.4, 0.9}), 0.5);
  }
}

// zmean standardises each part's logits over validation, so a part made five times as sure of
// itself (its logits scaled and shifted) combines exactly as before: it cannot drown the others.
// The mean of probabilities, for contrast, is pulled towards the overconfident part.
TEST(Ensemble, ZmeanIgnoresHowSureOfItselfEachPartIs) {
  Components d, sure;
  d.names = sure.names = {"image", "clinical"};
  std::mt19937_64 g(9);
  auto sigmoid = [](double z) { return 1 / (1 + std::exp(-z)); };
  for (int i = 0; i < 60; ++i) {
    const int y = i % 2;
    const double image = (y ? 1.0 : -1.0) + normal(g, 0, 1.2);
    const double clinical = (y ? 0.5 : -0.5) + normal(g, 0, 1.0);
    for (Components* c : {&d, &sure}) {
      c->labels.push_back(y);
      c->patients.push_back("P" + std::to_string(i));
      c->rows.push_back(i);
    }
    d.p.push_back({sigmoid(image), sigmoid(clinical)});
    sure.p.push_back({sigmoid(2.5 * image + 1), sigmoid(clinical)});  // inside the 1e-6 clamp
  }
  EnsembleConfig config;
  config.kinds = {"zmean"};
  const EnsembleModel a = fit_ensemble(d, config), b = fit_ensemble(sure, config);
  config.kinds = {"mean"};
  const EnsembleModel mean = fit_ensemble(d, config);
  double largest = 0, mean_moved = 0;
  for (std::size_t i = 0; i < d.p.size(); ++i) {
    largest = std::max(largest, std::abs(a.combine(d.p[i]) - b.combine(sure.p[i])));
    mean_moved = std::max(mean_moved, std::abs(mean.combine(d.p[i]) - mean.combine(sure.p[i])));
  }
  EXPECT_LT(largest, 1e-6);
  EXPECT_GT(mean_moved, 0.1);
  // The standardised mean: a case at both parts' mean logit scores one half.
  std::vector<double> centre(2, 0.0);
  for (const auto& p : d.p)
    for (int j = 0; j < 2; ++j) centre[j] += std::log(p[j] / (1 - p[j])) / d.p.size();
  EXPECT_NEAR(a.combine({sigmoid(centre[0]), sigmoid(centre[1])}), 0.5, 1e-9);
}

// halves treats the image models as one part. Three copies of one image model then combine as
// that model alone does with the clinical model (zmean of two parts), while zmean over the four
// parts gives the copies three quarters of the say; with one image model halves is zmean.
TEST(Ensemble, HalvesKeepsSeveralImageModelsToOneHalf) {
  Components one, three;
  one.names = {"image", "clinical"};
  three.names = {"image-1", "image-2", "image-3", "clinical"};
  std::mt19937_64 g(13);
  auto sigmoid = [](double z) { return 1 / (1 + std::exp(-z)); };
  for (int i = 0; i < 60; ++i) {
    const int y = i % 2;
    const double image = sigmoid((y ? 1.0 : -1.0) + normal(g, 0, 1.2));
    const double clinical = sigmoid((y ? 0.5 : -0.5) + normal(g, 0, 1.0));
    for (Components* c : {&one, &three}) {
      c->labels.push_back(y);
      c->patients.push_back("P" + std::to_string(i));
      c->rows.push_back(i);
    }
    one.p.push_back({image, clinical});
    three.p.push_back({image, image, image, clinical});
  }
  EnsembleConfig config;
  config.kinds = {"zmean"};
  const EnsembleModel zmean_one = fit_ensemble(one, config),
                      zmean_three = fit_ensemble(three, config);
  config.kinds = {"halves"};
  const EnsembleModel halves_one = fit_ensemble(one, config),
                      halves_three = fit_ensemble(three, config);
  double same = 0, outvoted = 0;
  for (std::size_t i = 0; i < one.p.size(); ++i) {
    same = std::max(same, std::abs(halves_three.combine(three.p[i]) - zmean_one.combine(one.p[i])));
    same = std::max(same, std::abs(halves_one.combine(one.p[i]) - zmean_one.combine(one.p[i])));
    outvoted =
        std::max(outvoted, std::abs(zmean_three.combine(three.p[i]) - zmean_one.combine(one.p[i])));
  }
  EXPECT_LT(same, 1e-9);
  EXPECT_GT(outvoted, 0.02);
  // The clinical model's coefficient is the same as beside one image model: half the say.
  EXPECT_NEAR(halves_three.stacking.coef[3], zmean_one.stacking.coef[1], 1e-12);
}

TEST(Ensemble, BadInputsNameWhatIsWrong) {
  const Study& s = study();
  auto expect_error = [](const std::function<void()>& f, const std::string& needle) {
    EXPECT_NE(testing::error_of(f).find(needle), std::string::npos) << needle;
  };
  std::string victim;
  for (const auto& c : s.manifest.cases)
    if (c.split == "validation") victim = c.image;
  EnsembleFitRequest r = fit_request(s, "bad");
  r.images[1].csv = s.dir / "vit-missing.csv";
  write_image_model(s.manifest, r.images[1].csv, 202, 1.2, {victim});
  expect_error([&] { fit_ensemble_files(r); }, "'" + victim + "'");

  // A duplicated image.
  CsvTable t = read_csv(s.images[0].csv);
  t.rows.push_back(t.rows[3]);
  write_csv(s.dir / "cnn-dup.csv", t.header, t.rows);
  r = fit_request(s, "bad");
  r.images[0].csv = s.dir / "cnn-dup.csv";
  expect_error([&] { fit_ensemble_files(r); }, "'" + t.rows[3][0] + "' is listed twice");

  r = fit_request(s, "bad");
  r.kinds = {"median"};
  expect_error([&] { fit_ensemble_files(r); }, "'median'");
  expect_error(
      [] {
        parse_ensemble_config(YamlDocument::parse("ensemble:\n  kind: [mean]\n", "s.yaml"), 1);
      },
      "ensemble.kind");
  expect_error(
      [] {
        parse_ensemble_config(YamlDocument::parse("ensemble:\n  aggregate: median\n", "s.yaml"), 1);
      },
      "'median'");
  expect_error([] { parse_image_source("cnn.csv"); }, "NAME=");

  // Predicting with other image models than the fit used.
  fit_ensemble_files(fit_request(s, "good"));
  EnsemblePredictRequest p;
  p.model = s.dir / "good";
  p.manifest = s.manifest_path;
  p.clinical = s.clinical;
  p.images = {s.images[0]};
  p.out = s.dir / "never.csv";
  expect_error([&] { predict_ensemble_files(p); }, "--image vit=");
  EXPECT_FALSE(std::filesystem::exists(p.out));
}

TEST(Aggregate, MeanAndMaxPerPatient) {
  const std::vector<ScoredRow> rows = {{"a1", "A", "test", "tumour", {0.2, 0.9}, 1},
                                       {"b1", "B", "test", "infection", {0.5, 0.1}, 1},
                                       {"a2", "A", "test", "tumour", {0.6, 0.3}, 1}};
  const auto mean = aggregate_by_patient(rows, Aggregate::kMean);
  ASSERT_EQ(mean.size(), 2u);
  EXPECT_EQ(mean[0].patient_id, "A");
  EXPECT_EQ(mean[0].images, 2);
  EXPECT_NEAR(mean[0].scores[0], 0.4, 1e-12);
  EXPECT_NEAR(mean[0].scores[1], 0.6, 1e-12);
  EXPECT_EQ(mean[1].scores, (std::vector<double>{0.5, 0.1}));
  const auto max = aggregate_by_patient(rows, Aggregate::kMax);
  EXPECT_EQ(max[0].scores, (std::vector<double>{0.6, 0.9}));
  EXPECT_EQ(aggregate_by_patient(rows, Aggregate::kNone).size(), 3u);
  auto bad = rows;
  bad[2].label = "infection";
  try {
    aggregate_by_patient(bad, Aggregate::kMean);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'A'"), std::string::npos) << e.what();
  }
}

TEST(Ensemble, PerPatientPredictionsOneRowPerPatient) {
  const Study& s = study();
  fit_ensemble_files(fit_request(s, "pp"));
  EnsemblePredictRequest p;
  p.model = s.dir / "pp";
  p.manifest = s.manifest_path;
  p.clinical = s.clinical;
  p.images = s.images;
  p.out = s.dir / "per-patient.csv";
  p.per_patient = true;
  p.aggregate = "max";
  p.split = "test";
  std::set<std::string> patients;
  for (const auto& c : s.manifest.cases)
    if (c.split == "test") patients.insert(c.patient_id);
  EXPECT_EQ(predict_ensemble_files(p), patients.size());
  const CsvTable t = read_csv(p.out);
  EXPECT_EQ(t.header, (std::vector<std::string>{"patient_id", "split", "diagnosis", "images", "cnn",
                                                "vit", "clinical", "ensemble"}));
}

}  // namespace
}  // namespace deeptirp::ensemble

namespace deeptirp::ensemble {
namespace {

// The stacking meta-model's logistic regression against scikit-learn's (C = 1 / ridge; the
// intercept unpenalised in both).
TEST(Stacking, LogisticFitMatchesScikitLearn) {
  const std::string python = testing::reference_python();
  if (python.empty()) GTEST_SKIP() << "no reference python with scikit-learn";
  std::mt19937_64 g(17);
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  std::string csv;
  for (int i = 0; i < 300; ++i) {
    std::vector<double> row = {normal(g), normal(g), normal(g)};
    const double z = 0.4 + 1.1 * row[0] - 0.8 * row[1] + 0.2 * row[2];
    y.push_back(uniform01(g) < 1 / (1 + std::exp(-z)) ? 1 : 0);
    x.push_back(row);
    char line[128];
    std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%g\n", row[0], row[1], row[2], y.back());
    csv += line;
  }
  const auto dir = testing::scratch_dir("stacking-reference");
  std::ofstream(dir / "data.csv") << csv;
  std::ofstream(dir / "fit.py")
      << "import sys, numpy as np\n"
         "from sklearn.linear_model import LogisticRegression\n"
         "d = np.loadtxt(sys.argv[1], delimiter=',')\n"
         "m = LogisticRegression(C=1 / 2.0, tol=1e-12, max_iter=10000).fit(d[:, :3], d[:, 3])\n"
         "print(' '.join('%.10f' % v for v in list(m.coef_[0]) + [m.intercept_[0]]))\n";
  std::string out;
  ASSERT_EQ(testing::run_command(
                python + " " + (dir / "fit.py").string() + " " + (dir / "data.csv").string(), &out),
            0)
      << out;
  std::istringstream in(out);
  double c0, c1, c2, b;
  ASSERT_TRUE(in >> c0 >> c1 >> c2 >> b) << out;
  const clinical::LogisticFit fit = clinical::fit_logistic(x, y, 2.0);
  EXPECT_NEAR(fit.coef[0], c0, 1e-5);
  EXPECT_NEAR(fit.coef[1], c1, 1e-5);
  EXPECT_NEAR(fit.coef[2], c2, 1e-5);
  EXPECT_NEAR(fit.intercept, b, 1e-5);
}

}  // namespace
}  // namespace deeptirp::ensemble
