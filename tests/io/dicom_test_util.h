#pragma once
// Shared by the DICOM tests: where the sample files are, and their reference stored values.
#include <gdcmReader.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace deeptirp::testing {

inline std::filesystem::path dicom_dir() { return shared_dir() / "data" / "dicom"; }

inline std::string dicom_file(const std::string& name) { return (dicom_dir() / name).string(); }

// The stored values of the uncompressed original (16-bit PNG, read unchanged).
inline cv::Mat reference_stored(const std::string& reference_png) {
  return cv::imread(dicom_file(reference_png), cv::IMREAD_UNCHANGED);
}

inline int count_different(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return -1;
  return cv::countNonZero(a.reshape(1) != b.reshape(1));
}

// PatientName (0010,0010) and PatientID (0010,0020) of a file, read with GDCM directly, plus the
// name's longer components ("CompressedSamples^RG2" -> also "CompressedSamples").
inline std::vector<std::string> patient_identifiers(const std::string& path) {
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  if (!reader.Read()) return {};
  std::vector<std::string> values;
  for (const gdcm::Tag tag : {gdcm::Tag(0x0010, 0x0010), gdcm::Tag(0x0010, 0x0020)}) {
    const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
    if (!ds.FindDataElement(tag) || !ds.GetDataElement(tag).GetByteValue()) continue;
    const gdcm::ByteValue* v = ds.GetDataElement(tag).GetByteValue();
    std::string text(v->GetPointer(), v->GetLength());
    text.erase(text.find_last_not_of(std::string(" \0", 2)) + 1);
    if (text.size() >= 2) values.push_back(text);
    for (size_t start = 0, caret; (caret = text.find('^', start)) != std::string::npos;
         start = caret + 1)
      if (caret - start >= 4) values.push_back(text.substr(start, caret - start));
  }
  return values;
}

}  // namespace deeptirp::testing
