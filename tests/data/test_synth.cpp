// The synthetic study: reproducible to the byte, readable by our own readers, plausible counts,
// no DICOM identity in the spreadsheet, and a lesion signal in the ROI crops.
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmStringFilter.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/data/synth.h"
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/radiograph.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, std::string> all_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = slurp(e.path());
  return files;
}

class SynthTest : public ::testing::Test {
 protected:
  // Half-size images keep the suite fast; the demo's default is 256x320.
  static constexpr int kCases = 120, kWidth = 128, kHeight = 160;
  static void SetUpTestSuite() {
    dir_ = new fs::path(testing::scratch_dir("synth_a"));
    SynthOptions o;
    o.out = *dir_;
    o.cases = kCases;
    o.width = kWidth;
    o.height = kHeight;
    o.seed = 11;
    result_ = new SynthResult(synthesise(o));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete result_;
  }
  static fs::path* dir_;
  static SynthResult* result_;
};
fs::path* SynthTest::dir_ = nullptr;
SynthResult* SynthTest::result_ = nullptr;

TEST(Synth, SameSeedGivesByteIdenticalFilesAndAnotherSeedDiffers) {
  const fs::path first_dir = testing::scratch_dir("synth_b1"),
                 again = testing::scratch_dir("synth_b2");
  SynthOptions o;  // the demo's image size
  o.cases = 30;
  o.seed = 11;
  o.out = first_dir;
  const SynthResult r = synthesise(o);
  EXPECT_EQ(r.images, 30);
  o.out = again;
  synthesise(o);
  const auto first = all_files(first_dir), second = all_files(again);
  ASSERT_EQ(first.size(), 30u + 3);  // images, clinical.csv, readers.csv, study.yaml
  ASSERT_EQ(first.size(), second.size());
  for (const auto& [name, bytes] : first) {
    ASSERT_TRUE(second.count(name)) << name;
    EXPECT_TRUE(second.at(name) == bytes) << name << " differs between two runs with one seed";
  }

  const fs::path other = testing::scratch_dir("synth_c");
  o.out = other;
  o.cases = 10;
  o.seed = 12;
  synthesise(o);
  EXPECT_NE(slurp(other / "images/img00001.dcm"), first.at("images/img00001.dcm"));
  const CsvTable a = read_csv(first_dir / "clinical.csv"), b = read_csv(other / "clinical.csv");
  EXPECT_NE(std::vector<std::vector<std::string>>(a.rows.begin(), a.rows.begin() + 10), b.rows);
}

TEST_F(SynthTest, StudyYamlAndClinicalCsvReadAsAManifest) {
  const StudyConfig config = load_study_config(result_->study_yaml);
  EXPECT_EQ(config.target, "diagnosis");
  EXPECT_EQ(config.positive, "tumour");
  EXPECT_EQ(config.classes, (std::vector<std::string>{"infection", "tumour"}));
  EXPECT_EQ(config.external_centres, std::vector<std::string>{"C"});
  EXPECT_EQ(config.image.size, 128);  // what its cpu-quick model trains on, so preview shows it
  const Manifest m = read_manifest(result_->clinical_csv, config);
  ASSERT_EQ(m.cases.size(), static_cast<std::size_t>(kCases));
  for (const char* column : {"age", "sex", "site", "view"})
    EXPECT_GE(m.clinical_index(column), 0) << column;
  std::map<std::string, std::set<std::string>> labels_of_patient;
  for (const auto& c : m.cases) {
    labels_of_patient[c.patient_id].insert(c.label);
    EXPECT_TRUE(fs::exists(m.image_path(c))) << c.image;
    EXPECT_TRUE(c.roi.has_value());
  }
  EXPECT_EQ(labels_of_patient.size(), static_cast<std::size_t>(result_->patients));
  EXPECT_LT(labels_of_patient.size(), m.cases.size()) << "some patients must have two views";
  EXPECT_GT(labels_of_patient.size(), m.cases.size() / 2);
  for (const auto& [patient, labels] : labels_of_patient) EXPECT_EQ(labels.size(), 1u) << patient;
}

TEST_F(SynthTest, DicomHeadersAndRoiBoxesAreSound) {
  const CsvTable t = read_csv(*dir_ / "clinical.csv");
  std::set<std::string> photometric, syntax;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    gdcm::ImageReader reader;  // GDCM itself, not our reader
    reader.SetFileName((*dir_ / row[t.column("image")]).string().c_str());
    ASSERT_TRUE(reader.Read()) << row[0];
    const gdcm::Image& image = reader.GetImage();
    const int width = static_cast<int>(image.GetDimension(0));
    const int height = static_cast<int>(image.GetDimension(1));
    EXPECT_EQ(width, kWidth);
    EXPECT_EQ(height, kHeight);
    EXPECT_EQ(image.GetPixelFormat().GetBitsStored(), 12);
    photometric.insert(image.GetPhotometricInterpretation().GetString());
    syntax.insert(image.GetTransferSyntax().GetString());
    const int x0 = std::stoi(row[t.column("roi_x0")]), y0 = std::stoi(row[t.column("roi_y0")]);
    const int x1 = std::stoi(row[t.column("roi_x1")]), y1 = std::stoi(row[t.column("roi_y1")]);
    EXPECT_TRUE(0 <= x0 && x0 < x1 && x1 <= width) << row[0];
    EXPECT_TRUE(0 <= y0 && y0 < y1 && y1 <= height) << row[0];

    gdcm::StringFilter names;
    names.SetFile(reader.GetFile());
    EXPECT_EQ(names.ToString(gdcm::Tag(0x0010, 0x0010)).rfind("SYNTHETIC^PATIENT", 0), 0u);
    EXPECT_EQ(names.ToString(gdcm::Tag(0x0010, 0x0020)).rfind("SYN-", 0), 0u);
  }
  EXPECT_EQ(photometric.size(), 2u) << "both MONOCHROME1 and MONOCHROME2 must occur";
  EXPECT_EQ(syntax.size(), 2u) << "both uncompressed and RLE files must occur";
  // The spreadsheet and file names carry a pseudonym, never the header's identity.
  for (const auto& [name, bytes] : all_files(*dir_)) {
    EXPECT_EQ(name.find("SYN"), std::string::npos) << name;
    if (name.size() > 4 && name.substr(name.size() - 4) != ".dcm") {
      EXPECT_EQ(bytes.find("SYN-"), std::string::npos) << name;
      EXPECT_EQ(bytes.find("SYNTHETIC"), std::string::npos) << name;
    }
  }
}

