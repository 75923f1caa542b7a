#include "deeptirp/pacs/result_dicom.h"

#include <gdcmImage.h>
#include <gdcmImageWriter.h>
#include <gdcmReader.h>
#include <gdcmWriter.h>

#include <chrono>
#include <ctime>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom_tags.h"
#include "deeptirp/io/dicom_write.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/version.h"

namespace deeptirp::pacs {
namespace {

using gdcm::Tag;
using gdcm::VR;

const char* const kEnhancedSr = "1.2.840.10008.5.1.4.1.1.88.22";
const char* const kSecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";
const char* const kScheme = "99DEEPTIRP";  // private coding scheme (PS3.16 8.2: "99" prefix)

}  // namespace

ResultSource read_result_source(std::string_view bytes, const std::string& name) {
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  read_checked(reader, bytes, name);
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  ResultSource s;
  s.name = name;
  s.study_uid = text_value(ds, Tag(0x0020, 0x000d)).value_or("");
  s.series_uid = text_value(ds, Tag(0x0020, 0x000e)).value_or("");
  s.sop_class = text_value(ds, Tag(0x0008, 0x0016)).value_or("");
  s.sop_instance = text_value(ds, Tag(0x0008, 0x0018)).value_or("");
  if (s.study_uid.empty() || s.series_uid.empty() || s.sop_class.empty() || s.sop_instance.empty())
    throw Error(name +
                ": a result needs the source's Study, Series and SOP Instance UIDs and "
                "SOP Class UID");
  // Patient and General Study modules; the Type 2 ones are written empty when absent.
  const std::vector<std::pair<Tag, VR>> copied = {
      {Tag(0x0010, 0x0010), VR::PN}, {Tag(0x0010, 0x0020), VR::LO}, {Tag(0x0010, 0x0030), VR::DA},
      {Tag(0x0010, 0x0040), VR::CS}, {Tag(0x0008, 0x0020), VR::DA}, {Tag(0x0008, 0x0030), VR::TM},
      {Tag(0x0008, 0x0090), VR::PN}, {Tag(0x0020, 0x0010), VR::SH}, {Tag(0x0008, 0x0050), VR::SH}};
  for (const auto& [tag, vr] : copied)
    put_element(s.patient_and_study, tag, vr, text_value(ds, tag).value_or(""));
  put_element(s.patient_and_study, Tag(0x0020, 0x000d), VR::UI, s.study_uid);
  return s;
}

namespace {

// Now, in local time: when the result was made.
std::pair<std::string, std::string> now_date_time() {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char date[16], time[16];
  std::strftime(date, sizeof date, "%Y%m%d", &local);
  std::strftime(time, sizeof time, "%H%M%S", &local);
  return {date, time};
}

// `kind`: "sr" | "heat map".
std::string result_uid(const std::string& source_sop_instance, const std::string& bundle_id,
                       const std::string& kind) {
  return derived_uid(source_sop_instance + "|" + bundle_id + "|" + kind);
}

// The attributes every result shares: patient, study, series, equipment, SOP common.
void common(gdcm::DataSet& ds, const ResultSource& s, const std::string& sop_class,
            const std::string& modality, const std::string& kind, const ResultIdentity& id) {
  for (auto it = s.patient_and_study.Begin(); it != s.patient_and_study.End(); ++it)
    ds.Replace(*it);
  put_element(ds, Tag(0x0008, 0x0016), VR::UI, sop_class);
  put_element(ds, Tag(0x0008, 0x0018), VR::UI, result_uid(s.sop_instance, id.bundle_id, kind));
  put_element(ds, Tag(0x0008, 0x0060), VR::CS, modality);
  put_element(ds, Tag(0x0020, 0x000e), VR::UI,
              derived_uid(s.study_uid + "|" + id.bundle_id + "|" + kind + " series"));
  put_element(ds, Tag(0x0020, 0x0011), VR::IS, kind == "sr" ? "9001" : "9002");
  put_element(ds, Tag(0x0020, 0x0013), VR::IS, "1");
  put_element(ds, Tag(0x0008, 0x0070), VR::LO, "deeptirp");
  put_element(ds, Tag(0x0018, 0x1020), VR::LO, id.deeptirp_version);
  put_element(ds, Tag(0x0008, 0x103e), VR::LO, "deeptirp " + kind + ", bundle " + id.bundle_id);
  const auto [date, time] = now_date_time();
  put_element(ds, Tag(0x0008, 0x0023), VR::DA, date);
  put_element(ds, Tag(0x0008, 0x0033), VR::TM, time);
}

gdcm::Item content_item(const std::string& relationship, const std::string& value_type,
                        const gdcm::Item& concept_name) {
  gdcm::Item item;
  item.SetVLToUndefined();
  gdcm::DataSet& ds = item.GetNestedDataSet();
  put_element(ds, Tag(0x0040, 0xa010), VR::CS, relationship);
  put_element(ds, Tag(0x0040, 0xa040), VR::CS, value_type);
  put_sequence(ds, Tag(0x0040, 0xa043), {concept_name});
  return item;
}

gdcm::Item text_item(const gdcm::Item& concept_name, const std::string& text) {
  gdcm::Item item = content_item("CONTAINS", "TEXT", concept_name);
  put_element(item.GetNestedDataSet(), Tag(0x0040, 0xa160), VR::UT, text);
  return item;
}

gdcm::Item number_item(const std::string& code, const std::string& meaning, double value) {
  gdcm::Item item = content_item("CONTAINS", "NUM", code_item(code, kScheme, meaning));
  gdcm::Item measured;
  measured.SetVLToUndefined();
  std::string number = format_number(value);
  if (number.size() > 16) number = number.substr(0, 16);  // DS holds 16 characters
  put_element(measured.GetNestedDataSet(), Tag(0x0040, 0xa30a), VR::DS, number);
  put_sequence(measured.GetNestedDataSet(), Tag(0x0040, 0x08ea),
               {code_item("1", "UCUM", "no units")});
  put_sequence(item.GetNestedDataSet(), Tag(0x0040, 0xa300), {measured});
  return item;
}

gdcm::Item referenced_sop(const std::string& sop_class, const std::string& sop_instance) {
  gdcm::Item item;
  item.SetVLToUndefined();
  put_element(item.GetNestedDataSet(), Tag(0x0008, 0x1150), VR::UI, sop_class);
  put_element(item.GetNestedDataSet(), Tag(0x0008, 0x1155), VR::UI, sop_instance);
  return item;
}

// Current Requested Procedure Evidence: the source, by study, series and instance.
gdcm::Item evidence(const ResultSource& s) {
  gdcm::Item series;
  series.SetVLToUndefined();
  put_element(series.GetNestedDataSet(), Tag(0x0020, 0x000e), VR::UI, s.series_uid);
  put_sequence(series.GetNestedDataSet(), Tag(0x0008, 0x1199),
               {referenced_sop(s.sop_class, s.sop_instance)});
  gdcm::Item study;
  study.SetVLToUndefined();
  put_element(study.GetNestedDataSet(), Tag(0x0020, 0x000d), VR::UI, s.study_uid);
  put_sequence(study.GetNestedDataSet(), Tag(0x0008, 0x1115), {series});
  return study;
}

// Explicit VR little endian, the transfer syntax every PACS accepts.
std::string write(gdcm::Writer& writer, const std::string& what) {
  writer.GetFile().GetHeader().SetDataSetTransferSyntax(
      gdcm::TransferSyntax::ExplicitVRLittleEndian);
  std::ostringstream out;
  writer.SetStream(out);
  if (!writer.Write()) throw Error(what + ": GDCM could not write the result");
  return out.str();
}

}  // namespace

ResultIdentity result_identity(const bundle::Bundle& bundle) {
  return {bundle.id(), kVersion, bundle.image_names(), bundle.threshold(), bundle.positive()};
}

ResultUids result_uids(const std::string& source_sop_instance, const std::string& bundle_id) {
  return {result_uid(source_sop_instance, bundle_id, "sr"),
          result_uid(source_sop_instance, bundle_id, "heat map")};
}

std::string structured_report(const ResultSource& s, const bundle::BundlePrediction& p,
                              const ResultIdentity& id) {
  gdcm::Writer writer;
  gdcm::DataSet& ds = writer.GetFile().GetDataSet();
  common(ds, s, kEnhancedSr, "SR", "sr", id);
  put_sequence(ds, Tag(0x0008, 0x1111), {});  // Referenced Performed Procedure Step (Type 2)
  put_element(ds, Tag(0x0040, 0xa491), VR::CS, "COMPLETE");
  put_element(ds, Tag(0x0040, 0xa493), VR::CS, "UNVERIFIED");
  put_sequence(ds, Tag(0x0040, 0xa372), {});  // Performed Procedure Code (Type 2)
  put_sequence(ds, Tag(0x0040, 0xa375), {evidence(s)});
  // The document's root: a container of the algorithm's identity, its input and its outputs.
  put_element(ds, Tag(0x0040, 0xa040), VR::CS, "CONTAINER");
  put_sequence(ds, Tag(0x0040, 0xa043), {code_item("BLC", kScheme, "Bone lesion classification")});
  put_element(ds, Tag(0x0040, 0xa050), VR::CS, "SEPARATE");
  std::vector<gdcm::Item> content = {
      text_item(code_item("111001", "DCM", "Algorithm Name"), "deeptirp bundle " + id.bundle_id),
      text_item(code_item("111003", "DCM", "Algorithm Version"), id.deeptirp_version)};
  gdcm::Item image =
      content_item("CONTAINS", "IMAGE", code_item("121112", "DCM", "Source of Measurement"));
  put_sequence(image.GetNestedDataSet(), Tag(0x0008, 0x1199),
               {referenced_sop(s.sop_class, s.sop_instance)});
  content.push_back(image);
  for (std::size_t j = 0; j < id.image_names.size() && j < p.image_probabilities.size(); ++j)
    content.push_back(number_item("P-" + id.image_names[j],
                                  "Probability of " + id.positive + ", " + id.image_names[j],
                                  p.image_probabilities[j]));
  content.push_back(
      number_item("P-clinical", "Probability of " + id.positive + ", clinical", p.clinical));
  content.push_back(
      number_item("P-ensemble", "Probability of " + id.positive + ", ensemble", p.ensemble));
  if (p.calibrated)
    content.push_back(number_item(
        "P-calibrated", "Calibrated probability of " + id.positive + ", ensemble", *p.calibrated));
  content.push_back(number_item("THRESHOLD", "Threshold of the ensemble", id.threshold));
  content.push_back(text_item(code_item("CLASS", kScheme, "Predicted class"), p.predicted_class));
  put_sequence(ds, Tag(0x0040, 0xa730), content);
  return write(writer, s.name);
}

std::string heat_map_capture(const ResultSource& s, const cv::Mat& overlay,
                             const ResultIdentity& id) {
  if (overlay.empty() || overlay.type() != CV_8UC3)
    throw Error(s.name + ": the heat map overlay must be 8-bit BGR");
  cv::Mat rgb;
  cv::cvtColor(overlay, rgb, cv::COLOR_BGR2RGB);
  gdcm::SmartPointer<gdcm::Image> image = new gdcm::Image;
  image->SetNumberOfDimensions(2);
  image->SetDimension(0, static_cast<unsigned int>(rgb.cols));
  image->SetDimension(1, static_cast<unsigned int>(rgb.rows));
  image->SetPhotometricInterpretation(gdcm::PhotometricInterpretation::RGB);
  image->SetPixelFormat(gdcm::PixelFormat(3, 8, 8, 7, 0));
  image->SetPlanarConfiguration(0);
  gdcm::DataElement pixels(Tag(0x7fe0, 0x0010));
  pixels.SetByteValue(reinterpret_cast<const char*>(rgb.data),
                      static_cast<gdcm::VL::Type>(rgb.total() * rgb.elemSize()));
  image->SetDataElement(pixels);
  gdcm::ImageWriter writer;
  writer.SetImage(*image);
  gdcm::DataSet& ds = writer.GetFile().GetDataSet();
  common(ds, s, kSecondaryCapture, "OT", "heat map", id);
  put_element(ds, Tag(0x0008, 0x0064), VR::CS, "WSD");  // workstation: derived, not acquired
  put_element(ds, Tag(0x0008, 0x0008), VR::CS, "DERIVED\\SECONDARY");
  put_element(ds, Tag(0x0020, 0x0020), VR::CS, "");  // Patient Orientation (Type 2C)
  put_element(ds, Tag(0x0020, 0x0060), VR::CS, "");  // Laterality (Type 2C)
  put_element(ds, Tag(0x0028, 0x0301), VR::CS, "NO");
  // Present before the writer looks (else GDCM warns on stderr and assumes MONOCHROME2 first).
  put_element(ds, Tag(0x0028, 0x0004), VR::CS, "RGB");
  put_sequence(ds, Tag(0x0008, 0x2112),
               {referenced_sop(s.sop_class, s.sop_instance)});  // Source Image Sequence
  return write(writer, s.name);
}

}  // namespace deeptirp::pacs
