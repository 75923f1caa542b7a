// `deeptirp dicom deidentify` as a research group runs it on a folder of radiographs: checked by
// pydicom against PS3.15 Table E.1-1 (tools/check_deidentified.py), and by our own reader for
// bit-identical pixels, consistent UIDs and pseudonyms, reruns and bad input.
#include <gdcmReader.h>
#include <gdcmWriter.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom.h"
#include "deeptirp/io/dicom_deidentify.h"
#include "deeptirp/io/dicom_tags.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

const std::string kKey = "a key of the study, 32 bytes ...";

struct Synthetic {
  fs::path dir, images, key;
};

const Synthetic& synthetic() {
  static const Synthetic s = [] {
    Synthetic s;
    s.dir = testing::scratch_dir("deidentify-cli");
    EXPECT_EQ(testing::run_command(std::string(DEEPTIRP_EXE) + " synth --cases 12 --out " +
                                   (s.dir / "study").string()),
              0);
    s.images = s.dir / "study" / "images";
    s.key = s.dir / "key";
    std::ofstream(s.key) << kKey;
    return s;
  }();
  return s;
}

int deidentify(const std::string& args, std::string* output = nullptr) {
  return testing::run_command(
      std::string(DEEPTIRP_EXE) + " dicom deidentify --progress quiet " + args, output);
}

std::string tag_value(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
  return text_value(ds, gdcm::Tag(group, element)).value_or("");
}

gdcm::DataSet data_set(const fs::path& file) {
  gdcm::Reader reader;
  reader.SetFileName(file.c_str());
  EXPECT_TRUE(reader.Read()) << file;
  return reader.GetFile().GetDataSet();
}

TEST(DeidentifyCli, SyntheticStudyKeepsPixelsStudiesAndPatientsTogether) {
  const Synthetic& s = synthetic();
  const fs::path out = s.dir / "out";
  std::string output;
  ASSERT_EQ(
      deidentify(s.images.string() + " --out " + out.string() + " --key-file " + s.key.string(),
                 &output),
      0)
      << output;
  const Deidentifier same_key({"shift", kKey});
  std::map<std::string, std::set<std::string>> pseudonyms_by_patient, studies_by_study;
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(s.images)) {
    const gdcm::DataSet original = data_set(e.path());
    const fs::path file = out / (same_key.remap_uid(tag_value(original, 0x0008, 0x0018)) + ".dcm");
    ASSERT_TRUE(fs::exists(file)) << e.path();
    const std::string bytes = read_file_bytes(file);
    EXPECT_EQ(bytes.find(tag_value(original, 0x0010, 0x0010)), std::string::npos) << file;
    EXPECT_EQ(bytes.find(tag_value(original, 0x0010, 0x0020)), std::string::npos) << file;
    EXPECT_EQ(bytes.find("20200101"), std::string::npos) << "the study date should be shifted";
    const gdcm::DataSet d = data_set(file);
    EXPECT_EQ(tag_value(d, 0x0010, 0x0010), tag_value(d, 0x0010, 0x0020));
    EXPECT_EQ(tag_value(d, 0x0012, 0x0062), "YES");
    pseudonyms_by_patient[tag_value(original, 0x0010, 0x0020)].insert(tag_value(d, 0x0010, 0x0020));
    studies_by_study[tag_value(original, 0x0020, 0x000d)].insert(tag_value(d, 0x0020, 0x000d));
    const DicomImage a = read_dicom(e.path()), b = read_dicom(file);
    EXPECT_EQ(cv::norm(a.stored, b.stored, cv::NORM_INF), 0) << file;
    ++n;
  }
  EXPECT_EQ(n, 12u);
  std::set<std::string> all_pseudonyms;
  for (const auto& [patient, pseudonyms] : pseudonyms_by_patient) {
    EXPECT_EQ(pseudonyms.size(), 1u) << "one patient, one pseudonym";
    all_pseudonyms.insert(*pseudonyms.begin());
  }
  EXPECT_EQ(all_pseudonyms.size(), pseudonyms_by_patient.size());
  EXPECT_LT(pseudonyms_by_patient.size(), n) << "the synthetic study should have two-view patients";
  for (const auto& [study, studies] : studies_by_study) EXPECT_EQ(studies.size(), 1u);

  // The same key gives the same files; without it, nothing matches.
  const fs::path again = s.dir / "again", random = s.dir / "random";
  ASSERT_EQ(
      deidentify(s.images.string() + " --out " + again.string() + " --key-file " + s.key.string()),
      0);
  ASSERT_EQ(deidentify(s.images.string() + " --out " + random.string()), 0);
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_EQ(read_file_bytes(again / e.path().filename()), read_file_bytes(e.path()));
    EXPECT_FALSE(fs::exists(random / e.path().filename()));
  }

  const std::string python = testing::reference_python();
  if (python.empty()) GTEST_SKIP() << "no reference Python (pydicom): the profile check is skipped";
  std::string report;
  EXPECT_EQ(testing::run_command(python + " -W ignore " + DEEPTIRP_SOURCE_DIR +
                                     "/tools/check_deidentified.py " + s.images.string() + " " +
                                     out.string(),
                                 &report),
            0)
      << report;
}

