#pragma once
// DICOM radiographs through GDCM: the header facts the study needs, the stored pixel values, and
// the standard display pipeline (PS3.3 C.11: Modality LUT, VOI LUT, MONOCHROME1 inversion).
//
// Before GDCM sees the bytes, their element structure is walked (dicom_structure.h): GDCM asserts,
// and so aborts the process, on a file cut short. Pixel data must then be complete: a native Pixel
// Data element must hold exactly Rows x Columns x Samples x Bits Allocated (one pad byte allowed),
// JPEG-family fragments must end with their end marker, and a multi-frame file is refused (a
// radiograph is one frame; taking the first silently would hide a wrong input).
//
// Stored values come back as one cv::Mat per image:
//   - CV_16UC1 for unsigned data (PixelRepresentation 0), 8-bit data widened without scaling;
//   - CV_16SC1 for signed data (PixelRepresentation 1);
//   - colour data (RGB, YBR_*) converted to grey luma (ITU-R BT.601, as a radiograph sent as a
//     secondary capture shows it).
// BitsAllocated above 16 is refused: no radiograph needs it, and it keeps every stored value
// inside a 65536-entry lookup table.
//
// Every function is thread-safe (no shared mutable state) and throws deeptirp::Error whose message
// names the file (or the `name` given with bytes) and, where it helps, the DICOM tag. Messages
// never contain patient identifiers.
#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deeptirp {

struct DicomHeader {
  std::string modality;                    // (0008,0060), empty when absent
  int rows = 0;                            // (0028,0010)
  int columns = 0;                         // (0028,0011)
  int samples_per_pixel = 1;               // (0028,0002)
  int bits_allocated = 0;                  // (0028,0100)
  int bits_stored = 0;                     // (0028,0101)
  int high_bit = -1;                       // (0028,0102); bits_stored - 1 when absent
  int pixel_representation = 0;            // (0028,0103): 0 unsigned, 1 two's complement
  std::string photometric_interpretation;  // (0028,0004), e.g. MONOCHROME1
  std::string transfer_syntax_uid;         // (0002,0010), or what GDCM inferred without meta
  std::string transfer_syntax_name;        // e.g. "JPEG-LS Lossless Image Compression"
  double rescale_slope = 1.0;              // (0028,1053), 1 when absent
  double rescale_intercept = 0.0;          // (0028,1052), 0 when absent
  std::optional<double> window_center;     // first value of (0028,1050)
  std::optional<double> window_width;      // first value of (0028,1051)
  std::string voi_lut_function;            // (0028,1056): LINEAR (default), LINEAR_EXACT, SIGMOID
  int number_of_frames = 1;                // (0028,0008)
  bool has_modality_lut = false;           // Modality LUT Sequence (0028,3000) present
  bool has_voi_lut = false;                // VOI LUT Sequence (0028,3010) present
  bool has_pixel_data = false;             // (7FE0,0010) present
  // Why the pixel data cannot be decoded as declared (cut short, a length that contradicts Rows,
  // Columns and Bits Allocated, bits out of range, several frames); empty when it can.
  std::string pixel_data_problem;
};

// A LUT as PS3.3 C.11.1.1 describes it: values below `first_mapped` map to the first entry,
// values past the end to the last.
struct DicomLut {
  int first_mapped = 0;
  int bits = 16;  // third value of the LUT Descriptor
  std::vector<uint16_t> data;
  double map(double stored) const;
};

struct DicomImage {
  std::string name;  // the path or the name given with the bytes, for error messages
  DicomHeader header;
  cv::Mat stored;                        // see the top of this file for its type
  std::optional<DicomLut> modality_lut;  // first item of (0028,3000)
  std::optional<DicomLut> voi_lut;       // first item of (0028,3010)
};

// True when the bytes start like DICOM: a 128-byte preamble and "DICM", or a data set without
// meta header whose first elements GDCM can parse. Does not prove the rest is readable.
bool looks_like_dicom(std::string_view bytes);

// Header only (pixel data is not decoded). Throws when the input is not DICOM.
DicomHeader read_dicom_header(const std::filesystem::path& path);
DicomHeader parse_dicom_header(std::string_view bytes, const std::string& name);

// Header and stored values of the first frame. Throws when there is no pixel data, the data is
// truncated or undecodable, or the photometric interpretation is not MONOCHROME1/2, RGB or YBR_*.
DicomImage read_dicom(const std::filesystem::path& path);
DicomImage decode_dicom(std::string_view bytes, const std::string& name);

// Modality values (Modality LUT Sequence when present, else Rescale Slope/Intercept), CV_32FC1.
cv::Mat modality_values(const DicomImage& image);

// Display-ready image, CV_16UC1 0..65535, bone bright: Modality LUT, then VOI (VOI LUT Sequence;
// else the first Window Center/Width with its VOI LUT Function; else a 0.5-99.5 percentile window
// of the modality values), then MONOCHROME1 inverted.
cv::Mat display_image(const DicomImage& image);

}  // namespace deeptirp
