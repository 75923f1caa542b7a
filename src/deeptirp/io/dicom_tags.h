#pragma once
// Reading the header facts and LUTs of a parsed DICOM data set (internal to the DICOM reader).
#include <gdcmFile.h>

#include <optional>
#include <string>

#include "deeptirp/io/dicom.h"

namespace deeptirp {

inline const gdcm::Tag kPixelData(0x7fe0, 0x0010);
inline const gdcm::Tag kModalityLutSequence(0x0028, 0x3000);
inline const gdcm::Tag kVoiLutSequence(0x0028, 0x3010);

// `name` labels error messages (a DS value that is not a number names its tag).
DicomHeader header_from_file(const gdcm::File& file, const std::string& name);

// The first item of a LUT sequence (Modality or VOI), or nothing when the sequence is absent.
std::optional<DicomLut> first_lut(const gdcm::DataSet& ds, const gdcm::Tag& sequence_tag,
                                  bool signed_input, const std::string& name);

}  // namespace deeptirp
