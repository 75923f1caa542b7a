#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <set>

#include "deeptirp/data/import_btxrd.h"
#include "deeptirp/error.h"
#include "test_support.h"

namespace deeptirp {
namespace {

// The counts table of ../shared/data/btxrd/README.md: centre -> {images, tumour, benign,
// malignant}.
std::map<std::string, std::vector<int>> readme_counts(const std::filesystem::path& readme) {
  std::ifstream in(readme);
  std::map<std::string, std::vector<int>> counts;
  const std::regex row(R"(^\|\s*centre (\d)\s*\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)\|)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    for (int k = 2; k <= 5; ++k) {
      std::string digits;
      for (char ch : m[k].str())
        if (std::isdigit(static_cast<unsigned char>(ch))) digits += ch;
      counts[m[1]].push_back(std::stoi(digits));
    }
  }
  return counts;
}

TEST(ImportBtxrd, ClassCountsMatchTheDataSetReadme) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto root = testing::shared_dir() / "data/btxrd";
  const auto expected = readme_counts(root / "README.md");
  ASSERT_EQ(expected.size(), 2u) << "the README's counts table was not found";

  BtxrdImport bm = import_btxrd(root, BtxrdTask::kBenignVsMalignant, "m.csv", false);
  std::map<std::string, std::map<std::string, int>> got;
  for (const auto& c : bm.manifest.cases) ++got[c.centre][c.label];
  for (const auto& [centre, n] : expected) {
    EXPECT_EQ(got[centre]["benign"], n[2]) << "centre " << centre;
    EXPECT_EQ(got[centre]["malignant"], n[3]) << "centre " << centre;
  }
  EXPECT_EQ(bm.images_without_roi, 0);  // every tumour image has a mask

  BtxrdImport tn = import_btxrd(root, BtxrdTask::kTumourVsNormal, "m.csv", false);
  std::map<std::string, std::map<std::string, int>> all;
  for (const auto& c : tn.manifest.cases) ++all[c.centre][c.label];
  for (const auto& [centre, n] : expected) {
    EXPECT_EQ(all[centre]["tumour"] + all[centre]["normal"], n[0]);
    EXPECT_EQ(all[centre]["tumour"], n[1]);
  }
}

TEST(ImportBtxrd, PseudoPatientsGroupConsecutiveMatchingRowsOnly) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto root = testing::shared_dir() / "data/btxrd";
  BtxrdImport r = import_btxrd(root, BtxrdTask::kTumourVsNormal, "m.csv", false);
  const auto& cases = r.manifest.cases;
  std::set<std::string> closed;  // a patient's rows are contiguous: once left, never seen again
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    ASSERT_FALSE(closed.count(c.patient_id)) << c.patient_id << " reappears at line " << c.line;
    if (i + 1 < cases.size() && cases[i + 1].patient_id != c.patient_id)
      closed.insert(c.patient_id);
    if (i == 0 || cases[i - 1].patient_id != c.patient_id) continue;
    const Case& p = cases[i - 1];
    EXPECT_EQ(p.centre, c.centre);
    EXPECT_EQ(p.label, c.label);
    EXPECT_EQ(p.subtype, c.subtype);
    EXPECT_EQ(p.clinical[0], c.clinical[0]);  // age
    EXPECT_EQ(p.clinical[1], c.clinical[1]);  // sex
    EXPECT_EQ(p.clinical[2], c.clinical[2]);  // site
  }
  EXPECT_LT(r.patients, static_cast<int>(cases.size()));  // some patients have several views
}

TEST(ImportBtxrd, RoiComesFromTheMask) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto root = testing::shared_dir() / "data/btxrd";
  BtxrdImport r = import_btxrd(root, BtxrdTask::kBenignVsMalignant, "m.csv", false);
  const Case& c = r.manifest.cases.front();
  cv::Mat mask = cv::imread((root / "masks" / std::filesystem::path(c.image).filename()).string(),
                            cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(mask.empty());
  ASSERT_TRUE(c.roi);
  // Every lesion pixel lies in the box, and each edge of the box touches the lesion.
  EXPECT_EQ(
      cv::countNonZero(mask),
      cv::countNonZero(mask(cv::Rect(c.roi->x0, c.roi->y0, c.roi->width(), c.roi->height()))));
  EXPECT_GT(cv::countNonZero(mask.col(c.roi->x0)), 0);
  EXPECT_GT(cv::countNonZero(mask.col(c.roi->x1 - 1)), 0);
  EXPECT_GT(cv::countNonZero(mask.row(c.roi->y0)), 0);
  EXPECT_GT(cv::countNonZero(mask.row(c.roi->y1 - 1)), 0);
  // lesion_area and lesion_mask_area: the box's and the mask's shares of the radiograph.
  const auto& columns = r.manifest.clinical_columns;
  ASSERT_EQ(columns, (std::vector<std::string>{"age", "sex", "site", "region", "view",
                                               "lesion_area", "lesion_mask_area"}));
  EXPECT_NEAR(std::stod(c.clinical[5]),
              c.roi->width() * static_cast<double>(c.roi->height()) / mask.total(), 1e-6);
  EXPECT_NEAR(std::stod(c.clinical[6]), cv::countNonZero(mask) / double(mask.total()), 1e-6);
  EXPECT_LE(std::stod(c.clinical[6]), std::stod(c.clinical[5]));
}

