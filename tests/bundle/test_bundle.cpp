// Deployable bundles on a small synthetic study: three tiny image models (EfficientNet-B0 and
// ViT-Ti on 3 channels, ViT-Ti on 1), the clinical model with random imputation, and the ensemble,
// exported and reloaded. One epoch leaves EfficientNet nearly constant (its outputs differ in the
// 7th decimal; it still checks the folded batch norm); the ViTs' outputs vary from case to case.
// The references are the existing verbs' own predictions (`predict --model`,
// ClinicalModel::predict, `ensemble predict`), computed without the bundle.
#include <gtest/gtest.h>
#include <torch/version.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "deeptirp/bundle/bundle.h"
#include "deeptirp/bundle/bundle_files.h"
#include "deeptirp/clinical/clinical_model.h"
#include "deeptirp/ensemble/ensemble.h"
#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/radiograph.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/train/predict.h"
#include "deeptirp/train/trainer.h"
#include "synthetic_study.h"
#include "test_support.h"
#include "tiny_bundle.h"

namespace deeptirp::bundle {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  testing::SyntheticStudy study;
  fs::path clinical, ensemble, bundle;
  std::vector<std::pair<std::string, fs::path>> runs;            // name, run folder
  std::map<std::string, std::map<std::string, double>> image_p;  // name -> image -> probability
  std::map<std::string, double> ensemble_p;                      // `ensemble predict`
};

std::map<std::string, double> column_by_image(const fs::path& csv, const std::string& column) {
  const CsvTable t = read_csv(csv);
  std::map<std::string, double> out;
  for (const auto& row : t.rows) out[row[t.column("image")]] = std::stod(row[t.column(column)]);
  return out;
}

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture f;
    testing::SyntheticStudyOptions o;
    o.cases = 80;
    o.seed = 31;
    o.width = 64;
    o.height = 80;
    o.ratios = SplitRatios{0.5, 0.3, 0.2};  // enough validation cases to fit the ensemble on
    o.yaml_extra = "ensemble:\n  folds: 3\n";
    f.study = testing::make_synthetic_study("bundle-study", o);
    const auto& s = f.study;
    f.runs = {
        {"cnn", s.dir / "run-cnn"}, {"vit", s.dir / "run-vit"}, {"vit_rgb", s.dir / "run-vit-rgb"}};
    train(testing::tiny_train_config(s, "efficientnet_b0", 3, "run-cnn"));
    TrainConfig vit = testing::tiny_train_config(s, "vit_ti_16", 1, "run-vit");
    vit.tta = "views";  // kept in its card: predict and the bundle must both average the views
    train(vit);
    train(testing::tiny_train_config(s, "vit_ti_16", 3, "run-vit-rgb"));
    std::vector<ensemble::ImageSource> sources;
    for (const auto& [name, run] : f.runs) {  // the references: `predict --model`
      PredictRequest p;
      p.model = run;
      p.manifest = s.manifest_path;
      p.out = s.dir / (name + ".csv");
      p.workers = 2;
      predict(p);
      f.image_p[name] = column_by_image(p.out, "probability");
      sources.push_back({name, p.out});
    }
    clinical::ClinicalConfig cc;
    cc.models = {"lr"};
    cc.folds = 3;
    cc.imputation = "random";  // a missing value's draw depends on the image's name
    f.clinical = s.dir / "clinical";
    clinical::fit_clinical(s.manifest, s.config, cc).save(f.clinical);
    ensemble::EnsembleFitRequest e;
    e.config = s.study_yaml;
    e.manifest = s.manifest_path;
    e.clinical = f.clinical;
    e.images = sources;
    e.kinds = {"stacking"};
    e.out = f.ensemble = s.dir / "ensemble";
    ensemble::fit_ensemble_files(e);
    ensemble::EnsemblePredictRequest ep;
    ep.model = f.ensemble;
    ep.manifest = s.manifest_path;
    ep.clinical = f.clinical;
    ep.images = sources;
    ep.out = s.dir / "ensemble.csv";
    ensemble::predict_ensemble_files(ep);
    f.ensemble_p = column_by_image(ep.out, "ensemble");
    f.bundle = s.dir / "bundle";
    BundleSource source;
    source.study_yaml = s.study_yaml;
    source.image_runs = f.runs;
    source.clinical = f.clinical;
    source.ensemble = f.ensemble;
    source.thresholds["ensemble"] = 0.4;
    source.platt["ensemble"] = {-1.5, 0.2};
    source.metadata["data"] = {{"cases", 80}};
    source.metadata["metrics"] = {{"auc", 0.5}};
    export_bundle(source, f.bundle);
    return f;
  }();
  return f;
}

