// Files cut short or whose header contradicts their pixel data are refused with an Error naming
// the file, never an abort inside GDCM and never a blank or partial image (issue 17, cases 1-2).
#include <cstring>
#include <optional>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom.h"
#include "dicom_test_util.h"

namespace deeptirp {
namespace {

using testing::dicom_file;

using testing::error_of;  // "no error" when the call succeeds; an abort ends the program

std::string sample(const char* file) { return read_file_bytes(dicom_file(file)); }

// The offset of an element's tag in the bytes (little endian, as every sample but one encodes it).
size_t find_tag(const std::string& bytes, uint16_t group, uint16_t element, size_t from = 132) {
  const char tag[4] = {char(group & 0xFF), char(group >> 8), char(element & 0xFF),
                       char(element >> 8)};
  const size_t at = bytes.find(std::string(tag, 4), from);
  EXPECT_NE(at, std::string::npos);
  return at;
}

void put_u16(std::string& bytes, size_t at, uint16_t value) {
  bytes[at] = char(value & 0xFF);
  bytes[at + 1] = char(value >> 8);
}

void put_u32(std::string& bytes, size_t at, uint32_t value) {
  put_u16(bytes, at, uint16_t(value & 0xFFFF));
  put_u16(bytes, at + 2, uint16_t(value >> 16));
}

// A US value of an explicit VR little endian element: tag, "US", length 2, value.
void set_us(std::string& bytes, uint16_t group, uint16_t element, uint16_t value) {
  put_u16(bytes, find_tag(bytes, group, element) + 8, value);
}

// The same in an implicit VR file (tag, 4-byte length, value).
void set_us_implicit(std::string& bytes, uint16_t group, uint16_t element, uint16_t value) {
  put_u16(bytes, find_tag(bytes, group, element, 0) + 8, value);
}

TEST(DicomStructure, EveryCutOfEveryKindOfFileIsAnErrorNamingIt) {
  DEEPTIRP_REQUIRE_SHARED();
  // Meta group + explicit VR, no meta + implicit VR, big endian, deflated, RLE fragments,
  // JPEG-LS, JPEG 2000, JPEG with an icon sequence.
  for (const char* file :
       {"RG2_JLSL.dcm", "CR-MONO1-10-chest.dcm", "CT1_big_endian_undefined_length.dcm",
        "Issue1097_FailToOpenDeflatedFileWithSQ.dcm", "D_CLUNIE_CT1_RLE_FRAGS.dcm", "RG3_J2KR.dcm",
        "JPEGwithIcon.dcm"}) {
    const std::string bytes = sample(file);
    std::vector<size_t> cuts;
    for (size_t n = 1; n < std::min<size_t>(bytes.size(), 2400); ++n) cuts.push_back(n);
    for (size_t k = 1; k < 40; ++k) cuts.push_back(bytes.size() * k / 40);
    for (size_t n : cuts) {
      const std::string cut = bytes.substr(0, n);
      const std::string name = std::string("cut-") + file;
      const std::string message = error_of([&] { decode_dicom(cut, name); });
      ASSERT_EQ(message.rfind(name + ": ", 0), 0u) << file << " cut to " << n << ": " << message;
      // The header alone reads only when the cut falls between two elements before the pixels.
      std::optional<DicomHeader> header;
      error_of([&] { header = parse_dicom_header(cut, name); });
      if (header) EXPECT_FALSE(header->has_pixel_data) << file << " cut to " << n;
    }
  }
}

TEST(DicomStructure, TheUncutSamplesStillDecode) {
  DEEPTIRP_REQUIRE_SHARED();
  for (const char* file : {"RG2_JLSL.dcm", "RG2_JPLY.dcm", "RG3_J2KI.dcm", "RG3_RLE.dcm",
                           "CT1_big_endian_undefined_length.dcm", "JPEGwithIcon.dcm"}) {
    const DicomImage image = read_dicom(dicom_file(file));
    EXPECT_TRUE(image.header.pixel_data_problem.empty())
        << file << ": " << image.header.pixel_data_problem;
    EXPECT_EQ(image.stored.rows, image.header.rows) << file;
  }
}

TEST(DicomStructure, PixelDataShorterThanItsHeaderIsRefused) {
  DEEPTIRP_REQUIRE_SHARED();
  // A well-formed file whose Pixel Data element is shorter than Rows x Columns x 2 bytes.
  std::string bytes = sample("CR-MONO1-10-chest.dcm");  // implicit VR little endian, no meta
  const size_t pixels = find_tag(bytes, 0x7FE0, 0x0010, 0);
  const uint32_t half = 440 * 440;
  put_u32(bytes, pixels + 4, half);
  bytes.resize(pixels + 8 + half);
  const std::string message = error_of([&] { decode_dicom(bytes, "short.dcm"); });
  EXPECT_NE(message.find("short.dcm: "), std::string::npos) << message;
  EXPECT_NE(message.find("cut short"), std::string::npos) << message;
  EXPECT_NE(parse_dicom_header(bytes, "short.dcm").pixel_data_problem, "");

  // Bits Allocated 8 on 16-bit data: the element is twice what the header says.
  std::string eight = sample("CR-MONO1-10-chest.dcm");
  set_us_implicit(eight, 0x0028, 0x0100, 8);
  set_us_implicit(eight, 0x0028, 0x0101, 8);
  set_us_implicit(eight, 0x0028, 0x0102, 7);
  EXPECT_NE(error_of([&] { decode_dicom(eight, "eight.dcm"); }).find("contradicts"),
            std::string::npos);
}

TEST(DicomStructure, BitsStoredAndHighBitOutOfRangeAreRefused) {
  DEEPTIRP_REQUIRE_SHARED();
  const std::string original = sample("RG3_JLSL.dcm");  // 16 allocated, 10 stored, high bit 9
  ASSERT_EQ(error_of([&] { decode_dicom(original, "ok.dcm"); }), "no error");
  struct Edit {
    uint16_t element, value;
    const char* expect;
  };
  for (const Edit edit : {Edit{0x0101, 17, "Bits Stored must"}, Edit{0x0101, 0, "Bits Stored must"},
                          Edit{0x0102, 16, "High Bit must"}, Edit{0x0102, 2, "High Bit must"}}) {
    std::string bytes = original;
    set_us(bytes, 0x0028, edit.element, edit.value);
    const std::string message = error_of([&] { decode_dicom(bytes, "bits.dcm"); });
    EXPECT_NE(message.find("bits.dcm: "), std::string::npos) << message;
    EXPECT_NE(message.find(edit.expect), std::string::npos) << message;
  }
}

TEST(DicomStructure, AJpegCutInsideItsFragmentIsRefused) {
  DEEPTIRP_REQUIRE_SHARED();
  // Rewrapped so that every item length is right: only the codestream itself is cut.
  for (const char* file : {"RG3_JPLY.dcm", "RG3_JLSL.dcm", "RG3_J2KR.dcm"}) {
    std::string bytes = sample(file);
    const std::string item("\xFE\xFF\x00\xE0", 4);
    const size_t last = bytes.rfind(item);
    ASSERT_NE(last, std::string::npos);
    uint32_t length = 0;
    std::memcpy(&length, bytes.data() + last + 4, 4);
    const uint32_t kept = (length / 2) & ~1u;
    std::string cut = bytes.substr(0, last + 8 + kept) + std::string("\xFE\xFF\xDD\xE0\0\0\0\0", 8);
    put_u32(cut, last + 4, kept);
    const std::string message = error_of([&] { decode_dicom(cut, "half.dcm"); });
    EXPECT_NE(message.find("half.dcm: "), std::string::npos) << file << ": " << message;
    EXPECT_NE(message.find("end marker"), std::string::npos) << file << ": " << message;
  }
}

TEST(DicomStructure, HugeDeclaredSizesAndFrameCountsAreRefusedBeforeDecoding) {
  DEEPTIRP_REQUIRE_SHARED();
  for (const char* file : {"RG3_RLE.dcm", "RG3_J2KR.dcm"}) {
    std::string bytes = sample(file);
    set_us(bytes, 0x0028, 0x0010, 65535);
    set_us(bytes, 0x0028, 0x0011, 65535);
    const std::string message = error_of([&] { decode_dicom(bytes, "huge.dcm"); });
    EXPECT_NE(message.find("huge.dcm: "), std::string::npos) << message;
    EXPECT_NE(message.find("over the limit"), std::string::npos) << message;
  }
}

TEST(DicomStructure, AMultiFrameFileIsRefusedNotReadAsItsFirstFrame) {
  DEEPTIRP_REQUIRE_SHARED();
  // Two frames: Number of Frames (0028,0008) IS "2" before Rows, and the pixel data twice over.
  std::string bytes = sample("CR-MONO1-10-chest.dcm");
  const size_t rows = find_tag(bytes, 0x0028, 0x0010, 0);
  bytes.insert(rows, std::string("\x28\x00\x08\x00\x02\x00\x00\x00"
                                 "2 ",
                                 10));
  const size_t pixels = find_tag(bytes, 0x7FE0, 0x0010, 0);
  const std::string frame = bytes.substr(pixels + 8);
  put_u32(bytes, pixels + 4, uint32_t(2 * frame.size()));
  bytes += frame;
  EXPECT_EQ(parse_dicom_header(bytes, "two.dcm").number_of_frames, 2);
  const std::string message = error_of([&] { decode_dicom(bytes, "two.dcm"); });
  EXPECT_NE(message.find("2 frames"), std::string::npos) << message;
}

TEST(DicomStructure, GarbageAfterAValidPreambleIsAnError) {
  std::string bytes(128, '\0');
  bytes += "DICM";
  bytes += std::string("\x02\x00\x10\x00UI\x40\x00", 8);  // a UID of 64 bytes, 3 present
  bytes += "1.2";
  EXPECT_NE(error_of([&] { decode_dicom(bytes, "meta.dcm"); }).find("meta.dcm: "),
            std::string::npos);
  std::string deep(128, '\0');  // sequences nested past any real file's depth
  deep += "DICM";
  for (int i = 0; i < 200; ++i)
    deep +=
        std::string("\x08\x00\x15\x11SQ\0\0\xFF\xFF\xFF\xFF\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF", 20);
  EXPECT_NE(error_of([&] { decode_dicom(deep, "deep.dcm"); }).find("deeper"), std::string::npos);
}

}  // namespace
}  // namespace deeptirp
