// read_radiograph / decode_radiograph: one display form (CV_16UC1, bone bright) from DICOM, PNG
// and JPEG, chosen by content.
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom.h"
#include "deeptirp/io/radiograph.h"
#include "dicom_test_util.h"

namespace deeptirp {
namespace {

using testing::count_different;

std::string encode(const cv::Mat& image, const std::string& extension,
                   const std::vector<int>& params = {}) {
  std::vector<uchar> buffer;
  EXPECT_TRUE(cv::imencode(extension, image, buffer, params));
  return std::string(buffer.begin(), buffer.end());
}

cv::Mat ramp(int depth, int rows = 40, int cols = 300) {
  cv::Mat image(rows, cols, CV_MAKETYPE(depth, 1));
  const double top = depth == CV_8U ? 255 : 65535;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double v = std::fmod((r * 7 + c) * top / (cols - 1), top + 1);
      if (depth == CV_8U)
        image.at<uint8_t>(r, c) = cv::saturate_cast<uint8_t>(v);
      else
        image.at<uint16_t>(r, c) = cv::saturate_cast<uint16_t>(v);
    }
  return image;
}

std::string message_of(const std::string& bytes, const std::string& name) {
  try {
    decode_radiograph(bytes, name);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Radiograph, Png16BitRoundTripsExactly) {
  const cv::Mat original = ramp(CV_16U);
  const cv::Mat decoded = decode_radiograph(encode(original, ".png"), "ramp16.png");
  ASSERT_EQ(decoded.type(), CV_16UC1);
  EXPECT_EQ(count_different(decoded, original), 0);
}

TEST(Radiograph, Png8BitIsScaledBy257) {
  const cv::Mat original = ramp(CV_8U);
  const cv::Mat decoded = decode_radiograph(encode(original, ".png"), "ramp8.png");
  ASSERT_EQ(decoded.type(), CV_16UC1);
  for (int r = 0; r < original.rows; ++r)
    for (int c = 0; c < original.cols; ++c)
      ASSERT_EQ(decoded.at<uint16_t>(r, c), original.at<uint8_t>(r, c) * 257);
}

TEST(Radiograph, ColourAndAlphaBecomeGrey) {
  // A grey picture stored as BGR and as BGRA with varying alpha: the grey values come back.
  const cv::Mat grey = ramp(CV_8U);
  cv::Mat bgr, bgra;
  cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
  cv::cvtColor(grey, bgra, cv::COLOR_GRAY2BGRA);
  for (int r = 0; r < bgra.rows; ++r) bgra.at<cv::Vec4b>(r, 0)[3] = uint8_t(r * 5);
  for (const cv::Mat& colour : {bgr, bgra}) {
    const cv::Mat decoded = decode_radiograph(encode(colour, ".png"), "colour.png");
    ASSERT_EQ(decoded.type(), CV_16UC1);
    cv::Mat expected;
    grey.convertTo(expected, CV_16U, 257);
    EXPECT_EQ(count_different(decoded, expected), 0);
  }
}

TEST(Radiograph, JpegDecodesCloseToTheOriginal) {
  cv::Mat smooth;
  cv::GaussianBlur(ramp(CV_8U, 64, 64), smooth, cv::Size(9, 9), 3);
  const cv::Mat decoded =
      decode_radiograph(encode(smooth, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 98}), "x.jpg");
  ASSERT_EQ(decoded.type(), CV_16UC1);
  cv::Mat expected, difference;
  smooth.convertTo(expected, CV_16U, 257);
  cv::absdiff(decoded, expected, difference);
  EXPECT_LT(cv::mean(difference)[0], 3 * 257.0);
}

TEST(Radiograph, DicomIsRecognisedByContentWithOrWithoutMetaHeader) {
  DEEPTIRP_REQUIRE_SHARED();
  // CR-MONO1-10-chest has no preamble and no "DICM"; RG3_RLE has both. A misleading extension
  // must not matter.
  for (const char* file : {"CR-MONO1-10-chest.dcm", "RG3_RLE.dcm"}) {
    SCOPED_TRACE(file);
    const std::string path = testing::dicom_file(file);
    const std::string bytes = read_file_bytes(path);
    EXPECT_TRUE(looks_like_dicom(bytes));
    const cv::Mat expected = display_image(read_dicom(path));
    EXPECT_EQ(count_different(decode_radiograph(bytes, "image.png"), expected), 0);
    EXPECT_EQ(count_different(read_radiograph(path), expected), 0);
  }
}

TEST(Radiograph, BtxrdPngMatchesOpenCvImread) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto path = testing::shared_dir() / "data" / "btxrd" / "images" / "IMG000001.png";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  cv::Mat expected = cv::imread(path.string(), cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH);
  if (expected.depth() == CV_8U) expected.convertTo(expected, CV_16U, 257);
  EXPECT_EQ(count_different(read_radiograph(path), expected), 0);
}

TEST(Radiograph, EmptyGarbageAndTruncatedInputNameTheFile) {
  for (const std::string& bytes :
       {std::string(), std::string("hello, not an image\n"), std::string(2000, '\0'),
        encode(ramp(CV_8U), ".png").substr(0, 60)}) {
    const std::string message = message_of(bytes, "case-17.png");
    EXPECT_NE(message.find("case-17.png"), std::string::npos) << "'" << message << "'";
  }
  const auto missing = testing::scratch_dir("radiograph") / "missing.png";
  try {
    read_radiograph(missing);
    FAIL() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace deeptirp
