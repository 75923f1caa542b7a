// Writing a synthetic radiograph as a DICOM file with GDCM, in memory so the caller can write it
// atomically. Every UID and date comes from the caller, so files are byte-identical on rerun.
#include <gdcmDataElement.h>
#include <gdcmImage.h>
#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmImageWriter.h>
#include <gdcmPhotometricInterpretation.h>
#include <gdcmPixelFormat.h>
#include <gdcmTransferSyntax.h>
#include <gdcmVR.h>

#include <sstream>
#include <vector>

#include "deeptirp/data/synth_internal.h"
#include "deeptirp/error.h"

namespace deeptirp::synth {
namespace {

void put(gdcm::DataSet& ds, std::uint16_t group, std::uint16_t element, const char* vr,
         std::string value) {
  const gdcm::VR::VRType type = gdcm::VR::GetVRType(vr);
  if (value.size() % 2) value += type == gdcm::VR::UI ? '\0' : ' ';  // even length (PS3.5 7.1)
  gdcm::DataElement de(gdcm::Tag(group, element));
  de.SetVR(type);
  de.SetByteValue(value.data(), static_cast<std::uint32_t>(value.size()));
  ds.Replace(de);
}

}  // namespace

std::string encode_dicom(const cv::Mat& stored, const DicomFields& f) {
  CV_Assert(stored.type() == CV_16UC1 && stored.isContinuous());
  gdcm::SmartPointer<gdcm::Image> image = new gdcm::Image;
  image->SetNumberOfDimensions(2);
  image->SetDimension(0, static_cast<unsigned int>(stored.cols));
  image->SetDimension(1, static_cast<unsigned int>(stored.rows));
  gdcm::PixelFormat format(gdcm::PixelFormat::UINT16);
  format.SetBitsAllocated(16);
  format.SetBitsStored(12);
  format.SetHighBit(11);
  image->SetPixelFormat(format);
  image->SetPhotometricInterpretation(f.monochrome1 ? gdcm::PhotometricInterpretation::MONOCHROME1
                                                    : gdcm::PhotometricInterpretation::MONOCHROME2);
  image->SetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);

  std::vector<std::uint16_t> values(stored.begin<std::uint16_t>(), stored.end<std::uint16_t>());
  if (f.monochrome1)
    for (auto& v : values) v = static_cast<std::uint16_t>(4095 - v);  // 0 = white
  std::string bytes(values.size() * 2, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) {  // little endian whatever the host
    bytes[2 * i] = static_cast<char>(values[i] & 0xFF);
    bytes[2 * i + 1] = static_cast<char>(values[i] >> 8);
  }
  gdcm::DataElement pixels(gdcm::Tag(0x7fe0, 0x0010));
  pixels.SetByteValue(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  image->SetDataElement(pixels);

  gdcm::ImageWriter writer;
  if (f.rle) {
    gdcm::ImageChangeTransferSyntax change;
    change.SetTransferSyntax(gdcm::TransferSyntax::RLELossless);
    change.SetInput(*image);
    if (!change.Change()) throw Error("synth: GDCM could not RLE-compress an image");
    writer.SetImage(change.GetOutput());
  } else {
    writer.SetImage(*image);
  }
  gdcm::DataSet& ds = writer.GetFile().GetDataSet();
  put(ds, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.1");  // Computed Radiography Image
  put(ds, 0x0008, 0x0018, "UI", f.instance_uid);
  put(ds, 0x0008, 0x0020, "DA", "20200101");
  put(ds, 0x0008, 0x0030, "TM", "120000");
  put(ds, 0x0008, 0x0060, "CS", "CR");
  put(ds, 0x0008, 0x0070, "LO", "deeptirp synth");
  put(ds, 0x0010, 0x0010, "PN", f.patient_name);
  put(ds, 0x0010, 0x0020, "LO", f.patient_id);
  put(ds, 0x0018, 0x0015, "CS", f.body_part);
  put(ds, 0x0018, 0x5101, "CS", f.view_position);
  put(ds, 0x0020, 0x000d, "UI", f.study_uid);
  put(ds, 0x0020, 0x000e, "UI", f.series_uid);
  put(ds, 0x0020, 0x0010, "SH", "1");
  // Type 2C in the CR IOD (a limb is a paired body part; a projection radiograph has no Image
  // Orientation): present, and empty, as the synthetic images have no side or orientation.
  put(ds, 0x0020, 0x0020, "CS", "");  // Patient Orientation
  put(ds, 0x0020, 0x0060, "CS", "");  // Laterality
  put(ds, 0x0020, 0x0011, "IS", std::to_string(f.series_number));
  put(ds, 0x0020, 0x0013, "IS", std::to_string(f.instance_number));
  // GDCM's writer consults the data set for this before it fills in the image's own attributes.
  put(ds, 0x0028, 0x0004, "CS", f.monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
  put(ds, 0x0028, 0x1050, "DS", "2048");  // the whole 12-bit range
  put(ds, 0x0028, 0x1051, "DS", "4096");

  std::ostringstream out;
  writer.SetStream(out);
  if (!writer.Write()) throw Error("synth: GDCM could not write a DICOM image");
  return out.str();
}

}  // namespace deeptirp::synth