// dicom3tools' dciodvfy checks each file against its IOD (CR Image, and RLE-compressed ones):
// no error, so that a PACS and the SR / SC we derive from them accept them.
TEST_F(SynthTest, DicomFilesAreValidByTheirIod) {
  const CsvTable t = read_csv(*dir_ / "clinical.csv");
  for (std::size_t r = 0; r < 6; ++r) {
    const fs::path file = *dir_ / t.rows[r][t.column("image")];
    const auto errors = testing::iod_errors(file);
    if (!errors) GTEST_SKIP() << "dciodvfy (Debian dicom3tools) not installed";
    EXPECT_EQ(*errors, std::vector<std::string>{}) << file;
  }
}

TEST_F(SynthTest, ClassBalanceMissingCellsAndCentres) {
  const CsvTable t = read_csv(*dir_ / "clinical.csv");
  int tumours = 0, missing = 0, cells = 0;
  std::set<std::string> centres;
  for (const auto& row : t.rows) {
    tumours += row[t.column("diagnosis")] == "tumour";
    centres.insert(row[t.column("centre")]);
    for (const char* column : {"age", "sex", "site"}) {
      ++cells;
      missing += row[t.column(column)].empty();
    }
    for (const char* column : {"image", "patient_id", "diagnosis", "subtype", "centre", "view"})
      EXPECT_FALSE(row[t.column(column)].empty()) << column;
  }
  const double share = double(tumours) / t.rows.size();
  EXPECT_GT(share, 0.48);
  EXPECT_LT(share, 0.72);
  EXPECT_EQ(tumours, result_->tumour_images);
  EXPECT_GE(missing, 1);  // ~2% of 360 cells
  EXPECT_LE(double(missing) / cells, 0.05);
  EXPECT_EQ(centres, (std::set<std::string>{"A", "B", "C"}));
}

// A weak check that the lesion drawing carries the diagnosis: a nearest-centroid rule on 16x16
// ROI thumbnails, fitted on even-numbered patients, ranks the odd-numbered ones better than chance.
TEST_F(SynthTest, RoiCropsCarryTheDiagnosis) {
  const Manifest m = read_manifest(result_->clinical_csv, load_study_config(result_->study_yaml));
  std::vector<cv::Mat> thumbs;
  std::vector<bool> tumour, fit;
  for (const auto& c : m.cases) {
    const cv::Mat image = read_radiograph(m.image_path(c));
    cv::Mat crop, small;
    image(cv::Rect(c.roi->x0, c.roi->y0, c.roi->width(), c.roi->height())).convertTo(crop, CV_32F);
    cv::resize(crop, small, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
    cv::Scalar mean, sd;
    cv::meanStdDev(small, mean, sd);
    thumbs.push_back((small - mean[0]) / (sd[0] + 1e-6));
    tumour.push_back(c.label == "tumour");
    fit.push_back(std::stoi(c.patient_id.substr(1)) % 2 == 0);
  }
  cv::Mat mt = cv::Mat::zeros(16, 16, CV_32F), mi = mt.clone();
  int nt = 0, ni = 0;
  for (std::size_t i = 0; i < thumbs.size(); ++i) {
    if (!fit[i]) continue;
    (tumour[i] ? mt : mi) += thumbs[i];
    ++(tumour[i] ? nt : ni);
  }
  const cv::Mat w = mt / nt - mi / ni;
  std::vector<double> pos, neg;
  for (std::size_t i = 0; i < thumbs.size(); ++i)
    if (!fit[i]) (tumour[i] ? pos : neg).push_back(thumbs[i].dot(w));
  double wins = 0;
  for (double p : pos)
    for (double n : neg) wins += p > n ? 1 : p == n ? 0.5 : 0;
  const double auc = wins / (pos.size() * neg.size());
  RecordProperty("held_out_auc", std::to_string(auc));
  EXPECT_GT(auc, 0.6) << "held-out AUC of a nearest-centroid rule on ROI thumbnails";
  EXPECT_LT(auc, 0.97) << "the classes must overlap";
}

TEST(Synth, BadOptionsAreErrors) {
  SynthOptions o;
  EXPECT_THROW(synthesise(o), Error);
  o.out = testing::scratch_dir("synth_bad");
  o.cases = 0;
  EXPECT_THROW(synthesise(o), Error);
}

}  // namespace
}  // namespace deeptirp
