// Heat maps of a model trained on synthetic radiographs: the pointing game against the lesion
// boxes the generator drew, the model randomisation check (Adebayo et al. 2018), and the
// explain run's files. One model, trained once, serves every test.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <opencv2/imgcodecs.hpp>

#include "deeptirp/data/import_table.h"
#include "deeptirp/data/split.h"
#include "deeptirp/data/synth.h"
#include "deeptirp/explain/explain.h"
#include "deeptirp/explain/overlay.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/radiograph.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/train/predict.h"
#include "deeptirp/train/trainer.h"
#include "synthetic_study.h"
#include "test_support.h"

namespace deeptirp {
namespace {

// The model sees the lesion's box grown by its longer side on every side (roi_margin 1.0, clamped
// to the image), so that the lesion is a small part of its input and pointing at it is not given.
// The boxes are the ones the generator drew.
struct Trained {
  std::filesystem::path dir, manifest;
  Manifest cases;
  ModelCard card;
  std::shared_ptr<ImageModel> model;
};

Trained* trained = nullptr;

class TrainedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (trained) return;
    trained = new Trained;
    Trained& t = *trained;
    testing::SyntheticStudyOptions o;
    o.cases = 200;
    o.seed = 5;
    o.yaml_extra = "  roi_margin: 1.0\n";  // see the note on roi_margin above
    const auto made = testing::make_synthetic_study("explain-trained", o);
    t.dir = made.dir;
    t.manifest = made.manifest_path;
    t.cases = made.manifest;

    TrainConfig c = train_preset("cpu-quick");
    c.manifest = t.manifest.string();
    c.study = made.study_yaml.string();
    c.out = (t.dir / "run").string();
    c.image_size = 96;
    c.epochs = 16;
    c.batch_size = 16;
    c.workers = 2;
    c.threads = 2;
    c.log = "quiet";
    train(c);
    LoadedModel loaded = load_model_file(t.dir / "run");
    t.card = loaded.card;
    t.model = loaded.model;
  }
};

// Spearman's rank correlation of two maps (average ranks for ties); a constant map ranks
// nothing, which counts as no agreement (0).
std::vector<double> ranks(const cv::Mat& map) {
  std::vector<float> v(map.begin<float>(), map.end<float>());
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = (i + j) / 2.0;
    i = j + 1;
  }
  return r;
}

