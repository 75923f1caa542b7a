#include "deeptirp/io/dicom.h"

#include <gdcmAttribute.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmUIDs.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"

namespace deeptirp {
namespace {

const gdcm::Tag kPixelData(0x7fe0, 0x0010);
const gdcm::Tag kModalityLutSequence(0x0028, 0x3000);
const gdcm::Tag kVoiLutSequence(0x0028, 0x3010);

std::string tag_name(const gdcm::Tag& tag) {
  char text[16];
  std::snprintf(text, sizeof text, "(%04X,%04X)", tag.GetGroup(), tag.GetElement());
  return text;
}

// Text VRs (CS, DS, IS, LO, UI) are padded with spaces or NUL to an even length.
std::optional<std::string> text_value(const gdcm::DataSet& ds, const gdcm::Tag& tag) {
  if (!ds.FindDataElement(tag)) return std::nullopt;
  const gdcm::ByteValue* value = ds.GetDataElement(tag).GetByteValue();
  if (!value) return std::nullopt;
  std::string text(value->GetPointer(), value->GetLength());
  const auto first = text.find_first_not_of(" \0", 0, 2);
  if (first == std::string::npos) return std::nullopt;
  return text.substr(first, text.find_last_not_of(" \0", std::string::npos, 2) - first + 1);
}

// First value of a DS or IS element (they may hold several, separated by '\').
std::optional<double> number_value(const gdcm::DataSet& ds, const gdcm::Tag& tag,
                                   const std::string& name) {
  const auto text = text_value(ds, tag);
  if (!text) return std::nullopt;
  const std::string first = text->substr(0, text->find('\\'));
  char* end = nullptr;
  const double value = std::strtod(first.c_str(), &end);
  if (end == first.c_str() || first.find_first_not_of(" ", end - first.c_str()) != std::string::npos)
    throw Error(name + ": DICOM tag " + tag_name(tag) + " holds '" + first + "', not a number");
  return value;
}

template <uint16_t Group, uint16_t Element>
std::optional<int> us_value(const gdcm::DataSet& ds) {
  gdcm::Attribute<Group, Element> attribute;
  if (!ds.FindDataElement(attribute.GetTag()) || ds.GetDataElement(attribute.GetTag()).IsEmpty())
    return std::nullopt;
  attribute.SetFromDataSet(ds);
  return static_cast<int>(attribute.GetValue());
}

std::optional<DicomLut> first_lut(const gdcm::DataSet& ds, const gdcm::Tag& sequence_tag,
                                  bool signed_input, const std::string& name) {
  if (!ds.FindDataElement(sequence_tag)) return std::nullopt;
  const gdcm::SmartPointer<gdcm::SequenceOfItems> items =
      ds.GetDataElement(sequence_tag).GetValueAsSQ();
  if (!items || items->GetNumberOfItems() == 0) return std::nullopt;
  const gdcm::DataSet& item = items->GetItem(1).GetNestedDataSet();
  const gdcm::Tag descriptor_tag(0x0028, 0x3002), data_tag(0x0028, 0x3006);
  const std::string where = name + ": DICOM tag " + tag_name(sequence_tag);
  if (!item.FindDataElement(descriptor_tag) || !item.FindDataElement(data_tag))
    throw Error(where + " lacks its LUT Descriptor (0028,3002) or LUT Data (0028,3006)");
  gdcm::Attribute<0x0028, 0x3002, gdcm::VR::US, gdcm::VM::VM3> descriptor;  // US or SS
  descriptor.SetFromDataSet(item);
  DicomLut lut;
  const size_t entries = descriptor.GetValue(0) == 0 ? 65536 : descriptor.GetValue(0);
  const uint16_t first = descriptor.GetValue(1);
  lut.first_mapped = signed_input ? static_cast<int16_t>(first) : first;
  lut.bits = descriptor.GetValue(2);
  const gdcm::ByteValue* data = item.GetDataElement(data_tag).GetByteValue();
  if (!data) throw Error(where + ": LUT Data (0028,3006) is empty");
  const auto* bytes = reinterpret_cast<const uint8_t*>(data->GetPointer());
  // 8-bit LUTs may be packed one entry per byte (PS3.3 C.11.1.1.1); otherwise one per 16-bit word.
  if (lut.bits <= 8 && data->GetLength() == entries) {
    lut.data.assign(bytes, bytes + entries);
  } else {
    if (data->GetLength() < 2 * entries)
      throw Error(where + ": LUT Data holds fewer entries than its descriptor's " +
                  std::to_string(entries));
    lut.data.resize(entries);
    for (size_t i = 0; i < entries; ++i) lut.data[i] = uint16_t(bytes[2 * i] | bytes[2 * i + 1] << 8);
  }
  return lut;
}

DicomHeader header_from_file(const gdcm::File& file, const std::string& name) {
  const gdcm::DataSet& ds = file.GetDataSet();
  DicomHeader header;
  header.modality = text_value(ds, gdcm::Tag(0x0008, 0x0060)).value_or("");
  header.rows = us_value<0x0028, 0x0010>(ds).value_or(0);
  header.columns = us_value<0x0028, 0x0011>(ds).value_or(0);
  header.samples_per_pixel = us_value<0x0028, 0x0002>(ds).value_or(1);
  header.bits_allocated = us_value<0x0028, 0x0100>(ds).value_or(0);
  header.bits_stored = us_value<0x0028, 0x0101>(ds).value_or(header.bits_allocated);
  header.pixel_representation = us_value<0x0028, 0x0103>(ds).value_or(0);
  header.photometric_interpretation = text_value(ds, gdcm::Tag(0x0028, 0x0004)).value_or("");
  const gdcm::TransferSyntax& ts = file.GetHeader().GetDataSetTransferSyntax();
  header.transfer_syntax_uid = ts.IsValid() ? ts.GetString() : "";
  gdcm::UIDs uid;
  if (uid.SetFromUID(header.transfer_syntax_uid.c_str())) header.transfer_syntax_name = uid.GetName();
  header.rescale_slope = number_value(ds, gdcm::Tag(0x0028, 0x1053), name).value_or(1.0);
  header.rescale_intercept = number_value(ds, gdcm::Tag(0x0028, 0x1052), name).value_or(0.0);
  header.window_center = number_value(ds, gdcm::Tag(0x0028, 0x1050), name);
  header.window_width = number_value(ds, gdcm::Tag(0x0028, 0x1051), name);
  header.voi_lut_function = text_value(ds, gdcm::Tag(0x0028, 0x1056)).value_or("LINEAR");
  header.number_of_frames =
      static_cast<int>(number_value(ds, gdcm::Tag(0x0028, 0x0008), name).value_or(1.0));
  header.has_modality_lut = ds.FindDataElement(kModalityLutSequence);
  header.has_voi_lut = ds.FindDataElement(kVoiLutSequence);
  header.has_pixel_data = ds.FindDataElement(kPixelData);
  return header;
}

std::string not_dicom_message(const std::string& name, std::string_view bytes) {
  if (bytes.empty()) return name + ": empty file, not a DICOM file";
  return name + ": not a DICOM file, or a truncated or corrupt one (GDCM could not parse it)";
}

void require_image_header(const DicomHeader& header, const std::string& name) {
  if (!header.has_pixel_data)
    throw Error(name + ": DICOM file holds no pixel data (7FE0,0010); it is not an image");
  if (header.rows <= 0 || header.columns <= 0)
    throw Error(name + ": DICOM Rows (0028,0010) or Columns (0028,0011) missing or zero");
  if (header.bits_allocated != 8 && header.bits_allocated != 16)
    throw Error(name + ": DICOM Bits Allocated (0028,0100) is " +
                std::to_string(header.bits_allocated) + "; only 8 and 16 are supported");
}

// Grey luma of a colour image as the decoder left it; YBR_FULL's Y is already BT.601 luma.
cv::Mat colour_to_grey(const cv::Mat& colour, gdcm::PhotometricInterpretation::PIType pi,
                       const std::string& name) {
  using PI = gdcm::PhotometricInterpretation;
  cv::Mat grey;
  switch (pi) {
    case PI::RGB:
      cv::cvtColor(colour, grey, cv::COLOR_RGB2GRAY);
      return grey;
    case PI::YBR_FULL:
    case PI::YBR_FULL_422:
      cv::extractChannel(colour, grey, 0);
      return grey;
    case PI::YBR_PARTIAL_422:
    case PI::YBR_PARTIAL_420: {
      cv::extractChannel(colour, grey, 0);  // Y in 16..235 (8 bit), PS3.3 C.7.6.3.1.2
      const double top = colour.depth() == CV_8U ? 255.0 : 65535.0;
      grey.convertTo(grey, -1, top / (219.0 / 255.0 * top), -16.0 / 219.0 * top);
      return grey;
    }
    default:
      throw Error(name + ": unsupported DICOM photometric interpretation " +
                  PI::GetPIString(pi) + " (0028,0004)");
  }
}

cv::Mat decode_first_frame(const gdcm::Image& image, const DicomHeader& header,
                           const std::string& name) {
  const gdcm::PixelFormat& format = image.GetPixelFormat();
  const int samples = format.GetSamplesPerPixel();
  const bool is_signed = format.GetPixelRepresentation() == 1;
  const int depth = format.GetBitsAllocated() == 8 ? (is_signed ? CV_8S : CV_8U)
                                                   : (is_signed ? CV_16S : CV_16U);
  const unsigned int* dims = image.GetDimensions();
  const int columns = static_cast<int>(dims[0]), rows = static_cast<int>(dims[1]);
  const int frames = image.GetNumberOfDimensions() > 2 ? static_cast<int>(dims[2]) : 1;
  if (rows != header.rows || columns != header.columns || samples < 1 || samples > 4)
    throw Error(name + ": DICOM image geometry is inconsistent with its header");
  // GDCM decodes every frame in one call; decode straight into the matrix (no extra copy).
  cv::Mat all(rows * frames, columns, CV_MAKETYPE(depth, samples));
  if (image.GetBufferLength() != all.total() * all.elemSize())
    throw Error(name + ": DICOM pixel data length does not match Rows x Columns x Bits Allocated");
  if (!image.GetBuffer(reinterpret_cast<char*>(all.data)))
    throw Error(name + ": cannot decode the pixel data (" + header.transfer_syntax_name +
                "); it may be truncated or corrupt");
  cv::Mat frame = frames > 1 ? all.rowRange(0, rows).clone() : all;
  if (samples == 3 && image.GetPlanarConfiguration() == 1) {
    cv::Mat planes = frame.reshape(1, 3 * rows);  // R plane, G plane, B plane
    cv::merge(std::vector<cv::Mat>{planes.rowRange(0, rows), planes.rowRange(rows, 2 * rows),
                                   planes.rowRange(2 * rows, 3 * rows)},
              frame);
  }
  const auto pi = image.GetPhotometricInterpretation().GetType();
  using PI = gdcm::PhotometricInterpretation;
  if (samples == 3) {
    frame = colour_to_grey(frame, pi, name);
  } else if (samples != 1 || (pi != PI::MONOCHROME1 && pi != PI::MONOCHROME2)) {
    throw Error(name + ": unsupported DICOM photometric interpretation '" +
                header.photometric_interpretation + "' (0028,0004)");
  }
  if (frame.depth() == CV_8U) frame.convertTo(frame, CV_16U);
  if (frame.depth() == CV_8S) frame.convertTo(frame, CV_16S);
  return frame;
}

// Why ImageReader failed: a complete data set without pixel data is a different error from a
// file that GDCM cannot parse at all (not DICOM, truncated). Only runs on the error path.
[[noreturn]] void explain_failure(std::string_view bytes, const std::string& name) {
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  if (reader.Read() && !reader.GetFile().GetDataSet().IsEmpty())
    require_image_header(header_from_file(reader.GetFile(), name), name);
  throw Error(not_dicom_message(name, bytes));
}

DicomImage decode_dicom_stream(std::istream& stream, std::string_view bytes,
                               const std::string& name) {
  gdcm::ImageReader reader;
  reader.SetStream(stream);
  if (!reader.Read()) explain_failure(bytes, name);
  DicomImage result;
  result.name = name;
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  result.header = header_from_file(reader.GetFile(), name);
  require_image_header(result.header, name);
  const bool signed_input = result.header.pixel_representation == 1;
  result.modality_lut = first_lut(ds, kModalityLutSequence, signed_input, name);
  result.voi_lut = first_lut(ds, kVoiLutSequence, signed_input, name);
  result.stored = decode_first_frame(reader.GetImage(), result.header, name);
  return result;
}

}  // namespace

double DicomLut::map(double stored) const {
  const double index = std::clamp(stored - first_mapped, 0.0, double(data.size() - 1));
  return data[static_cast<size_t>(index)];
}

bool looks_like_dicom(std::string_view bytes) {
  if (bytes.size() >= 132 && bytes.substr(128, 4) == "DICM") return true;
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  return reader.CanRead();
}

DicomHeader parse_dicom_header(std::string_view bytes, const std::string& name) {
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  const bool read = reader.Read();
  if (!read || reader.GetFile().GetDataSet().IsEmpty()) throw Error(not_dicom_message(name, bytes));
  return header_from_file(reader.GetFile(), name);
}

DicomHeader read_dicom_header(const std::filesystem::path& path) {
  return parse_dicom_header(read_file_bytes(path), path.string());
}

DicomImage decode_dicom(std::string_view bytes, const std::string& name) {
  MemoryStream stream(bytes);
  return decode_dicom_stream(stream, bytes, name);
}

DicomImage read_dicom(const std::filesystem::path& path) {
  return decode_dicom(read_file_bytes(path), path.string());
}

}  // namespace deeptirp
