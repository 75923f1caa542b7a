// `deeptirp dicom info|convert` as a user runs it: technical facts only, never the patient's name
// or id; converted PNGs hold the exact stored values; failures exit 1 naming the file.
#include <opencv2/imgcodecs.hpp>

#include "dicom_test_util.h"

namespace deeptirp {
namespace {

using testing::count_different;
using testing::dicom_file;
using testing::patient_identifiers;

std::string deeptirp_exe() {
  const std::filesystem::path exe = DEEPTIRP_EXE;
  return std::filesystem::exists(exe) ? exe.string() : "";
}

#define REQUIRE_EXE() \
  if (deeptirp_exe().empty()) GTEST_SKIP() << "the deeptirp executable is not built"

TEST(DicomCli, InfoPrintsTechnicalFactsButNoPatientIdentifiers) {
  DEEPTIRP_REQUIRE_SHARED();
  REQUIRE_EXE();
  int files_with_names = 0;
  for (const char* file : {"RG2_JLSL.dcm", "CR-MONO1-10-chest.dcm", "JPEGwithIcon.dcm"}) {
    SCOPED_TRACE(file);
    const std::vector<std::string> identifiers = patient_identifiers(dicom_file(file));
    files_with_names += !identifiers.empty();
    for (const char* flags : {"", " --json"}) {
      std::string output;
      ASSERT_EQ(
          testing::run_command(deeptirp_exe() + " dicom info " + dicom_file(file) + flags, &output),
          0)
          << output;
      EXPECT_NE(output.find("1.2.840.10008.1.2"), std::string::npos) << output;  // the syntax
      for (const auto& identifier : identifiers)
        EXPECT_EQ(output.find(identifier), std::string::npos) << identifier << " in " << output;
    }
  }
  EXPECT_GE(files_with_names, 2);
}

TEST(DicomCli, FailuresExitOneNamingTheFileWithoutIdentifiers) {
  DEEPTIRP_REQUIRE_SHARED();
  REQUIRE_EXE();
  const auto dir = testing::scratch_dir("dicom-cli-fail");
  const std::string input = dicom_file("Issue1097_FailToOpenDeflatedFileWithSQ.dcm");
  std::string output;
  EXPECT_EQ(testing::run_command(
                deeptirp_exe() + " dicom convert " + input + " --out " + (dir / "x.png").string(),
                &output),
            1);
  EXPECT_NE(output.find(input), std::string::npos) << output;
  for (const auto& identifier : patient_identifiers(input))
    EXPECT_EQ(output.find(identifier), std::string::npos) << output;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "no temporary file left behind";
}

TEST(DicomCli, ConvertStoredWritesTheExactStoredValues) {
  DEEPTIRP_REQUIRE_SHARED();
  REQUIRE_EXE();
  const auto out = testing::scratch_dir("dicom-cli-convert") / "rg3.png";
  std::string output;
  ASSERT_EQ(testing::run_command(deeptirp_exe() + " dicom convert " + dicom_file("RG3_JLSL.dcm") +
                                     " --stored --out " + out.string(),
                                 &output),
            0)
      << output;
  const cv::Mat written = cv::imread(out.string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(count_different(written, testing::reference_stored("RG3_stored.png")), 0);

  const auto display8 = out.parent_path() / "rg3_8bit.png";
  ASSERT_EQ(testing::run_command(deeptirp_exe() + " dicom convert " + dicom_file("RG3_JLSL.dcm") +
                                     " --8bit --out " + display8.string(),
                                 &output),
            0)
      << output;
  const cv::Mat eight = cv::imread(display8.string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(eight.type(), CV_8UC1);
  EXPECT_EQ(eight.size(), written.size());
}

}  // namespace
}  // namespace deeptirp
