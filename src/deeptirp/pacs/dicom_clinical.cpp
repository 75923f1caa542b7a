#include "deeptirp/pacs/dicom_clinical.h"

#include <gdcmDict.h>
#include <gdcmDicts.h>
#include <gdcmGlobal.h>
#include <gdcmReader.h>

#include <algorithm>
#include <cctype>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom_tags.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/io/text.h"

namespace deeptirp::pacs {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// PS3.5 6.2 AS: three digits and D, W, M or Y.
std::string age_in_years(const std::string& age, const std::string& where) {
  static const std::map<char, double> per_year = {
      {'D', 365.25}, {'W', 365.25 / 7}, {'M', 12}, {'Y', 1}};
  const auto unit = age.empty() ? per_year.end() : per_year.find(age.back());
  if (age.size() != 4 || unit == per_year.end() ||
      !std::all_of(age.begin(), age.end() - 1, [](unsigned char c) { return std::isdigit(c); }))
    throw Error(where + ": '" + age + "' is not an age string (nnnD, nnnW, nnnM or nnnY)");
  return format_number(std::stoi(age.substr(0, 3)) / unit->second);
}

}  // namespace

std::vector<ClinicalTag> parse_clinical_tags(const std::vector<std::string>& specs,
                                             const bundle::Bundle& bundle) {
  std::vector<std::string> columns = bundle.numeric_columns();
  for (const auto& c : bundle.categorical_columns()) columns.push_back(c);
  const gdcm::Dict& dict = gdcm::Global::GetInstance().GetDicts().GetPublicDict();
  std::vector<ClinicalTag> out;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    ClinicalTag t;
    t.column = spec.substr(0, eq);
    t.keyword = eq == std::string::npos ? "" : spec.substr(eq + 1);
    if (t.column.empty() || t.keyword.empty())
      throw Error("--clinical '" + spec + "': expected COLUMN=Keyword (age=PatientAge)");
    if (std::find(columns.begin(), columns.end(), t.column) == columns.end()) {
      throw Error("--clinical '" + spec + "': the bundle's clinical model has no column '" +
                  t.column + "' (it has: " + join(columns) + ")");
    }
    dict.GetDictEntryByKeyword(t.keyword.c_str(), t.tag);
    if (t.tag == gdcm::Tag(0xffff, 0xffff))
      throw Error("--clinical '" + spec + "': '" + t.keyword +
                  "' is not a DICOM attribute keyword (PatientAge, PatientSex, BodyPartExamined)");
    out.push_back(t);
  }
  return out;
}

std::map<std::string, std::string> clinical_from_dicom(std::string_view dicom,
                                                       const std::string& name,
                                                       const std::vector<ClinicalTag>& tags,
                                                       const bundle::Bundle& bundle) {
  std::map<std::string, std::string> values;
  if (tags.empty()) return values;
  MemoryStream stream(dicom);
  gdcm::Reader reader;
  reader.SetStream(stream);
  read_checked(reader, dicom, name);
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  for (const auto& t : tags) {
    std::string value = text_value(ds, t.tag).value_or("");
    if (value.empty()) continue;  // missing: imputed
    const std::string where = name + ", " + t.keyword + " for column '" + t.column + "'";
    if (t.tag == gdcm::Tag(0x0010, 0x1010)) value = age_in_years(value, where);
    const std::vector<std::string> levels = bundle.levels(t.column);
    if (!levels.empty()) {
      const auto level = std::find_if(levels.begin(), levels.end(), [&](const std::string& l) {
        return lower(l) == lower(value);
      });
      if (level == levels.end()) {
        throw Error(where + ": '" + value + "' is none of the levels the model was trained on (" +
                    join(levels) + ")");
      }
      value = *level;
    }
    values[t.column] = value;
  }
  return values;
}

}  // namespace deeptirp::pacs
