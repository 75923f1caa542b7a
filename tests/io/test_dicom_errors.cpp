// Bad input gets a deeptirp::Error naming the file; concurrent decoding gives the same pixels;
// messages never carry patient identifiers.
#include <fstream>
#include <future>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom.h"
#include "dicom_test_util.h"

namespace deeptirp {
namespace {

using testing::count_different;
using testing::dicom_file;
using testing::patient_identifiers;

std::string write_scratch(const std::string& name, std::string_view bytes) {
  const auto path = testing::scratch_dir("dicom-errors-" + name) / name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  return path.string();
}

// The message of the Error that `decode` throws, or "" when it does not throw one.
template <typename Decode>
std::string error_of(Decode decode) {
  try {
    decode();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DicomErrors, NoPixelDataIsRefusedNamingThePath) {
  DEEPTIRP_REQUIRE_SHARED();
  const std::string path = dicom_file("Issue1097_FailToOpenDeflatedFileWithSQ.dcm");
  const std::string message = error_of([&] { read_dicom(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("no pixel data"), std::string::npos) << message;
}

TEST(DicomErrors, TruncatedFilesAreRefusedNamingThePath) {
  DEEPTIRP_REQUIRE_SHARED();
  for (const char* file : {"RG2_JLSL.dcm", "RG2_RLE.dcm", "CR-MONO1-10-chest.dcm"}) {
    const std::string bytes = read_file_bytes(dicom_file(file));
    for (size_t keep : {size_t(2000), bytes.size() / 2}) {
      SCOPED_TRACE(std::string(file) + " cut to " + std::to_string(keep) + " bytes");
      const std::string path = write_scratch(std::string("cut-") + file, bytes.substr(0, keep));
      const std::string message = error_of([&] { read_dicom(path); });
      EXPECT_NE(message.find(path), std::string::npos) << message;
    }
  }
}

TEST(DicomErrors, NonDicomAndEmptyFilesAreRefusedNamingThePath) {
  const std::string text = write_scratch("notes.txt", "Patient list\nnot an image at all\n");
  std::string message = error_of([&] { read_dicom(text); });
  EXPECT_NE(message.find(text), std::string::npos) << message;
  EXPECT_NE(message.find("not a DICOM file"), std::string::npos) << message;
  const std::string empty = write_scratch("empty.dcm", "");
  message = error_of([&] { read_dicom_header(empty); });
  EXPECT_NE(message.find(empty), std::string::npos) << message;
  message = error_of([&] { read_dicom("/nonexistent/dir/x.dcm"); });
  EXPECT_NE(message.find("/nonexistent/dir/x.dcm"), std::string::npos) << message;
  message = error_of([&] { decode_dicom(std::string(300, '\x07'), "pacs-instance-42"); });
  EXPECT_NE(message.find("pacs-instance-42"), std::string::npos) << message;
}

TEST(DicomErrors, UnsupportedPhotometricIsRefusedNamingThePath) {
  DEEPTIRP_REQUIRE_SHARED();
  // Same length, so the element stays well formed: "MONOCHROME1 " -> "HSV         " (retired).
  std::string bytes = read_file_bytes(dicom_file("CR-MONO1-10-chest.dcm"));
  const size_t at = bytes.find("MONOCHROME1 ");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 12, "HSV         ");
  const std::string path = write_scratch("hsv.dcm", bytes);
  const std::string message = error_of([&] { read_dicom(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("photometric"), std::string::npos) << message;
}

TEST(DicomThreads, FourThreadsDecodeLikeOne) {
  DEEPTIRP_REQUIRE_SHARED();
  const std::vector<std::string> files = {
      dicom_file("CR-MONO1-10-chest.dcm"), dicom_file("RG3_RLE.dcm"), dicom_file("RG3_JLSL.dcm"),
      dicom_file("D_CLUNIE_CT1_RLE_FRAGS.dcm"), dicom_file("CR-ModalitySequenceLUT.dcm")};
  std::vector<cv::Mat> single;
  for (const auto& f : files) single.push_back(display_image(read_dicom(f)));
  std::vector<std::future<std::vector<cv::Mat>>> workers;
  for (int t = 0; t < 4; ++t)
    workers.push_back(std::async(std::launch::async, [&files, t] {
      std::vector<cv::Mat> out(files.size());
      for (size_t i = 0; i < files.size(); ++i) {  // each thread in a different order
        const size_t k = (i + size_t(t)) % files.size();
        out[k] = display_image(read_dicom(files[k]));
      }
      return out;
    }));
  for (auto& worker : workers) {
    const std::vector<cv::Mat> result = worker.get();
    for (size_t i = 0; i < files.size(); ++i)
      EXPECT_EQ(count_different(result[i], single[i]), 0) << files[i];
  }
}

TEST(DicomPrivacy, ErrorMessagesNeverCarryPatientIdentifiers) {
  DEEPTIRP_REQUIRE_SHARED();
  const std::string source = dicom_file("RG2_JLSL.dcm");
  const std::vector<std::string> identifiers = patient_identifiers(source);
  ASSERT_FALSE(identifiers.empty()) << "the sample should carry a (test) patient name";
  const std::string bytes = read_file_bytes(source);
  std::string hsv = bytes;
  hsv.replace(hsv.find("MONOCHROME2 "), 12, "HSV         ");
  std::vector<std::string> messages;
  for (const std::string& broken : {bytes.substr(0, 2000), bytes.substr(0, bytes.size() / 2), hsv})
    messages.push_back(error_of([&] { decode_dicom(broken, "broken.dcm"); }));
  for (const auto& message : messages) {
    EXPECT_FALSE(message.empty());
    for (const auto& identifier : identifiers)
      EXPECT_EQ(message.find(identifier), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace deeptirp