// The published layout: dataset.csv, images/*.jpeg, Annotations/*.json (LabelMe).
std::filesystem::path write_published_layout() {
  auto root = testing::scratch_dir("btxrd-published");
  std::filesystem::create_directories(root / "images");
  std::filesystem::create_directories(root / "Annotations");
  std::ofstream csv(root / "dataset.csv");
  csv << "image_id,center,age,gender,hand,ulna,radius,humerus,foot,tibia,fibula,femur,hip bone,"
         "ankle-joint,knee-joint,hip-joint,wrist-joint,elbow-joint,shoulder-joint,tumor,benign,"
         "malignant,osteochondroma,multiple osteochondromas,simple bone cyst,giant cell tumor,"
         "osteofibroma,synovial osteochondroma,other bt,osteosarcoma,other mt,upper limb,"
         "lower limb,pelvis,frontal,lateral,oblique\n"
         "IMG000001.jpeg,1,15,M,0,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1,0,1,0,0,0,0,0,0,0,1,0,0,1,0,1,0,0\n"
         "IMG000002.jpeg,1,15,M,0,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1,0,1,0,0,0,0,0,0,0,1,0,0,1,0,0,1,0\n"
         "IMG000003.jpeg,3,40,F,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,1,1,0,0,0,0,1,0,0,0,0,0,0,1,0,1,0,0\n"
         "IMG000004.jpeg,3,8,F,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0\n";
  csv.close();
  cv::Mat image(300, 400, CV_8UC1, cv::Scalar(90));
  for (int k = 1; k <= 4; ++k)
    cv::imwrite((root / "images" / ("IMG00000" + std::to_string(k) + ".jpeg")).string(), image);
  std::ofstream(root / "Annotations/IMG000001.json")
      << R"({"shapes":[{"label":"osteosarcoma","points":[[10.2,20.7],[50.5,80.1]],)"
      << R"("shape_type":"rectangle"}],"imageWidth":400,"imageHeight":300})";
  std::ofstream(root / "Annotations/IMG000002.json")
      << R"({"shapes":[{"label":"osteosarcoma","points":[[100,30],[140,35],[120,90]],)"
      << R"("shape_type":"polygon"},{"label":"x","points":[[390,200],[420,310]],)"
      << R"("shape_type":"rectangle"}],"imageWidth":400,"imageHeight":300})";
  std::ofstream(root / "Annotations/IMG000003.json") << R"({"shapes": [)";  // broken
  return root;
}

TEST(ImportBtxrd, PublishedLayoutReadsLabelMeBoxes) {
  auto root = write_published_layout();
  BtxrdImport r = import_btxrd(root, BtxrdTask::kBenignVsMalignant, root / "m.csv", true);
  ASSERT_EQ(r.manifest.cases.size(), 2u);
  ASSERT_EQ(r.skipped.size(), 1u);  // the broken annotation, named
  EXPECT_NE(r.skipped[0].reason.find("IMG000003.json"), std::string::npos) << r.skipped[0].reason;
  EXPECT_EQ(*r.manifest.cases[0].roi, (RoiBox{10, 20, 51, 81}));     // rectangle, rounded outwards
  EXPECT_EQ(*r.manifest.cases[1].roi, (RoiBox{100, 30, 400, 300}));  // union, clamped to the image
  EXPECT_EQ(r.manifest.cases[0].patient_id, r.manifest.cases[1].patient_id);  // two views
  EXPECT_EQ(r.manifest.cases[0].clinical[2], "tibia+knee-joint");
  EXPECT_EQ(r.manifest.cases[1].clinical[4], "lateral");
  EXPECT_NEAR(std::stod(r.manifest.cases[0].clinical[5]), 0.020842, 1e-6);  // 41 x 61 of 400 x 300
  EXPECT_NEAR(std::stod(r.manifest.cases[1].clinical[5]), 0.675, 1e-6);  // 300 x 270 of 400 x 300
  // The outlines: the rectangle filled between its rounded corners, 42 x 60 pixels; the triangle
  // (area 1,150 px, perimeter about 160 px) filled with its edges, plus the rectangle's 10 x 100
  // pixels inside the image.
  EXPECT_NEAR(std::stod(r.manifest.cases[0].clinical[6]), 0.021, 1e-6);
  const double triangle_and_box = std::stod(r.manifest.cases[1].clinical[6]) * 400 * 300;
  EXPECT_GE(triangle_and_box, 1150 + 1000);
  EXPECT_LE(triangle_and_box, 1150 + 160 + 1000);
  EXPECT_THROW(import_btxrd(root, BtxrdTask::kBenignVsMalignant, root / "m.csv", false), Error);
}

// The outline is filled on a canvas of the annotation's size, so an absurd size is refused, named.
TEST(ImportBtxrd, AnAbsurdAnnotationSizeIsNamed) {
  auto root = write_published_layout();
  std::ofstream(root / "Annotations/IMG000001.json")
      << R"({"shapes":[{"label":"x","points":[[10,20],[50,80]],"shape_type":"rectangle"}],)"
      << R"("imageWidth":1e9,"imageHeight":300})";
  try {
    import_btxrd(root, BtxrdTask::kBenignVsMalignant, root / "m.csv", false);
    FAIL() << "no error for imageWidth 1e9";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("IMG000001.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("imageWidth"), std::string::npos) << e.what();
  }
}

TEST(ImportBtxrd, MissingImageIsNamed) {
  auto root = write_published_layout();
  std::filesystem::remove(root / "images/IMG000002.jpeg");
  try {
    import_btxrd(root, BtxrdTask::kTumourVsNormal, root / "m.csv", false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("IMG000002.jpeg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace deeptirp