BundleInput input_of(const Manifest& m, const Case& c) {
  BundleInput in;
  in.radiograph = read_radiograph(m.image_path(c));
  in.roi = c.roi;
  for (std::size_t j = 0; j < m.clinical_columns.size(); ++j)
    in.clinical[m.clinical_columns[j]] = c.clinical[j];
  in.name = m.image_path(c).string();
  in.image = c.image;
  return in;
}

fs::path copy_bundle(const std::string& name) {
  const fs::path to = testing::scratch_dir(name) / "bundle";
  fs::copy(fixture().bundle, to, fs::copy_options::recursive);
  return to;
}

std::string load_error(const fs::path& folder) {
  try {
    Bundle::load(folder);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Bundle, HoldsOnlyTheNeededFilesAndDescribesThem) {
  const Fixture& f = fixture();
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(f.bundle))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), f.bundle).string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files,
            (std::vector<std::string>{
                "clinical/clinical_model.json", "clinical/model_lr.yml", "ensemble/ensemble.json",
                "metadata.json", "models/cnn/model.json", "models/cnn/model.safetensors",
                "models/vit/model.json", "models/vit/model.safetensors",
                "models/vit_rgb/model.json", "models/vit_rgb/model.safetensors", "study.yaml"}));
  const auto bundle = Bundle::load(f.bundle);
  const nlohmann::json& m = bundle->metadata();
  EXPECT_EQ(m["format"], "deeptirp-bundle");
  EXPECT_EQ(m["format_version"], kFormatVersion);
  for (const auto& [file, about] : m["files"].items())
    EXPECT_EQ(about["sha256"].get<std::string>().size(), 64u) << file;
  EXPECT_EQ(m["libtorch_version"], TORCH_VERSION);
  EXPECT_EQ(m["parts"]["image_models"], (nlohmann::json{"cnn", "vit", "vit_rgb"}));
  EXPECT_EQ(m["parts"]["ensemble"]["kind"], "stacking");
  EXPECT_EQ(m["thresholds"]["ensemble"], 0.4);
  EXPECT_EQ(m["thresholds"]["cnn"], 0.5);
  EXPECT_EQ(m["classes"], (nlohmann::json{"infection", "tumour"}));
  EXPECT_EQ(m["clinical_columns"]["numeric"], (nlohmann::json{"age"}));
  EXPECT_EQ(m["clinical_columns"]["categorical"], (nlohmann::json{"sex", "site"}));
  EXPECT_EQ(m["image_models"]["vit"]["channels"], 1);
  EXPECT_EQ(m["image_models"]["cnn"]["architecture"], "efficientnet_b0");
  EXPECT_EQ(m["data"]["cases"], 80);  // the source's metadata, merged
  EXPECT_EQ(m["files"].size(), 10u);
  EXPECT_EQ(bundle->image_names(), (std::vector<std::string>{"cnn", "vit", "vit_rgb"}));
}

