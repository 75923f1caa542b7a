#include "deeptirp/io/dicom_deidentify.h"

#include <gdcmDataSetHelper.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmUIDs.h>
#include <gdcmWriter.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/date_time/gregorian/gregorian.hpp>
#include <map>
#include <random>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/deidentify_profile.h"
#include "deeptirp/io/dicom_tags.h"
#include "deeptirp/io/dicom_write.h"
#include "deeptirp/io/progress.h"
#include "deeptirp/io/sha256.h"
#include "deeptirp/io/text.h"
#include "deeptirp/version.h"

namespace deeptirp {
namespace {

const gdcm::Tag kPatientName(0x0010, 0x0010), kPatientId(0x0010, 0x0020),
    kSopInstanceUid(0x0008, 0x0018), kBurnedInAnnotation(0x0028, 0x0301);

std::string value_of(const gdcm::DataElement& de) { return text_value(de).value_or(""); }

void set_empty(gdcm::DataSet& ds, const gdcm::DataElement& de, gdcm::VR vr) {
  gdcm::DataElement empty(de.GetTag());
  empty.SetVR(vr);
  empty.Empty();
  ds.Replace(empty);
}

std::vector<std::string> split_values(const std::string& value) {
  std::vector<std::string> out;
  std::stringstream in(value);
  for (std::string v; std::getline(in, v, '\\');) out.push_back(v);
  return out;
}

// A DA value (or a DT's date part) moved by `days`; a value that is not YYYYMMDD is removed
// rather than kept, as it cannot be shifted.
std::optional<std::string> shift_date(const std::string& value, int days) {
  if (value.size() < 8 || value.find_first_not_of("0123456789") < 8) return std::nullopt;
  try {
    const boost::gregorian::date date(std::stoi(value.substr(0, 4)), std::stoi(value.substr(4, 2)),
                                      std::stoi(value.substr(6, 2)));
    return boost::gregorian::to_iso_string(date + boost::gregorian::days(days)) + value.substr(8);
  } catch (const std::out_of_range&) {  // no such day (Boost's bad_day_of_month and the like)
    return std::nullopt;
  }
}

// UIDs that name a kind of object, not an object: kept even when they are not in GDCM's table of
// the standard's (a private SOP class, a coding scheme's UID).
bool names_a_class(const gdcm::Tag& tag) {
  static const std::vector<gdcm::Tag> classes = {
      {0x0008, 0x0016},  // SOP Class UID
      {0x0008, 0x001A},  // Related General SOP Class UID
      {0x0008, 0x001B},  // Original Specialized SOP Class UID
      {0x0008, 0x0062},  // SOP Classes in Study
      {0x0008, 0x010C},  // Coding Scheme UID
      {0x0008, 0x1150},  // Referenced SOP Class UID
      {0x0004, 0x1510},  // Referenced SOP Class UID in File
      {0x0004, 0x1512},  // Referenced Transfer Syntax UID in File
      {0x0400, 0x0010},  // MAC Calculation Transfer Syntax UID
      {0x0400, 0x0510},  // Encrypted Content Transfer Syntax UID
  };
  return std::find(classes.begin(), classes.end(), tag) != classes.end();
}

bool is_standard_uid(const std::string& uid) {
  gdcm::UIDs known;
  return known.SetFromUID(uid.c_str());
}

const std::map<std::uint32_t, ProfileAction>& profile_by_tag() {
  static const std::map<std::uint32_t, ProfileAction> by_tag = [] {
    std::map<std::uint32_t, ProfileAction> m;
    for (const auto& a : basic_profile_attributes())
      m[(std::uint32_t{a.group} << 16) | a.element] = a.action;
    return m;
  }();
  return by_tag;
}

// One instance's pass over its data set and every nested one.
struct Pass {
  const Deidentifier& deidentifier;
  const DeidentifyOptions& options;
  const gdcm::File& file;
  std::string pseudonym;
  int shift_days = 0;

  void apply(gdcm::DataSet& ds) {
    std::vector<gdcm::Tag> tags;
    for (auto it = ds.Begin(); it != ds.End(); ++it) tags.push_back(it->GetTag());
    for (const auto& tag : tags) element(ds, ds.GetDataElement(tag));
  }

