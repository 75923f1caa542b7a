#pragma once
// The attributes of PS3.15 Table E.1-1 (Basic Application Level Confidentiality Profile) with the
// action this implementation takes for each (internal to dicom_deidentify.cpp). Where the table
// offers a choice (X/Z, X/Z/D), the strictest that keeps the output a valid instance: X unless the
// attribute is Type 2 in the radiograph IODs, then Z. UIDs (U), other person names, dates and
// private attributes are handled by rule, not listed here.
#include <cstdint>
#include <vector>

namespace deeptirp {

enum class ProfileAction {
  kRemove,     // X
  kEmpty,      // Z
  kPseudonym,  // D: Patient's Name and Patient ID become the patient's pseudonym
  kDate,       // a Type 2 date or time: shifted with the dates, emptied when dates are removed
};

struct ProfileAttribute {
  std::uint16_t group, element;
  ProfileAction action;
};

const std::vector<ProfileAttribute>& basic_profile_attributes();

}  // namespace deeptirp