// The central claim: the bundle predicts what the separate verbs predict, case by case, with the
// ROI boxes and the missing clinical values (imputed by random draws, as trained) of the manifest.
// The two paths compute the same thing from the same numbers (the predictions files hold every
// double exactly, io/numbers.h), except the image models' forward pass: `predict` runs batches,
// the bundle one image at a time, and oneDNN and OpenBLAS choose their float32 kernels (and so
// their order of summation) by shape and by CPU. Measured on an AMD EPYC (AVX-512, no AMX): up to
// 2.2e-7 in an image model's probability and 2.8e-7 in the ensemble's. With 6-decimal files, the
// stacked ensemble of the rounded inputs had drifted 1.05e-5 from the bundle's there.
constexpr double kForwardPassTolerance = 2e-6;

TEST(Bundle, PredictsWhatTheSeparateModelsPredict) {
  const Fixture& f = fixture();
  const Manifest& m = f.study.manifest;
  const auto bundle = Bundle::load(f.bundle);
  std::vector<std::size_t> all(m.cases.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const std::vector<double> clinical = clinical::ClinicalModel::load(f.clinical).predict(m, all);
  int missing = 0, positive = 0;
  for (std::size_t i = 0; i < m.cases.size(); ++i) {
    const Case& c = m.cases[i];
    for (const auto& v : c.clinical) missing += v.empty();
    const BundlePrediction p = bundle->predict(input_of(m, c));
    ASSERT_EQ(p.image_probabilities.size(), f.runs.size());
    for (std::size_t j = 0; j < f.runs.size(); ++j)
      EXPECT_NEAR(p.image_probabilities[j], f.image_p.at(f.runs[j].first).at(c.image),
                  kForwardPassTolerance)
          << f.runs[j].first << " " << c.image;
    EXPECT_NEAR(p.clinical, clinical[i], 1e-12) << c.image;
    EXPECT_NEAR(p.ensemble, f.ensemble_p.at(c.image), kForwardPassTolerance) << c.image;
    EXPECT_EQ(p.predicted_class, p.ensemble >= 0.4 ? "tumour" : "infection");
    positive += p.predicted_class == "tumour";
  }
  EXPECT_GT(missing, 0) << "the synthetic study should have missing clinical values";
  for (const std::string name : {"vit", "vit_rgb"}) {  // a constant model hides a wrong crop
    const auto& by_image = f.image_p.at(name);
    double low = 1, high = 0;
    for (const auto& [image, p] : by_image) low = std::min(low, p), high = std::max(high, p);
    EXPECT_GT(high - low, 0.01) << name << " predicts nearly the same for every case";
  }
  EXPECT_GT(positive, 0);
}

// serve's dynamic batching: one forward pass over many prepared cases gives each case what it gets
// alone (to the forward pass's float rounding, as above), whatever the batch's size and order.
TEST(Bundle, ABatchPredictsWhatOneCaseAtATimePredicts) {
  const Fixture& f = fixture();
  const Manifest& m = f.study.manifest;
  const auto bundle = Bundle::load(f.bundle);
  std::vector<std::shared_ptr<const PreparedCase>> cases;
  std::vector<BundlePrediction> alone;
  for (std::size_t i = 0; i < 23; ++i) {
    cases.push_back(bundle->prepare(input_of(m, m.cases[i])));
    alone.push_back(bundle->predict(input_of(m, m.cases[i])));
  }
  std::reverse(cases.begin(), cases.end());
  std::reverse(alone.begin(), alone.end());
  const std::vector<BatchPrediction> batch = bundle->predict_batch(cases);
  ASSERT_EQ(batch.size(), cases.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ASSERT_EQ(batch[i].error, "");
    const BundlePrediction& p = batch[i].prediction;
    for (std::size_t j = 0; j < f.runs.size(); ++j)
      EXPECT_NEAR(p.image_probabilities[j], alone[i].image_probabilities[j], kForwardPassTolerance);
    EXPECT_NEAR(p.clinical, alone[i].clinical, 1e-12);  // the same random imputation per image
    EXPECT_NEAR(p.ensemble, alone[i].ensemble, kForwardPassTolerance);
    EXPECT_EQ(p.predicted_class, alone[i].predicted_class);
  }
  EXPECT_TRUE(bundle->predict_batch({}).empty());

  // A bad case is refused while it is prepared, naming it, before it can spoil a batch.
  BundleInput bad = input_of(m, m.cases[0]);
  bad.clinical["age"] = "forty";
  EXPECT_NE(testing::error_of([&] { bundle->prepare(bad); }).find("column 'age': 'forty'"),
            std::string::npos);
}

// The id cites the exact bundle: metadata.json's SHA-256, which lists every file's.
TEST(Bundle, IdIsTheDigestOfItsMetadata) {
  const auto bundle = Bundle::load(fixture().bundle);
  EXPECT_EQ(bundle->id().size(), 16u);
  EXPECT_EQ(bundle->id().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(Bundle::load(fixture().bundle)->id(), bundle->id());
  const fs::path copy = copy_bundle("bundle-id");
  nlohmann::json metadata = read_json_file(copy / "metadata.json");
  metadata["thresholds"]["ensemble"] = 0.45;
  std::ofstream(copy / "metadata.json") << metadata.dump(2);
  EXPECT_NE(Bundle::load(copy)->id(), bundle->id());
}

// The ensemble's Platt fit, applied to its probability: P = 1 / (1 + exp(A logit(p) + B)).
TEST(Bundle, CalibratedProbabilityIsTheEnsemblesPlattFit) {
  const Fixture& f = fixture();
  const Manifest& m = f.study.manifest;
  const auto bundle = Bundle::load(f.bundle);
  EXPECT_EQ(bundle->metadata()["calibration"]["ensemble"]["platt"], (nlohmann::json{-1.5, 0.2}));
  EXPECT_TRUE(bundle->metadata()["calibration"]["cnn"].is_null());
  for (std::size_t i = 0; i < 5; ++i) {
    const BundlePrediction p = bundle->predict(input_of(m, m.cases[i]));
    ASSERT_TRUE(p.calibrated.has_value());
    const double log_odds = std::log(p.ensemble / (1 - p.ensemble));
    EXPECT_NEAR(*p.calibrated, 1 / (1 + std::exp(-1.5 * log_odds + 0.2)), 1e-12);
  }

  // A bundle with no fit (an older one, or a fixed threshold) gives none; a broken fit is named.
  const fs::path copy = copy_bundle("bundle-calibration");
  nlohmann::json metadata = read_json_file(copy / "metadata.json");
  metadata.erase("calibration");
  std::ofstream(copy / "metadata.json") << metadata.dump(2);
  EXPECT_FALSE(Bundle::load(copy)->predict(input_of(m, m.cases[0])).calibrated.has_value());
  metadata["calibration"] = {{"ensemble", {{"platt", {1.0}}}}};
  std::ofstream(copy / "metadata.json") << metadata.dump(2);
  EXPECT_NE(load_error(copy).find("metadata.json: key 'calibration.ensemble.platt'"),
            std::string::npos)
      << load_error(copy);

  BundleSource source;  // the export checks the fits it is given
  source.study_yaml = f.study.study_yaml;
  source.image_runs = f.runs;
  source.clinical = f.clinical;
  source.ensemble = f.ensemble;
  source.platt["nonesuch"] = {-1, 0};
  const fs::path out = testing::scratch_dir("bundle-calibration-export") / "bundle";
  EXPECT_NE(testing::error_of([&] { export_bundle(source, out); }).find("'nonesuch', which is no"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(out));
}

// The vit model was trained with tta: views. Its card says so, and predicting without it gives
// other probabilities, so the agreement above is of the test-time views, not of one crop.
TEST(Bundle, AppliesTheModelsTestTimeAugmentation) {
  const Fixture& f = fixture();
  EXPECT_EQ(Bundle::load(f.bundle)->metadata()["image_models"]["vit"]["tta"], "views");
  PredictRequest p;
  p.model = f.study.dir / "run-vit";
  p.manifest = f.study.manifest_path;
  p.out = testing::scratch_dir("bundle-tta") / "none.csv";
  p.tta = "none";
  p.workers = 2;
  predict(p);
  double largest = 0;
  for (const auto& [image, q] : column_by_image(p.out, "probability"))
    largest = std::max(largest, std::abs(q - f.image_p.at("vit").at(image)));
  EXPECT_GT(largest, 1e-4) << "tta: views changed nothing";
  p.tta = "crops";
  EXPECT_THROW(predict(p), Error);
}

// bf16 asked for: the ViTs run in bf16 where the CPU has it, the EfficientNet in fp32 (it refuses
// bf16), and the notes name each model that stayed in fp32.
TEST(Bundle, Bf16NotesNameTheModelsKeptInFp32) {
  const Fixture& f = fixture();
  EXPECT_TRUE(Bundle::load(f.bundle)->notes().empty());
  const auto notes = Bundle::load(f.bundle, "bf16")->notes();
  if (cpu_supports_bf16()) {
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("image model 'cnn': EfficientNet"), std::string::npos) << notes[0];
  } else {
    ASSERT_EQ(notes.size(), 3u);
    EXPECT_NE(notes[2].find("image model 'vit_rgb': this CPU has no native bf16"),
              std::string::npos)
        << notes[2];
  }
}

// A manifest with only an `image` column: the whole image, every clinical value imputed. The
// reference is `predict --model` and the clinical model on the same cases with ROI boxes and
// clinical cells blanked in a full manifest.
TEST(Bundle, ManifestWithOnlyImagesUsesWholeImagesAndImputes) {
  const Fixture& f = fixture();
  Manifest blank = f.study.manifest;
  std::vector<std::vector<std::string>> rows;
  for (auto& c : blank.cases) {
    c.roi.reset();
    for (auto& v : c.clinical) v.clear();
    rows.push_back({c.image});
  }
  const fs::path dir = f.study.dir;  // the same folder: the same image names, the same draws
  write_manifest(dir / "blank.csv", blank);
  write_csv(dir / "images-only.csv", {"image"}, rows);
  BundlePredictRequest r;
  r.bundle = f.bundle;
  r.manifest = dir / "images-only.csv";
  r.out = dir / "images-only-preds.csv";
  r.progress = "quiet";
  EXPECT_EQ(predict_bundle(r), blank.cases.size());

  const CsvTable out = read_csv(r.out);
  EXPECT_EQ(out.header,
            (std::vector<std::string>{"image", "patient_id", "cnn", "vit", "vit_rgb", "clinical",
                                      "ensemble", "calibrated", "predicted"}));
  const Manifest read_back = read_manifest(dir / "blank.csv", f.study.config);
  std::vector<std::size_t> all(read_back.cases.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const auto clinical = clinical::ClinicalModel::load(f.clinical).predict(read_back, all);
  for (const auto& [name, run] : f.runs) {
    int differs_from_roi = name == "cnn";  // nearly constant, see the top
    PredictRequest p;
    p.model = run;
    p.manifest = dir / "blank.csv";
    p.out = dir / ("blank-" + name + ".csv");
    p.workers = 2;
    predict(p);
    const auto whole = column_by_image(p.out, "probability");
    for (std::size_t i = 0; i < out.rows.size(); ++i) {
      const std::string& image = out.rows[i][0];
      EXPECT_NEAR(std::stod(out.rows[i][out.column(name)]), whole.at(image), 1e-5) << image;
      differs_from_roi += std::abs(whole.at(image) - f.image_p.at(name).at(image)) > 1e-3;
    }
    EXPECT_GT(differs_from_roi, 0) << name << ": whole images and ROI crops predict alike";
  }
  for (std::size_t i = 0; i < out.rows.size(); ++i) {
    EXPECT_EQ(out.rows[i][0], read_back.cases[i].image);
    EXPECT_EQ(out.rows[i][1], "");
    EXPECT_NEAR(std::stod(out.rows[i][out.column("clinical")]), clinical[i], 1e-7);
  }
}

// PNG (16-bit, the DICOM's display values) and JPEG inputs through the CLI's manifest reader.
TEST(Bundle, TakesPngAndJpegImages) {
  const Fixture& f = fixture();
  const Manifest& m = f.study.manifest;
  const fs::path dir = testing::scratch_dir("bundle-png");
  const auto bundle = Bundle::load(f.bundle);
  std::vector<std::vector<std::string>> rows;
  std::vector<BundlePrediction> expected;
  for (std::size_t i = 0; i < 6; ++i) {
    const Case& c = m.cases[i];
    const cv::Mat radiograph = read_radiograph(m.image_path(c));
    const std::string png = "case" + std::to_string(i) + ".png";
    ASSERT_TRUE(cv::imwrite((dir / png).string(), radiograph));
    std::vector<std::string> row = {png, c.patient_id};
    for (int v : {c.roi->x0, c.roi->y0, c.roi->x1, c.roi->y1}) row.push_back(std::to_string(v));
    row.insert(row.end(), {"40", "F", "femur"});
    rows.push_back(row);
    BundleInput in = input_of(m, c);
    in.clinical = {{"age", "40"}, {"sex", "F"}, {"site", "femur"}};
    expected.push_back(bundle->predict(in));
  }
  cv::Mat eight;
  read_radiograph(m.image_path(m.cases[0])).convertTo(eight, CV_8U, 1.0 / 257);
  ASSERT_TRUE(cv::imwrite((dir / "case0.jpg").string(), eight));
  rows.push_back({"case0.jpg", "p-jpeg", "", "", "", "", "", "", ""});
  write_csv(dir / "m.csv",
            {"image", "patient_id", "roi_x0", "roi_y0", "roi_x1", "roi_y1", "age", "sex", "site"},
            rows);
  BundlePredictRequest r;
  r.bundle = f.bundle;
  r.manifest = dir / "m.csv";
  r.out = dir / "preds.csv";
  r.progress = "quiet";
  EXPECT_EQ(predict_bundle(r), 7u);
  const CsvTable out = read_csv(r.out);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(out.rows[i][1], m.cases[i].patient_id);
    for (std::size_t j = 0; j < 3; ++j)
      EXPECT_NEAR(std::stod(out.rows[i][2 + j]), expected[i].image_probabilities[j], 1e-7);
    EXPECT_NEAR(std::stod(out.rows[i][out.column("clinical")]), expected[i].clinical, 1e-7);
    EXPECT_NEAR(std::stod(out.rows[i][out.column("ensemble")]), expected[i].ensemble, 1e-7);
    EXPECT_EQ(out.rows[i][out.column("predicted")], expected[i].predicted_class);
  }
  const double jpeg = std::stod(out.rows[6][out.column("ensemble")]);
  EXPECT_TRUE(jpeg > 0 && jpeg < 1);
}

TEST(Bundle, ManifestErrorsNameTheLineColumnOrFile) {
  const Fixture& f = fixture();
  const fs::path dir = testing::scratch_dir("bundle-bad-manifest");
  const std::string image = fs::absolute(f.study.manifest.image_path(f.study.manifest.cases[0]));
  auto error_of = [&](const std::string& csv) {
    std::ofstream(dir / "m.csv") << csv;
    BundlePredictRequest r{f.bundle, dir / "m.csv", dir / "out.csv", "fp32", "quiet"};
    try {
      predict_bundle(r);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("image,age\n" + image + ",12\n" + image + ",twelve\n")
                .find("m.csv line 3, column 'age': 'twelve' is not a number"),
            std::string::npos);
  EXPECT_NE(error_of("image,roi_x0,roi_y0,roi_x1,roi_y1\n" + image + ",1,2,,\n")
                .find("m.csv line 2, column 'roi_x0': the ROI box is only partly filled in"),
            std::string::npos);
  EXPECT_NE(error_of("image,roi_x0,roi_y0,roi_x1,roi_y1\n" + image + ",10,2,5,9\n")
                .find("m.csv line 2, column 'roi_x0': the ROI box must have 0 <= x0 < x1"),
            std::string::npos);
  EXPECT_NE(error_of("picture\n" + image + "\n").find("no column 'image'"), std::string::npos);
  EXPECT_NE(error_of("image\n" + (dir / "absent.dcm").string() + "\n").find("absent.dcm"),
            std::string::npos);
  EXPECT_NE(error_of("image,roi_x0,roi_y0,roi_x1,roi_y1\n" + image + ",500,500,600,600\n")
                .find(image + ": the ROI box"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out.csv"));
}

TEST(Bundle, MissingFileIsNamed) {
  for (const std::string file : {"models/vit/model.safetensors", "clinical/model_lr.yml",
                                 "ensemble/ensemble.json", "study.yaml"}) {
    const fs::path copy = copy_bundle("bundle-missing");
    fs::remove(copy / file);
    const std::string error = load_error(copy);
    EXPECT_NE(error.find((copy / file).string()), std::string::npos) << error;
  }
  const fs::path copy = copy_bundle("bundle-truncated");
  fs::resize_file(copy / "models/cnn/model.safetensors", 100);
  EXPECT_NE(load_error(copy).find("models/cnn/model.safetensors: 100 bytes"), std::string::npos);
}

TEST(Bundle, RefusesAnotherFormatVersion) {
  const fs::path copy = copy_bundle("bundle-version");
  nlohmann::json m = read_json_file(copy / "metadata.json");
  for (int version : {1, kFormatVersion + 1}) {  // 1 recorded no SHA-256
    m["format_version"] = version;
    std::ofstream(copy / "metadata.json") << m.dump(2);
    const std::string error = load_error(copy);
    EXPECT_NE(error.find("metadata.json: bundle format_version " + std::to_string(version)),
              std::string::npos)
        << error;
  }
  m["format_version"] = 1;
  m["format"] = "something-else";
  std::ofstream(copy / "metadata.json") << m.dump(2);
  EXPECT_NE(load_error(copy).find("not a deeptirp bundle"), std::string::npos);
}

// Every float of the weights set to NaN: same size, so only the recorded SHA-256 can tell.
void poison_weights(const fs::path& safetensors) {
  std::string bytes = read_file_bytes(safetensors);
  uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t at = 8 + header; at + 4 <= bytes.size(); at += 4)
    std::memcpy(&bytes[at], &nan, 4);
  std::ofstream(safetensors, std::ios::binary) << bytes;
}

TEST(Bundle, SameSizeCorruptionIsCaughtBySha256) {
  const fs::path copy = copy_bundle("bundle-nan");
  const fs::path weights = copy / "models/vit/model.safetensors";
  const auto size = fs::file_size(weights);
  poison_weights(weights);
  ASSERT_EQ(fs::file_size(weights), size);
  const std::string error = load_error(copy);
  EXPECT_NE(error.find(weights.string() + ": its SHA-256 differs"), std::string::npos) << error;

  // A file the bundle needs but metadata.json does not list would escape the check.
  nlohmann::json m = read_json_file(copy / "metadata.json");
  m["files"].erase("models/vit/model.safetensors");
  std::ofstream(copy / "metadata.json") << m.dump(2);
  EXPECT_NE(load_error(copy).find("does not list it"), std::string::npos);
}

// A bundle exported from a diverged model (its SHA-256 right): the NaN reaches no class.
TEST(Bundle, ANonFiniteOutputIsAnErrorNamingTheImage) {
  const Fixture& f = fixture();
  const fs::path copy = copy_bundle("bundle-nan-recorded");
  poison_weights(copy / "models/vit/model.safetensors");
  nlohmann::json m = read_json_file(copy / "metadata.json");
  m["files"] = describe_files(copy, required_files({"cnn", "vit", "vit_rgb"}, "model_lr.yml"));
  std::ofstream(copy / "metadata.json") << m.dump(2);
  const auto bundle = Bundle::load(copy);
  const Manifest& manifest = f.study.manifest;
  const BundleInput in = input_of(manifest, manifest.cases[0]);
  std::string error;
  try {
    bundle->predict(in);
  } catch (const Error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find(in.name + ": the image model 'vit' logit is nan"), std::string::npos)
      << error;
}

// An inference service calls predict() from several threads on one loaded bundle.
TEST(Bundle, ThreadsGiveTheSequentialResults) {
  const Fixture& f = fixture();
  const Manifest& m = f.study.manifest;
  const auto bundle = Bundle::load(f.bundle);
  std::vector<BundleInput> inputs;
  std::vector<BundlePrediction> sequential;
  for (std::size_t i = 0; i < 12; ++i) {
    inputs.push_back(input_of(m, m.cases[i]));
    sequential.push_back(bundle->predict(inputs.back()));
  }
  std::vector<std::vector<BundlePrediction>> results(4);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int round = 0; round < 2; ++round)
          for (std::size_t k = 0; k < inputs.size(); ++k)  // each thread in its own order
            results[t].push_back(bundle->predict(inputs[(k * (t + 1) + t) % inputs.size()]));
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures, 0);
  for (int t = 0; t < 4; ++t) {
    for (std::size_t n = 0; n < results[t].size(); ++n) {
      const std::size_t k = n % inputs.size();
      const BundlePrediction& want = sequential[(k * (t + 1) + t) % inputs.size()];
      const BundlePrediction& got = results[t][n];
      for (std::size_t j = 0; j < 3; ++j)
        EXPECT_NEAR(got.image_probabilities[j], want.image_probabilities[j], 1e-9);
      EXPECT_EQ(got.clinical, want.clinical);
      EXPECT_NEAR(got.ensemble, want.ensemble, 1e-9);
      EXPECT_EQ(got.predicted_class, want.predicted_class);
    }
  }
}

TEST(BundleExport, RefusesPartsThatDoNotMatchTheEnsemble) {
  const Fixture& f = fixture();
  const fs::path out = testing::scratch_dir("bundle-mismatch") / "bundle";
  BundleSource swapped{
      f.study.study_yaml, {f.runs[1], f.runs[0], f.runs[2]}, f.clinical, f.ensemble, {}, {}};
  try {
    export_bundle(swapped, out);
    FAIL() << "exported an ensemble with its parts in another order";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[cnn, vit, vit_rgb, clinical], but the bundle's are "
                                         "[vit, cnn, vit_rgb, clinical]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(out.parent_path())) << "the temporary folder was left behind";
  BundleSource threshold{f.study.study_yaml, f.runs, f.clinical, f.ensemble, {{"cnm", 0.3}}, {}};
  EXPECT_THROW(export_bundle(threshold, out), Error);
}

TEST(BundleExport, ReplacesABundleButNoOtherFolder) {
  const Fixture& f = fixture();
  const fs::path dir = testing::scratch_dir("bundle-replace");
  const fs::path out = dir / "bundle";
  BundleSource source{f.study.study_yaml, f.runs, f.clinical, f.ensemble, {}, {}};
  export_bundle(source, out);
  source.thresholds["ensemble"] = 0.7;
  export_bundle(source, out);
  EXPECT_EQ(Bundle::load(out)->metadata()["thresholds"]["ensemble"], 0.7);
  std::vector<fs::path> left;
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename());
  EXPECT_EQ(left, std::vector<fs::path>{"bundle"});

  fs::create_directories(dir / "notes");
  std::ofstream(dir / "notes/keep.txt") << "mine";
  EXPECT_THROW(export_bundle(source, dir / "notes"), Error);
  EXPECT_TRUE(fs::exists(dir / "notes/keep.txt"));
}

}  // namespace
}  // namespace deeptirp::bundle