  void element(gdcm::DataSet& ds, const gdcm::DataElement& de) {
    const gdcm::Tag tag = de.GetTag();
    const std::uint16_t group = tag.GetGroup();
    // Private attributes, curves (50xx) and overlays (60xx, which may hold burned-in text).
    if (tag.IsPrivate() || (group & 0xFF00) == 0x5000 || (group & 0xFF00) == 0x6000) {
      ds.Remove(tag);
      return;
    }
    const gdcm::VR vr = gdcm::DataSetHelper::ComputeVR(file, ds, tag);
    const auto& profile = profile_by_tag();
    if (const auto it = profile.find((std::uint32_t{group} << 16) | tag.GetElement());
        it != profile.end()) {
      return listed(ds, de, vr, it->second);
    }
    if (vr & gdcm::VR::SQ) return sequence(ds, de);
    if (vr == gdcm::VR::PN) {
      ds.Remove(tag);  // any other person's name: physicians, operators, observers
    } else if (vr == gdcm::VR::UI && !names_a_class(tag)) {
      uids(ds, de);
    } else if (vr == gdcm::VR::DA || vr == gdcm::VR::DT) {
      date(ds, de, vr, /*type2=*/false);
    }
  }

  void listed(gdcm::DataSet& ds, const gdcm::DataElement& de, gdcm::VR vr, ProfileAction action) {
    switch (action) {
      case ProfileAction::kRemove:
        ds.Remove(de.GetTag());
        return;
      case ProfileAction::kEmpty:
        set_empty(ds, de, vr);
        return;
      case ProfileAction::kPseudonym:
        put_element(ds, de.GetTag(), vr, pseudonym);
        return;
      case ProfileAction::kDate:
        date(ds, de, vr, /*type2=*/true);
        return;
    }
  }

  void date(gdcm::DataSet& ds, const gdcm::DataElement& de, gdcm::VR vr, bool type2) {
    if (options.dates == "shift") {
      if (vr == gdcm::VR::TM) return;  // times of day stay: a shift keeps them meaningful
      std::vector<std::string> values = split_values(value_of(de));
      for (auto& v : values) {
        const auto shifted = shift_date(v, shift_days);
        if (!shifted) return type2 ? set_empty(ds, de, vr) : void(ds.Remove(de.GetTag()));
        v = *shifted;
      }
      if (!values.empty()) put_element(ds, de.GetTag(), vr, join(values, "\\"));
    } else if (type2) {
      set_empty(ds, de, vr);
    } else {
      ds.Remove(de.GetTag());
    }
  }

  void uids(gdcm::DataSet& ds, const gdcm::DataElement& de) {
    std::vector<std::string> values = split_values(value_of(de));
    for (auto& v : values)
      if (!v.empty() && !is_standard_uid(v)) v = deidentifier.remap_uid(v);
    put_element(ds, de.GetTag(), gdcm::VR::UI, join(values, "\\"));
  }