double spearman(const cv::Mat& a, const cv::Mat& b) {
  const auto ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(ra.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa == 0 || sbb == 0 ? 0.0 : sab / std::sqrt(saa * sbb);
}

// The held-out cases (validation and test splits).
std::vector<const Case*> held_out() {
  std::vector<const Case*> out;
  for (const auto& c : trained->cases.cases)
    if (c.split != "train") out.push_back(&c);
  return out;
}

bool inside(cv::Point p, const RoiBox& b) {
  return p.x >= b.x0 && p.x < b.x1 && p.y >= b.y0 && p.y < b.y1;
}

// Pointing game: for each correctly classified held-out image, explain its true class and count
// a hit when the peak falls in the lesion's box.
double pointing_rate(CamMethod method, std::size_t max_images) {
  const Trained& t = *trained;
  CamOptions o{method};
  o.score_batch = 128;
  int correct = 0, hits = 0;
  double lesion_share = 0;  // of the crop's area, to show the game is not given
  for (const Case* c : held_out()) {
    if (static_cast<std::size_t>(correct) >= max_images) break;
    const cv::Mat radiograph = read_radiograph(t.cases.image_path(*c));
    const bool positive = c->label == t.card.positive;
    o.negative = !positive;
    // Score-CAM is slow: the probability first, from a Grad-CAM pass.
    const bool slow = method == CamMethod::kScoreCam;
    const CamOptions first = slow ? CamOptions{CamMethod::kGradCam} : o;
    auto e = explain_radiograph(*t.model, t.card, radiograph, c->roi, first, c->image);
    if ((e.probability > 0.5) != positive) continue;
    if (slow) e = explain_radiograph(*t.model, t.card, radiograph, c->roi, o, c->image);
    ++correct;
    hits += inside(cam_peak(e.full_map), c->roi.value());
    lesion_share += double(c->roi->width()) * c->roi->height() / e.crop.area();
  }
  EXPECT_GE(correct, std::min<int>(10, max_images))
      << "too few correctly classified images to play the game";
  const double rate = correct ? static_cast<double>(hits) / correct : 0.0;
  std::cout << "pointing game " << cam_method_name(method) << ": " << hits << "/" << correct
            << " = " << rate << " (the lesion box is on average " << lesion_share / correct
            << " of the crop)\n";
  return rate;
}

void grad_cam_points_at_the_lesion() { EXPECT_GE(pointing_rate(CamMethod::kGradCam, 1000), 0.8); }
void grad_cam_plus_plus_points_at_the_lesion() {
  EXPECT_GE(pointing_rate(CamMethod::kGradCamPlusPlus, 1000), 0.8);
}
void score_cam_points_at_the_lesion() {
  // 1280 masked forward passes per image: the first 8 correctly classified images.
  EXPECT_GE(pointing_rate(CamMethod::kScoreCam, 8), 0.8);
}

void maps_change_when_the_weights_are_randomised() {
  const Trained& t = *trained;
  torch::manual_seed(99);
  auto random = build_model(t.card);  // same architecture, fresh weights
  random->eval();
  const auto cases = held_out();
  for (CamMethod method : {CamMethod::kGradCam, CamMethod::kGradCamPlusPlus}) {
    double total = 0;
    int n = 0;
    for (std::size_t i = 0; i < cases.size() && n < 16; ++i, ++n) {
      const cv::Mat radiograph = read_radiograph(t.cases.image_path(*cases[i]));
      const CamOptions o{method};
      auto a = explain_radiograph(*t.model, t.card, radiograph, cases[i]->roi, o, "a");
      auto b = explain_radiograph(*random, t.card, radiograph, cases[i]->roi, o, "b");
      total += spearman(a.crop_map, b.crop_map);
    }
    const double mean = total / n;
    std::cout << "randomisation " << cam_method_name(method) << ": mean Spearman " << mean << "\n";
    EXPECT_LT(mean, 0.5) << cam_method_name(method);
  }
}

void explain_writes_overlays_and_the_table() {
  const Trained& t = *trained;
  const Manifest& boxed = t.cases;
  const auto manifest = t.manifest;
  ExplainRequest r;
  r.model = t.dir / "run";
  r.manifest = manifest;
  r.out = t.dir / "cams";
  r.limit = 6;
  r.progress = "quiet";
  const auto rows = explain(r);
  ASSERT_EQ(rows.size(), 6u);
  const CsvTable table = read_csv(r.out / "cams.csv");
  ASSERT_EQ(table.rows.size(), 6u);
  EXPECT_EQ(table.header, (std::vector<std::string>{"image", "method", "probability", "peak_x",
                                                    "peak_y", "roi_heat_share"}));
  int with_heat = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Case& c = boxed.cases[i];
    EXPECT_EQ(table.rows[i][0], c.image);
    EXPECT_EQ(table.rows[i][1], "gradcam");
    const cv::Mat png = cv::imread((r.out / rows[i].png).string(), cv::IMREAD_COLOR);
    const cv::Mat radiograph = read_radiograph(boxed.image_path(c));
    ASSERT_FALSE(png.empty());
    EXPECT_EQ(png.size(), cv::Size(2 * radiograph.cols, radiograph.rows));
    EXPECT_EQ(rows[i].png.find("SYN"), std::string::npos);
    if (!rows[i].peak) {  // no evidence for the positive class: no peak, no share
      EXPECT_EQ(table.rows[i][3], "");
      EXPECT_EQ(table.rows[i][5], "");
      continue;
    }
    ++with_heat;
    // The peak lies in the crop (the box grown by the margin): no heat falls outside it.
    const cv::Rect crop =
        crop_rect(radiograph.size(), c.roi, t.card.roi_margin, t.card.min_crop, c.image);
    EXPECT_TRUE(crop.contains(*rows[i].peak));
    EXPECT_EQ(table.rows[i][3], std::to_string(rows[i].peak->x));
    ASSERT_TRUE(rows[i].roi_share.has_value());
    EXPECT_GT(*rows[i].roi_share, 0.0);
    EXPECT_LE(*rows[i].roi_share, 1.0);
  }
  EXPECT_GT(with_heat, 0);
}

// One test, so that the model is trained once even where ctest runs each test in its own process.
TEST_F(TrainedModel, HeatMapsPointAtLesionsAndDependOnTheWeights) {
  {
    SCOPED_TRACE("pointing game, Grad-CAM");
    grad_cam_points_at_the_lesion();
  }
  {
    SCOPED_TRACE("pointing game, Grad-CAM++");
    grad_cam_plus_plus_points_at_the_lesion();
  }
  {
    SCOPED_TRACE("pointing game, Score-CAM");
    score_cam_points_at_the_lesion();
  }
  {
    SCOPED_TRACE("model randomisation");
    maps_change_when_the_weights_are_randomised();
  }
  {
    SCOPED_TRACE("explain run");
    explain_writes_overlays_and_the_table();
  }
}

}  // namespace
}  // namespace deeptirp
