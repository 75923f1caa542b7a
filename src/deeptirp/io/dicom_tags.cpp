#include "deeptirp/io/dicom_tags.h"

#include <gdcmAttribute.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmUIDs.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "deeptirp/error.h"

namespace deeptirp {
std::optional<std::string> text_value(const gdcm::DataElement& de) {
  const gdcm::ByteValue* value = de.GetByteValue();
  if (!value) return std::nullopt;
  std::string text(value->GetPointer(), value->GetLength());
  const auto first = text.find_first_not_of(" \0", 0, 2);
  if (first == std::string::npos) return std::nullopt;
  return text.substr(first, text.find_last_not_of(" \0", std::string::npos, 2) - first + 1);
}

std::optional<std::string> text_value(const gdcm::DataSet& ds, const gdcm::Tag& tag) {
  if (!ds.FindDataElement(tag)) return std::nullopt;
  return text_value(ds.GetDataElement(tag));
}

namespace {

std::string tag_name(const gdcm::Tag& tag) {
  char text[16];
  std::snprintf(text, sizeof text, "(%04X,%04X)", tag.GetGroup(), tag.GetElement());
  return text;
}

// First value of a DS or IS element (they may hold several, separated by '\').
std::optional<double> number_value(const gdcm::DataSet& ds, const gdcm::Tag& tag,
                                   const std::string& name) {
  const auto text = text_value(ds, tag);
  if (!text) return std::nullopt;
  std::string first = text->substr(0, text->find('\\'));
  first.erase(first.find_last_not_of(' ') + 1);
  const size_t start = first.find_first_not_of(" +");  // from_chars takes no leading '+'
  double value = 0;
  // std::from_chars: locale-independent (strtod would read "0,5" in a German locale).
  const auto [end, error] = std::from_chars(first.data() + std::min(start, first.size()),
                                            first.data() + first.size(), value);
  if (start == std::string::npos || error != std::errc() || end != first.data() + first.size())
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

}  // namespace

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
    for (size_t i = 0; i < entries; ++i)
      lut.data[i] = uint16_t(bytes[2 * i] | bytes[2 * i + 1] << 8);
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
  header.high_bit = us_value<0x0028, 0x0102>(ds).value_or(header.bits_stored - 1);
  header.pixel_representation = us_value<0x0028, 0x0103>(ds).value_or(0);
  header.photometric_interpretation = text_value(ds, gdcm::Tag(0x0028, 0x0004)).value_or("");
  const gdcm::TransferSyntax& ts = file.GetHeader().GetDataSetTransferSyntax();
  header.transfer_syntax_uid = ts.IsValid() ? ts.GetString() : "";
  gdcm::UIDs uid;
  if (uid.SetFromUID(header.transfer_syntax_uid.c_str()))
    header.transfer_syntax_name = uid.GetName();
  header.rescale_slope = number_value(ds, gdcm::Tag(0x0028, 0x1053), name).value_or(1.0);
  header.rescale_intercept = number_value(ds, gdcm::Tag(0x0028, 0x1052), name).value_or(0.0);
  header.window_center = number_value(ds, gdcm::Tag(0x0028, 0x1050), name);
  header.window_width = number_value(ds, gdcm::Tag(0x0028, 0x1051), name);
  header.voi_lut_function = text_value(ds, gdcm::Tag(0x0028, 0x1056)).value_or("LINEAR");
  const double frames = number_value(ds, gdcm::Tag(0x0028, 0x0008), name).value_or(1.0);
  if (!(frames >= 1 && frames <= 1e9) || frames != std::floor(frames))
    throw Error(name + ": DICOM Number of Frames (0028,0008) is " + std::to_string(frames) +
                ", not a count of frames");
  header.number_of_frames = static_cast<int>(frames);
  header.has_modality_lut = ds.FindDataElement(kModalityLutSequence);
  header.has_voi_lut = ds.FindDataElement(kVoiLutSequence);
  header.has_pixel_data = ds.FindDataElement(kPixelData);
  return header;
}

}  // namespace deeptirp