  void sequence(gdcm::DataSet& ds, const gdcm::DataElement& de) {
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq = de.GetValueAsSQ();
    if (!sq) return;
    for (gdcm::SequenceOfItems::SizeType i = 1; i <= sq->GetNumberOfItems(); ++i)
      apply(sq->GetItem(i).GetNestedDataSet());
    gdcm::DataElement copy = de;
    copy.SetValue(*sq);
    copy.SetVLToUndefined();
    ds.Replace(copy);
  }
};

// PS3.3 C.7.1.1: what was done, so that a receiver knows the instance was de-identified and how.
void record_method(gdcm::DataSet& ds, const DeidentifyOptions& options) {
  const bool shift = options.dates == "shift";
  put_element(ds, gdcm::Tag(0x0012, 0x0062), gdcm::VR::CS, "YES");
  put_element(ds, gdcm::Tag(0x0012, 0x0063), gdcm::VR::LO,
              std::string("deeptirp ") + kVersion + ": PS3.15 E.1 basic profile" +
                  (shift ? ", dates shifted" : ", dates removed"));
  std::vector<gdcm::Item> codes = {
      code_item("113100", "DCM", "Basic Application Confidentiality Profile")};
  if (shift)
    codes.push_back(code_item("113107", "DCM",
                              "Retain Longitudinal Temporal Information Modified Dates Option"));
  put_sequence(ds, gdcm::Tag(0x0012, 0x0064), codes);
  put_element(ds, gdcm::Tag(0x0028, 0x0303), gdcm::VR::CS, shift ? "MODIFIED" : "REMOVED");
}

std::string random_secret() {
  std::random_device device;
  std::string secret;
  for (int i = 0; i < 32; ++i) secret.push_back(static_cast<char>(device() & 0xFF));
  return secret;
}

}  // namespace

Deidentifier::Deidentifier(DeidentifyOptions options) : options_(std::move(options)) {
  if (options_.dates != "shift" && options_.dates != "remove")
    throw Error("dates: '" + options_.dates + "' is not shift or remove");
  if (options_.secret.empty()) options_.secret = random_secret();
}

std::string Deidentifier::hmac(const std::string& purpose, const std::string& value) const {
  const std::string message = purpose + '\0' + value;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), options_.secret.data(), static_cast<int>(options_.secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Deidentifier::remap_uid(const std::string& uid) const {
  return uid_from_bytes(hmac("uid", uid));
}

std::string Deidentifier::pseudonym(const std::string& patient_id) const {
  return "DEID-" + hex_digits(hmac("patient", patient_id).substr(0, 6));
}

// Into the past by 1 to 3650 days, the same for every date of one patient.
int Deidentifier::date_shift_days(const std::string& patient_id) const {
  const std::string digest = hmac("date", patient_id);
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(digest[i]);
  return -static_cast<int>(1 + n % 3650);
}

DeidentifiedInstance Deidentifier::apply(std::string_view bytes, const std::string& name) const {
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  read_checked(reader, bytes, name);
  gdcm::File& file = reader.GetFile();
  gdcm::DataSet& ds = file.GetDataSet();
  if (!ds.FindDataElement(kSopInstanceUid))
    throw Error(name + ": no SOP Instance UID (0008,0018); not a DICOM instance");

  DeidentifiedInstance out;
  if (text_value(ds, kBurnedInAnnotation) == "YES")
    out.warnings.push_back(name +
                           ": Burned In Annotation (0028,0301) is YES: text in the pixels may "
                           "identify the patient, and de-identification leaves pixels unchanged");
  const std::string patient_id = text_value(ds, kPatientId).value_or("");
  Pass pass{*this, options_, file, pseudonym(patient_id), date_shift_days(patient_id)};
  pass.apply(ds);
  if (!ds.FindDataElement(kPatientName))
    put_element(ds, kPatientName, gdcm::VR::PN, pass.pseudonym);
  if (!ds.FindDataElement(kPatientId)) put_element(ds, kPatientId, gdcm::VR::LO, pass.pseudonym);
  record_method(ds, options_);
  out.sop_instance_uid = text_value(ds, kSopInstanceUid).value_or("");

  // The meta group follows the data set (its Media Storage SOP Instance UID, group length);
  // GDCM's writer rewrites it from the data set, keeping the transfer syntax.
  gdcm::FileMetaInformation& meta = file.GetHeader();
  put_element(meta, gdcm::Tag(0x0002, 0x0003), gdcm::VR::UI, out.sop_instance_uid);
  std::ostringstream written;
  gdcm::Writer writer;
  writer.SetStream(written);
  writer.SetFile(file);
  if (!writer.Write()) throw Error(name + ": GDCM could not write the de-identified instance");
  out.bytes = written.str();
  return out;
}

namespace {

struct InputFile {
  std::filesystem::path path;
  bool in_folder = false;
};

std::vector<InputFile> input_files(const std::vector<std::filesystem::path>& inputs) {
  namespace fs = std::filesystem;
  std::vector<InputFile> files;
  for (const auto& input : inputs) {
    if (fs::is_regular_file(input)) {
      files.push_back({input, false});
    } else if (fs::is_directory(input)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(input))
        if (e.is_regular_file()) found.push_back(e.path());
      std::sort(found.begin(), found.end());  // the same order, and progress, on every rerun
      for (const auto& f : found) files.push_back({f, true});
    } else {
      throw Error(input.string() + ": no such file or folder");
    }
  }
  return files;
}

}  // namespace

DeidentifyReport deidentify_files(const DeidentifyRun& run) {
  const std::vector<InputFile> files = input_files(run.inputs);
  const Deidentifier deidentifier(run.options);
  std::filesystem::create_directories(run.out);
  DeidentifyReport report;
  std::map<std::string, std::string> written;  // new SOP Instance UID -> its input
  Progress progress(Progress::parse_mode(run.progress), "deidentify", files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    try {
      const std::string bytes = read_file_bytes(files[i].path);
      if (files[i].in_folder && !starts_like_dicom(bytes)) {
        ++report.skipped;
      } else {
        DeidentifiedInstance d = deidentifier.apply(bytes, files[i].path.string());
        report.warnings.insert(report.warnings.end(), d.warnings.begin(), d.warnings.end());
        // One instance, one output: a second file with its SOP Instance UID (a copy, or the same
        // image in another transfer syntax) would overwrite the first.
        const auto [first, added] = written.emplace(d.sop_instance_uid, files[i].path.string());
        if (added) {
          write_file_atomically(run.out / (d.sop_instance_uid + ".dcm"), d.bytes);
          ++report.written;
        } else {
          report.warnings.push_back(files[i].path.string() + ": the same SOP Instance UID as " +
                                    first->second + "; only the first is written");
        }
      }
    } catch (const Error& e) {
      report.failures.push_back(e.what());
    }
    progress.update(i + 1, "");
  }
  progress.finish("");
  return report;
}

}  // namespace deeptirp