TEST(DeidentifyCli, DatesRemovedAndBurnedInAnnotationWarned) {
  const Synthetic& s = synthetic();
  const fs::path dir = testing::scratch_dir("deidentify-burned");
  const fs::path first = *fs::directory_iterator(s.images);
  gdcm::Reader reader;
  reader.SetFileName(first.c_str());
  ASSERT_TRUE(reader.Read());
  gdcm::DataElement burned(gdcm::Tag(0x0028, 0x0301));
  burned.SetVR(gdcm::VR::CS);
  burned.SetByteValue("YES ", 4);
  reader.GetFile().GetDataSet().Replace(burned);
  gdcm::Writer writer;
  writer.SetFileName((dir / "burned.dcm").c_str());
  writer.SetFile(reader.GetFile());
  ASSERT_TRUE(writer.Write());

  std::string output;
  ASSERT_EQ(
      deidentify((dir / "burned.dcm").string() + " --dates remove --out " + (dir / "out").string(),
                 &output),
      0)
      << output;
  EXPECT_NE(output.find("burned.dcm: Burned In Annotation (0028,0301) is YES"), std::string::npos)
      << output;
  const fs::path file = *fs::directory_iterator(dir / "out");
  const gdcm::DataSet d = data_set(file);
  EXPECT_TRUE(d.FindDataElement(gdcm::Tag(0x0008, 0x0020)));  // Type 2: kept, empty
  EXPECT_EQ(tag_value(d, 0x0008, 0x0020), "");
  EXPECT_EQ(tag_value(d, 0x0028, 0x0303), "REMOVED");
}

TEST(DeidentifyCli, ACutFileIsAnErrorNamingItAndNothingIsWrittenForIt) {
  const Synthetic& s = synthetic();
  const fs::path dir = testing::scratch_dir("deidentify-cut");
  const std::string bytes = read_file_bytes(*fs::directory_iterator(s.images));
  std::ofstream(dir / "cut.dcm", std::ios::binary) << bytes.substr(0, 300);
  std::ofstream(dir / "notes.txt") << "not an image";
  std::string output;
  EXPECT_EQ(deidentify((dir / "cut.dcm").string() + " --out " + (dir / "out").string(), &output),
            1);
  EXPECT_NE(output.find("cut.dcm"), std::string::npos) << output;
  EXPECT_TRUE(fs::is_empty(dir / "out"));
  EXPECT_EQ(
      deidentify((dir / "missing.dcm").string() + " --out " + (dir / "out").string(), &output), 1);
  EXPECT_NE(output.find("missing.dcm"), std::string::npos) << output;
}

TEST(DeidentifyCli, SharedRadiographsPassTheProfileCheck) {
  const fs::path dicom = testing::shared_dir() / "data" / "dicom";
  if (!fs::is_directory(dicom)) GTEST_SKIP() << "no ../shared/data/dicom";
  const std::string python = testing::reference_python();
  if (python.empty()) GTEST_SKIP() << "no reference Python (pydicom)";
  const fs::path out = testing::scratch_dir("deidentify-shared") / "out";
  std::string output;
  ASSERT_EQ(deidentify(dicom.string() + " --out " + out.string(), &output), 0) << output;
  EXPECT_NE(output.find("the same SOP Instance UID as"), std::string::npos)
      << "two shared files hold one instance in two transfer syntaxes: " << output;
  std::string report;
  EXPECT_EQ(testing::run_command(python + " -W ignore " + DEEPTIRP_SOURCE_DIR +
                                     "/tools/check_deidentified.py " + dicom.string() + " " +
                                     out.string(),
                                 &report),
            0)
      << report;
  EXPECT_NE(report.find("\"pairs\": 16"), std::string::npos) << report;
}

}  // namespace
}  // namespace deeptirp
