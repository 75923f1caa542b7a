// Decoding every transfer syntax in ../shared/data/dicom against the stored values of the
// uncompressed originals (RG2_stored.png, RG3_stored.png, CR-MONO1-10-chest_stored.png).
#include <cmath>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/dicom.h"
#include "dicom_test_util.h"

namespace deeptirp {
namespace {

using testing::count_different;
using testing::dicom_file;
using testing::reference_stored;

struct Sample {
  const char* file;
  const char* reference;
};

class LosslessDicom : public ::testing::TestWithParam<Sample> {};

TEST_P(LosslessDicom, StoredValuesEqualTheUncompressedOriginal) {
  DEEPTIRP_REQUIRE_SHARED();
  const DicomImage image = read_dicom(dicom_file(GetParam().file));
  const cv::Mat expected = reference_stored(GetParam().reference);
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(image.stored.type(), CV_16UC1);
  EXPECT_EQ(count_different(image.stored, expected), 0) << GetParam().file;
}

INSTANTIATE_TEST_SUITE_P(
    AllLosslessSyntaxes, LosslessDicom,
    ::testing::Values(
        Sample{"RG2_J2KR.dcm", "RG2_stored.png"}, Sample{"RG2_JLSL.dcm", "RG2_stored.png"},
        Sample{"RG2_JPLL.dcm", "RG2_stored.png"}, Sample{"RG2_RLE.dcm", "RG2_stored.png"},
        Sample{"RG3_J2KR.dcm", "RG3_stored.png"}, Sample{"RG3_JLSL.dcm", "RG3_stored.png"},
        Sample{"RG3_JPLL.dcm", "RG3_stored.png"}, Sample{"RG3_RLE.dcm", "RG3_stored.png"},
        Sample{"CR-MONO1-10-chest.dcm", "CR-MONO1-10-chest_stored.png"}));

class LossyDicom : public ::testing::TestWithParam<Sample> {};

TEST_P(LossyDicom, StoredValuesWithinOnePercentOfTheStoredRange) {
  DEEPTIRP_REQUIRE_SHARED();
  const DicomImage image = read_dicom(dicom_file(GetParam().file));
  const cv::Mat expected = reference_stored(GetParam().reference);
  ASSERT_EQ(image.stored.size(), expected.size());
  cv::Mat difference;
  cv::absdiff(image.stored, expected, difference);
  const double mean_difference = cv::mean(difference)[0];
  const double stored_range = std::ldexp(1.0, image.header.bits_stored);
  EXPECT_LT(mean_difference, 0.01 * stored_range) << GetParam().file;
  EXPECT_GT(mean_difference, 0.0) << "a lossy file should not decode exactly";
}

INSTANTIATE_TEST_SUITE_P(AllLossySyntaxes, LossyDicom,
                         ::testing::Values(Sample{"RG2_JPLY.dcm", "RG2_stored.png"},
                                           Sample{"RG3_JPLY.dcm", "RG3_stored.png"},
                                           Sample{"RG3_J2KI.dcm", "RG3_stored.png"}));

// The header facts against the manifest written when the files were collected.
TEST(DicomHeader, MatchesTheManifest) {
  DEEPTIRP_REQUIRE_SHARED();
  const CsvTable manifest = read_csv(testing::dicom_dir() / "manifest.csv");
  int checked = 0;
  for (size_t row = 0; row < manifest.rows.size(); ++row) {
    const auto field = [&](const std::string& column) {
      return manifest.rows[row][manifest.column(column)];
    };
    if (field("rows").empty()) continue;  // Issue1097: no image
    SCOPED_TRACE(field("file"));
    const DicomHeader header = read_dicom_header(dicom_file(field("file")));
    EXPECT_EQ(header.modality, field("modality"));
    EXPECT_EQ(header.rows, std::stoi(field("rows")));
    EXPECT_EQ(header.columns, std::stoi(field("columns")));
    EXPECT_EQ(header.bits_stored, std::stoi(field("bits_stored")));
    EXPECT_EQ(header.photometric_interpretation, field("photometric"));
    if (field("transfer_syntax").rfind("1.2.", 0) == 0)
      EXPECT_EQ(header.transfer_syntax_uid, field("transfer_syntax"));
    EXPECT_FALSE(header.transfer_syntax_name.empty());
    EXPECT_TRUE(header.has_pixel_data);
    ASSERT_EQ(header.window_center.has_value(), !field("window_center").empty());
    if (header.window_center) {
      EXPECT_DOUBLE_EQ(*header.window_center, std::stod(field("window_center")));
      EXPECT_DOUBLE_EQ(*header.window_width, std::stod(field("window_width")));
    }
    ++checked;
  }
  EXPECT_GE(checked, 17);
}

TEST(DicomHeader, ReportsTheModalityLutAndRescale) {
  DEEPTIRP_REQUIRE_SHARED();
  EXPECT_TRUE(read_dicom_header(dicom_file("CR-ModalitySequenceLUT.dcm")).has_modality_lut);
  const DicomHeader ct = read_dicom_header(dicom_file("CT1_big_endian_undefined_length.dcm"));
  EXPECT_FALSE(ct.has_modality_lut);
  EXPECT_DOUBLE_EQ(ct.rescale_intercept, -1024.0);
  EXPECT_DOUBLE_EQ(ct.rescale_slope, 1.0);
  EXPECT_EQ(ct.pixel_representation, 1);
}

// Two encodings of the same CT slice: uncompressed (GDCM) and RLE split over several fragments
// (our RLE decoder), signed 16-bit.
TEST(DicomDecode, FragmentedRleEqualsItsUncompressedTwin) {
  DEEPTIRP_REQUIRE_SHARED();
  const DicomImage rle = read_dicom(dicom_file("D_CLUNIE_CT1_RLE_FRAGS.dcm"));
  const DicomImage raw = read_dicom(dicom_file("CT1_big_endian_undefined_length.dcm"));
  ASSERT_EQ(rle.stored.type(), CV_16SC1);
  EXPECT_EQ(count_different(rle.stored, raw.stored), 0);
  double low = 0, high = 0;
  cv::minMaxLoc(raw.stored, &low, &high);
  EXPECT_LT(low, 0.0) << "the CT slice has negative stored values; sign was lost";
}

TEST(DicomDecode, OtherSampleFilesDecodeToTheirHeaderSize) {
  DEEPTIRP_REQUIRE_SHARED();
  for (const char* file : {"CR-ModalitySequenceLUT.dcm", "JPEGwithIcon.dcm", "RG1_J2KI.dcm"}) {
    SCOPED_TRACE(file);
    const DicomImage image = read_dicom(dicom_file(file));
    EXPECT_EQ(image.stored.rows, image.header.rows);
    EXPECT_EQ(image.stored.cols, image.header.columns);
    EXPECT_EQ(image.stored.channels(), 1);
    double low = 0, high = 0;
    cv::minMaxLoc(image.stored, &low, &high);
    EXPECT_LT(high, std::ldexp(1.0, image.header.bits_stored));
    EXPECT_GT(high, low);
  }
}

TEST(DicomDecode, BytesGiveTheSameResultAsThePath) {
  DEEPTIRP_REQUIRE_SHARED();
  for (const char* file : {"RG3_JLSL.dcm", "CR-MONO1-10-chest.dcm", "CR-ModalitySequenceLUT.dcm"}) {
    SCOPED_TRACE(file);
    const std::string path = dicom_file(file);
    const DicomImage from_path = read_dicom(path);
    const DicomImage from_bytes = decode_dicom(read_file_bytes(path), "instance-1");
    EXPECT_EQ(count_different(from_path.stored, from_bytes.stored), 0);
    EXPECT_EQ(count_different(display_image(from_path), display_image(from_bytes)), 0);
    EXPECT_EQ(from_bytes.header.transfer_syntax_uid, from_path.header.transfer_syntax_uid);
    EXPECT_EQ(parse_dicom_header(read_file_bytes(path), "x").rows, from_path.header.rows);
  }
}

// JPEGwithIcon: YBR_FULL_422 colour with an icon sequence. The main image comes out as BT.601
// luma; pydicom (its own decoders, convert_color_space) and numpy give the reference.
TEST(DicomDecode, ColourJpegBecomesTheLumaOfPydicomsRgb) {
  DEEPTIRP_REQUIRE_SHARED();
  const std::string python = testing::reference_python();
  if (python.empty()) GTEST_SKIP() << "no reference python";
  const auto dir = testing::scratch_dir("dicom-colour");
  const std::string script = (dir / "luma.py").string(), png = (dir / "luma.png").string();
  std::ofstream(script)
      << "import sys, numpy as np\n"
         "try:\n"
         "    import pydicom\n"
         "    from pydicom.pixel_data_handlers.util import convert_color_space\n"
         "    from PIL import Image\n"
         "except ImportError:\n"
         "    print('SKIP'); sys.exit(0)\n"
         "ds = pydicom.dcmread(sys.argv[1])\n"
         "rgb = convert_color_space(ds.pixel_array, ds.PhotometricInterpretation, 'RGB')\n"
         "rgb = rgb.astype(np.float64)\n"
         "luma = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]\n"
         "Image.fromarray(np.clip(np.rint(luma), 0, 255).astype(np.uint8)).save(sys.argv[2])\n"
         "print('OK')\n";
  std::string output;
  ASSERT_EQ(testing::run_command(
                python + " " + script + " " + dicom_file("JPEGwithIcon.dcm") + " " + png, &output),
            0)
      << output;
  if (output.find("SKIP") != std::string::npos) GTEST_SKIP() << "pydicom absent";
  cv::Mat expected = cv::imread(png, cv::IMREAD_UNCHANGED), difference;
  expected.convertTo(expected, CV_16U);
  const DicomImage image = read_dicom(dicom_file("JPEGwithIcon.dcm"));
  ASSERT_EQ(image.stored.size(), cv::Size(600, 600));  // the main image, not the icon
  ASSERT_EQ(expected.size(), image.stored.size());
  cv::absdiff(image.stored, expected, difference);
  double worst = 0;
  cv::minMaxLoc(difference, nullptr, &worst);
  EXPECT_LE(worst, 16.0);  // RGB clipped to 0..255 where the chroma is out of gamut
  EXPECT_LT(cv::mean(difference)[0], 0.75);
}

}  // namespace
}  // namespace deeptirp
