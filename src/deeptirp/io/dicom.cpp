#include "deeptirp/io/dicom.h"

#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfFragments.h>

#include <algorithm>
#include <cstdlib>
#include <opencv2/imgproc.hpp>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom_rle.h"
#include "deeptirp/io/dicom_structure.h"
#include "deeptirp/io/dicom_tags.h"
#include "deeptirp/io/jpeg_header.h"

namespace deeptirp {
namespace {

void require_image_header(const DicomHeader& header, const std::string& name) {
  if (!header.has_pixel_data)
    throw Error(name + ": DICOM file holds no pixel data (7FE0,0010); it is not an image");
  if (header.rows <= 0 || header.columns <= 0)
    throw Error(name + ": DICOM Rows (0028,0010) or Columns (0028,0011) missing or zero");
  using PI = gdcm::PhotometricInterpretation;
  switch (PI::GetPIType(header.photometric_interpretation.c_str())) {
    case PI::MONOCHROME1:
    case PI::MONOCHROME2:
    case PI::RGB:
    case PI::YBR_FULL:
    case PI::YBR_FULL_422:
    case PI::YBR_PARTIAL_422:
    case PI::YBR_PARTIAL_420:
    case PI::YBR_ICT:
    case PI::YBR_RCT:
      break;
    default:
      throw Error(name + ": unsupported DICOM photometric interpretation '" +
                  header.photometric_interpretation + "' (0028,0004)");
  }
  if (header.samples_per_pixel != 1 && header.samples_per_pixel != 3)
    throw Error(name + ": DICOM Samples per Pixel (0028,0002) is " +
                std::to_string(header.samples_per_pixel) +
                "; only 1 (grey) and 3 (colour) are read");
  if (header.bits_allocated != 8 && header.bits_allocated != 16)
    throw Error(name + ": DICOM Bits Allocated (0028,0100) is " +
                std::to_string(header.bits_allocated) + "; only 8 and 16 are supported");
}

constexpr uint64_t kMaxPixelBytes = 1ull << 30;  // 1 GiB; a 4k x 4k 16-bit radiograph is 32 MiB

// The number after 1.2.840.10008.1.2.4. (JPEG 50-70, JPEG-LS 80-81, JPEG 2000 90-93), or 0.
int jpeg_syntax_number(const std::string& uid) {
  const std::string prefix = "1.2.840.10008.1.2.4.";
  if (uid.compare(0, prefix.size(), prefix) != 0) return 0;
  return std::atoi(uid.c_str() + prefix.size());
}

// JPEG baseline to JPEG 2000 (.50-.93): their codestreams end with FF D9.
bool is_jpeg_family(const std::string& uid) {
  const int number = jpeg_syntax_number(uid);
  return number >= 50 && number <= 93;
}

std::string bits_problem(const DicomHeader& h) {
  const std::string bits = "Bits Stored (0028,0101) " + std::to_string(h.bits_stored) +
                           ", High Bit (0028,0102) " + std::to_string(h.high_bit) +
                           ", Bits Allocated (0028,0100) " + std::to_string(h.bits_allocated);
  if (h.bits_stored < 1 || h.bits_stored > h.bits_allocated)
    return bits + ": Bits Stored must lie in 1..Bits Allocated";
  if (h.high_bit < h.bits_stored - 1 || h.high_bit >= h.bits_allocated)
    return bits + ": High Bit must lie in Bits Stored - 1..Bits Allocated - 1";
  return "";
}

std::string pixel_data_problem(const DicomHeader& h, const PixelDataExtent& pixels) {
  if (!pixels.present || h.bits_allocated <= 0) return "";
  if (std::string bits = bits_problem(h); !bits.empty()) return bits;
  if (h.number_of_frames != 1)
    return "it holds " + std::to_string(h.number_of_frames) +
           " frames (0028,0008); deeptirp reads single-frame radiographs";
  const uint64_t expected = uint64_t(h.rows) * uint64_t(h.columns) *
                            uint64_t(std::max(h.samples_per_pixel, 1)) *
                            uint64_t((h.bits_allocated + 7) / 8);
  if (expected > kMaxPixelBytes)
    return "its header declares " + std::to_string(expected >> 20) +
           " MiB of pixels (Rows x Columns x Samples x Bits Allocated), over the limit of " +
           std::to_string(kMaxPixelBytes >> 20) + " MiB";
  const std::string declared =
      "Rows x Columns x Samples x Bits Allocated give " + std::to_string(expected) + " bytes";
  if (!pixels.encapsulated && pixels.length < expected)
    return "Pixel Data (7FE0,0010) holds " + std::to_string(pixels.length) + " bytes but " +
           declared + ": the pixel data is cut short";
  if (!pixels.encapsulated && pixels.length > expected + 1)
    return "Pixel Data (7FE0,0010) holds " + std::to_string(pixels.length) + " bytes but " +
           declared + ": the header contradicts the pixel data";
  if (pixels.encapsulated && pixels.fragments == 0)
    return "its compressed Pixel Data (7FE0,0010) holds no fragment";
  if (pixels.encapsulated && is_jpeg_family(h.transfer_syntax_uid) && !pixels.ends_with_eoi)
    return "its compressed pixel data does not end with the codestream's end marker (FF D9): "
           "it is cut short";
  if (pixels.encapsulated && jpeg_syntax_number(h.transfer_syntax_uid) <= 70 &&
      is_jpeg_family(h.transfer_syntax_uid) && !pixels.first_fragment.empty())
    return jpeg_header_problem(pixels.first_fragment, h.rows, h.columns, h.samples_per_pixel);
  return "";
}

// Grey luma of a colour image as the decoder left it; YBR_FULL's Y is already BT.601 luma.
cv::Mat colour_to_grey(const cv::Mat& colour, gdcm::PhotometricInterpretation::PIType pi,
                       const std::string& name) {
  using PI = gdcm::PhotometricInterpretation;
  cv::Mat grey;
  switch (pi) {
    case PI::RGB:
    case PI::YBR_ICT:  // JPEG 2000's component transform: OpenJPEG already returns RGB
    case PI::YBR_RCT:
      cv::cvtColor(colour, grey, cv::COLOR_RGB2GRAY);
      return grey;
    case PI::YBR_FULL:
    case PI::YBR_FULL_422:
      cv::extractChannel(colour, grey, 0);
      return grey;
    case PI::YBR_PARTIAL_422:
    case PI::YBR_PARTIAL_420: {
      // Y spans 16..235 of 255 levels (PS3.3 C.7.6.3.1.2); stretch it to the full range.
      cv::extractChannel(colour, grey, 0);
      const double level = colour.depth() == CV_8U ? 1.0 : 257.0;
      grey.convertTo(grey, -1, 255.0 / 219.0, -16.0 * level * 255.0 / 219.0);
      return grey;
    }
    default:
      throw Error(name + ": unsupported DICOM photometric interpretation " + PI::GetPIString(pi) +
                  " (0028,0004)");
  }
}

// Stored samples as GDCM and our RLE decoder lay them out.
int stored_type(const DicomHeader& header) {
  const bool is_signed = header.pixel_representation == 1;
  const int depth =
      header.bits_allocated == 8 ? (is_signed ? CV_8S : CV_8U) : (is_signed ? CV_16S : CV_16U);
  return CV_MAKETYPE(depth, header.samples_per_pixel);
}

// Monochrome frames pass through (8-bit widened to 16, values unchanged); colour becomes grey.
cv::Mat to_grey(cv::Mat frame, const std::string& photometric, const std::string& name) {
  using PI = gdcm::PhotometricInterpretation;
  const PI::PIType pi = PI::GetPIType(photometric.c_str());
  if (frame.channels() == 3) {
    frame = colour_to_grey(frame, pi, name);
  } else if (frame.channels() != 1 || (pi != PI::MONOCHROME1 && pi != PI::MONOCHROME2)) {
    throw Error(name + ": unsupported DICOM photometric interpretation '" + photometric +
                "' (0028,0004)");
  }
  if (frame.depth() == CV_8U) frame.convertTo(frame, CV_16U);
  if (frame.depth() == CV_8S) frame.convertTo(frame, CV_16S);
  return frame;
}

// RLE Lossless monochrome data (one frame: others are refused) goes to our decoder (dicom_rle.h),
// straight from the parsed fragments: GDCM's ImageReader would run its slow RLE decoder once while
// reading (to set its lossy flag) and again for the pixels. Returns an empty matrix for the other
// cases.
cv::Mat decode_rle_fast(const gdcm::DataSet& ds, const DicomHeader& header,
                        const std::string& name) {
  if (header.transfer_syntax_uid !=
          gdcm::TransferSyntax::GetTSString(gdcm::TransferSyntax::RLELossless) ||
      header.samples_per_pixel != 1)
    return cv::Mat();
  const gdcm::SequenceOfFragments* fragments =
      ds.GetDataElement(kPixelData).GetSequenceOfFragments();
  if (!fragments || fragments->GetNumberOfFragments() == 0) return cv::Mat();
  std::string joined;  // a frame split over several fragments (D_CLUNIE_CT1_RLE_FRAGS)
  std::string_view frame;
  for (size_t i = 0; i < fragments->GetNumberOfFragments(); ++i) {
    const gdcm::ByteValue* bytes = fragments->GetFragment(i).GetByteValue();
    if (!bytes) throw Error(name + ": empty RLE fragment in the pixel data");
    frame = std::string_view(bytes->GetPointer(), bytes->GetLength());
    if (fragments->GetNumberOfFragments() > 1) joined.append(frame);
  }
  if (fragments->GetNumberOfFragments() > 1) frame = joined;
  cv::Mat out(header.rows, header.columns, stored_type(header));
  decode_rle_frame(frame, out, name);
  return out;
}

cv::Mat decode_with_gdcm(std::string_view bytes, std::string_view icon, const DicomHeader& header,
                         const std::string& name) {
  std::string without_icon;  // see DicomStructure::icon_sequence
  if (!icon.empty()) {
    const size_t at = size_t(icon.data() - bytes.data());
    without_icon.reserve(bytes.size() - icon.size());
    without_icon.append(bytes.substr(0, at)).append(bytes.substr(at + icon.size()));
    bytes = without_icon;
  }
  MemoryStream stream(bytes);
  gdcm::ImageReader reader;
  reader.SetStream(stream);
  if (!reader.Read())
    throw Error(name + ": GDCM cannot read the image (" + header.transfer_syntax_name +
                "); the file may be truncated or corrupt");
  const gdcm::Image& image = reader.GetImage();
  const unsigned int* dims = image.GetDimensions();
  const bool one_frame = image.GetNumberOfDimensions() < 3 || dims[2] == 1;  // others refused
  if (int(dims[0]) != header.columns || int(dims[1]) != header.rows || !one_frame ||
      image.GetPixelFormat().GetSamplesPerPixel() != header.samples_per_pixel)
    throw Error(name + ": DICOM image geometry is inconsistent with its header");
  // Decode straight into the matrix (no extra copy).
  cv::Mat frame(header.rows, header.columns, stored_type(header));
  if (image.GetBufferLength() != frame.total() * frame.elemSize())
    throw Error(name + ": DICOM pixel data length does not match Rows x Columns x Bits Allocated");
  if (!image.GetBuffer(reinterpret_cast<char*>(frame.data)))
    throw Error(name + ": cannot decode the pixel data (" + header.transfer_syntax_name +
                "); it may be truncated or corrupt");
  if (frame.channels() == 3 && image.GetPlanarConfiguration() == 1) {
    const int rows = header.rows;
    cv::Mat planes = frame.reshape(1, 3 * rows);  // colour by plane (PS3.3 C.7.6.3.1.3)
    cv::merge(std::vector<cv::Mat>{planes.rowRange(0, rows), planes.rowRange(rows, 2 * rows),
                                   planes.rowRange(2 * rows, 3 * rows)},
              frame);
  }
  // The decoder may have changed the colour space (JPEG 2000 YBR_ICT -> RGB): ask GDCM.
  return to_grey(frame, image.GetPhotometricInterpretation().GetString(), name);
}

DicomHeader parse(gdcm::Reader& reader, std::string_view bytes, const std::string& name,
                  std::string_view* icon = nullptr) {
  const DicomStructure structure = read_checked(reader, bytes, name);
  if (icon) *icon = structure.icon_sequence;
  DicomHeader header = header_from_file(reader.GetFile(), name);
  header.pixel_data_problem = pixel_data_problem(header, structure.pixel_data);
  return header;
}

}  // namespace

DicomStructure read_checked(gdcm::Reader& reader, std::string_view bytes, const std::string& name) {
  if (bytes.empty()) throw Error(name + ": empty file, not a DICOM file");
  if (!starts_like_dicom(bytes)) throw Error(name + ": not a DICOM file");
  DicomStructure structure = check_dicom_structure(bytes, name);
  if (!reader.Read() || reader.GetFile().GetDataSet().IsEmpty())
    throw Error(name + ": not a DICOM file, or a truncated or corrupt one (GDCM cannot parse it)");
  return structure;
}

double DicomLut::map(double stored) const {
  const double index = std::clamp(stored - first_mapped, 0.0, double(data.size() - 1));
  return data[static_cast<size_t>(index)];
}

bool looks_like_dicom(std::string_view bytes) { return starts_like_dicom(bytes); }

DicomHeader parse_dicom_header(std::string_view bytes, const std::string& name) {
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  return parse(reader, bytes, name);
}

DicomHeader read_dicom_header(const std::filesystem::path& path) {
  return parse_dicom_header(read_file_bytes(path), path.string());
}

DicomImage decode_dicom(std::string_view bytes, const std::string& name) {
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  DicomImage result;
  result.name = name;
  std::string_view icon;
  result.header = parse(reader, bytes, name, &icon);
  require_image_header(result.header, name);
  if (!result.header.pixel_data_problem.empty())
    throw Error(name + ": DICOM pixel data unusable: " + result.header.pixel_data_problem);
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  const bool signed_input = result.header.pixel_representation == 1;
  result.modality_lut = first_lut(ds, kModalityLutSequence, signed_input, name);
  result.voi_lut = first_lut(ds, kVoiLutSequence, signed_input, name);
  cv::Mat frame = decode_rle_fast(ds, result.header, name);
  result.stored = frame.empty() ? decode_with_gdcm(bytes, icon, result.header, name)
                                : to_grey(frame, result.header.photometric_interpretation, name);
  return result;
}

DicomImage read_dicom(const std::filesystem::path& path) {
  return decode_dicom(read_file_bytes(path), path.string());
}

}  // namespace deeptirp
