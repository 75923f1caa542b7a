#pragma once
// Building DICOM data sets on GDCM: the writers' shared pieces (de-identification, the results a
// PACS receives). Values are padded to even lengths as PS3.5 6.2 asks.
#include <gdcmDataSet.h>
#include <gdcmItem.h>
#include <gdcmTag.h>
#include <gdcmVR.h>

#include <string>
#include <string_view>
#include <vector>

namespace deeptirp {

// A string value (UI padded with NUL, the rest with a space), replacing any element of `tag`.
void put_element(gdcm::DataSet& ds, const gdcm::Tag& tag, gdcm::VR vr, std::string value);

// A sequence of these items (none: an empty Type 2 sequence).
void put_sequence(gdcm::DataSet& ds, const gdcm::Tag& tag, const std::vector<gdcm::Item>& items);

// A code sequence item: Code Value, Coding Scheme Designator, Code Meaning.
gdcm::Item code_item(const std::string& value, const std::string& scheme,
                     const std::string& meaning);

// 2.25.<the first 16 bytes as a decimal number> (PS3.5 B.2): a UID that needs no registered root.
std::string uid_from_bytes(std::string_view bytes);
// The 2.25 UID of `text`'s SHA-256: the same text, the same UID.
std::string derived_uid(std::string_view text);

}  // namespace deeptirp
