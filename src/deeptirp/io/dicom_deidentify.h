#pragma once
// DICOM de-identification by the Basic Application Level Confidentiality Profile (PS3.15 Annex E,
// Table E.1-1), on GDCM's reader and writer. GDCM's own profile (gdcm::Anonymizer) is not used
// whole: it needs an X.509 certificate and stores the original attributes, encrypted, in the
// output, and it remaps UIDs through a process-wide map, which a thread-safe library cannot share.
//
// What an output keeps and loses:
//   - every attribute the table marks X (remove), Z (empty) or D (dummy) is removed, emptied or
//     replaced; private attributes, overlays (60xx) and curves (50xx) are removed; any other
//     person name (PN) anywhere, even in a sequence, is removed;
//   - Patient ID and Patient's Name become one pseudonym per patient ("DEID-" + 12 hex digits),
//     so a patient's images stay together;
//   - every UID that is not one of the standard's own (SOP classes, transfer syntaxes, coding
//     schemes) is remapped to a 2.25 UID derived from it, so a study stays one study, a series
//     one series, and references still point at their targets;
//   - dates (DA, DT) are shifted by a whole number of days per patient (intervals kept: the
//     "Retain Longitudinal Temporal Information with Modified Dates" option), or removed;
//   - the pixel data and the transfer syntax are unchanged, byte for byte.
// All derived values are HMAC-SHA-256 of the run's secret, so without the secret nothing leads
// back to the original, and with the same secret a rerun gives the same output.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace deeptirp {

struct DeidentifyOptions {
  std::string dates = "shift";  // shift | remove
  std::string secret;           // the run's key; "" = a random one (nothing repeatable)
};

struct DeidentifiedInstance {
  std::string bytes;                  // the new file
  std::string sop_instance_uid;       // its (new) SOP Instance UID: a name for it that says nothing
  std::vector<std::string> warnings;  // what the profile cannot fix (burned-in annotation)
};

class Deidentifier {
 public:
  explicit Deidentifier(DeidentifyOptions options);
  // Thread-safe. Throws Error naming `name` when the bytes are not a readable DICOM file.
  DeidentifiedInstance apply(std::string_view bytes, const std::string& name) const;
  // The remapped form of a UID, as apply() writes it.
  std::string remap_uid(const std::string& uid) const;
  std::string pseudonym(const std::string& patient_id) const;
  int date_shift_days(const std::string& patient_id) const;  // negative: into the past

 private:
  std::string hmac(const std::string& purpose, const std::string& value) const;
  DeidentifyOptions options_;
};

// `deeptirp dicom deidentify`: every file given, and every file under every folder given, written
// to `out` as <new SOP Instance UID>.dcm (atomically), so that no output name carries anything of
// the input's. One Deidentifier for the run: UIDs and pseudonyms agree across its files.
struct DeidentifyRun {
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path out;
  DeidentifyOptions options;
  std::string progress = "auto";  // Progress::parse_mode
};

struct DeidentifyReport {
  std::size_t written = 0;
  std::vector<std::string> warnings;  // DeidentifiedInstance::warnings of every file
  std::vector<std::string> failures;  // one per file that could not be read, naming it
  std::size_t skipped = 0;  // files in a folder that are not DICOM (a DICOMDIR's notes, PNGs)
};

// A file found in a folder that does not start as DICOM does is skipped (counted); a file named
// on its own must be DICOM. A file that fails is reported and skipped, the others still written; an
// input that does not exist is an Error before anything is written.
DeidentifyReport deidentify_files(const DeidentifyRun& run);

}  // namespace deeptirp
