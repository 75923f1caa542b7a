#pragma once
// Reading the header facts and LUTs of a parsed DICOM data set (internal to the DICOM reader).
#include <gdcmFile.h>
#include <gdcmReader.h>

#include <optional>
#include <string>

#include "deeptirp/io/dicom.h"
#include "deeptirp/io/dicom_structure.h"

namespace deeptirp {

inline const gdcm::Tag kPixelData(0x7fe0, 0x0010);
inline const gdcm::Tag kModalityLutSequence(0x0028, 0x3000);
inline const gdcm::Tag kVoiLutSequence(0x0028, 0x3010);

// Lets `reader` (set on a stream over `bytes`) parse the data set once its structure is known to be
// whole (GDCM aborts on a truncated file), or throws Error naming `name`.
DicomStructure read_checked(gdcm::Reader& reader, std::string_view bytes, const std::string& name);

// A text element's value (CS, DA, DS, IS, LO, PN, SH, UI...) without the spaces or NULs that pad
// it; none when absent or empty.
std::optional<std::string> text_value(const gdcm::DataElement& de);
std::optional<std::string> text_value(const gdcm::DataSet& ds, const gdcm::Tag& tag);

// `name` labels error messages (a DS value that is not a number names its tag).
DicomHeader header_from_file(const gdcm::File& file, const std::string& name);

// The first item of a LUT sequence (Modality or VOI), or nothing when the sequence is absent.
std::optional<DicomLut> first_lut(const gdcm::DataSet& ds, const gdcm::Tag& sequence_tag,
                                  bool signed_input, const std::string& name);

}  // namespace deeptirp
