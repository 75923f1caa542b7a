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
#include "deeptirp/io/dicom_write.h"

namespace deeptirp::synth {

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
  put_element(ds, gdcm::Tag(0x0008, 0x0016), gdcm::VR::UI,
              "1.2.840.10008.5.1.4.1.1.1");  // Computed Radiography Image
  put_element(ds, gdcm::Tag(0x0008, 0x0018), gdcm::VR::UI, f.instance_uid);
  put_element(ds, gdcm::Tag(0x0008, 0x0020), gdcm::VR::DA, "20200101");
  put_element(ds, gdcm::Tag(0x0008, 0x0030), gdcm::VR::TM, "120000");
  put_element(ds, gdcm::Tag(0x0008, 0x0060), gdcm::VR::CS, "CR");
  put_element(ds, gdcm::Tag(0x0008, 0x0070), gdcm::VR::LO, "deeptirp synth");
  put_element(ds, gdcm::Tag(0x0010, 0x0010), gdcm::VR::PN, f.patient_name);
  put_element(ds, gdcm::Tag(0x0010, 0x0020), gdcm::VR::LO, f.patient_id);
  put_element(ds, gdcm::Tag(0x0018, 0x0015), gdcm::VR::CS, f.body_part);
  put_element(ds, gdcm::Tag(0x0018, 0x5101), gdcm::VR::CS, f.view_position);
  put_element(ds, gdcm::Tag(0x0020, 0x000d), gdcm::VR::UI, f.study_uid);
  put_element(ds, gdcm::Tag(0x0020, 0x000e), gdcm::VR::UI, f.series_uid);
  put_element(ds, gdcm::Tag(0x0020, 0x0010), gdcm::VR::SH, "1");
  // Type 2C in the CR IOD (a limb is a paired body part; a projection radiograph has no Image
  // Orientation): present, and empty, as the synthetic images have no side or orientation.
  put_element(ds, gdcm::Tag(0x0020, 0x0020), gdcm::VR::CS, "");  // Patient Orientation
  put_element(ds, gdcm::Tag(0x0020, 0x0060), gdcm::VR::CS, "");  // Laterality
  put_element(ds, gdcm::Tag(0x0020, 0x0011), gdcm::VR::IS, std::to_string(f.series_number));
  put_element(ds, gdcm::Tag(0x0020, 0x0013), gdcm::VR::IS, std::to_string(f.instance_number));
  // GDCM's writer consults the data set for this before it fills in the image's own attributes.
  put_element(ds, gdcm::Tag(0x0028, 0x0004), gdcm::VR::CS,
              f.monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
  put_element(ds, gdcm::Tag(0x0028, 0x1050), gdcm::VR::DS, "2048");  // the whole 12-bit range
  put_element(ds, gdcm::Tag(0x0028, 0x1051), gdcm::VR::DS, "4096");

  std::ostringstream out;
  writer.SetStream(out);
  if (!writer.Write()) throw Error("synth: GDCM could not write a DICOM image");
  return out.str();
}

}  // namespace deeptirp::synth
