#pragma once
// A radiograph's clinical values from its own DICOM header, for the bundle's clinical model:
// `--clinical age=PatientAge --clinical sex=PatientSex --clinical site=BodyPartExamined`.
// PatientAge (an age string, "034Y", "006M", "010W", "020D") becomes years. A categorical value
// is matched to the training level that equals it ignoring case (DICOM's code strings are upper
// case: "TIBIA" is the level "tibia"); one matching no level is an Error naming the column, the
// value and the levels, never silently a new category.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gdcmTag.h>

#include "deeptirp/bundle/bundle.h"

namespace deeptirp::pacs {

struct ClinicalTag {
  std::string column, keyword;
  gdcm::Tag tag;
};

// "COLUMN=Keyword" each; Error for a column the bundle's clinical model lacks or a keyword that
// is not a public DICOM attribute.
std::vector<ClinicalTag> parse_clinical_tags(const std::vector<std::string>& specs,
                                             const bundle::Bundle& bundle);

// The values by column; an absent or empty attribute is missing (imputed by the bundle).
std::map<std::string, std::string> clinical_from_dicom(std::string_view dicom,
                                                       const std::string& name,
                                                       const std::vector<ClinicalTag>& tags,
                                                       const bundle::Bundle& bundle);

}  // namespace deeptirp::pacs
