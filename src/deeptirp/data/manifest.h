#pragma once
// A manifest is a CSV with one row per image: the cases of a study. Its fixed columns are
//   image, patient_id, <target>, subtype, centre, split, roi_x0, roi_y0, roi_x1, roi_y1
// and every other column is kept, in order, as a clinical column (age, sex, site, view, ...).
#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/data/study_config.h"
#include "deeptirp/io/numbers.h"  // parse_number, for every reader of a manifest

namespace deeptirp {

// A lesion's box in pixels of the stored image; x1 and y1 are exclusive.
struct RoiBox {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
  bool operator==(const RoiBox& o) const {
    return x0 == o.x0 && y0 == o.y0 && x1 == o.x1 && y1 == o.y1;
  }
};

// The split names, in the order reports list them.
inline const std::vector<std::string> kSplitNames = {"train", "validation", "test",
                                                     "external_test"};

struct Case {
  std::string image;       // path as written: relative to the manifest's folder, or absolute
  std::string patient_id;  // groups a patient's images; never taken from DICOM headers
  std::string label;       // value of the study's target column
  std::string subtype;     // second-level diagnosis; may be empty
  std::string centre;
  std::string split;  // empty until `deeptirp split`, else one of kSplitNames
  std::optional<RoiBox> roi;
  std::vector<std::string> clinical;  // aligned with Manifest::clinical_columns; "" = missing
  std::size_t line = 0;               // line in the manifest file, for messages
};

struct Manifest {
  std::filesystem::path path;  // the file it was read from or will be written to
  std::string target = "label";
  std::vector<std::string> clinical_columns;
  std::vector<Case> cases;

  // The image's path, resolving a relative one against the manifest's folder.
  std::filesystem::path image_path(const Case& c) const;
  // Index of a clinical column, or -1.
  int clinical_index(const std::string& column) const;
  std::vector<std::string> header() const;
};

struct BadRow {
  std::size_t line = 0;
  std::string reason;  // names the file, line and column
};

struct ManifestOptions {
  bool skip_bad_rows = false;  // skip and list malformed rows instead of stopping at the first
};

// Reads and checks a manifest against the study config: required columns, a known target value,
// numbers in numeric clinical columns ("" = missing; NaN is not allowed), a whole ROI box inside
// sensible bounds, a known split name. The first bad row is an Error naming its line and column,
// unless options.skip_bad_rows, in which case every skipped row is appended to `skipped`.
Manifest read_manifest(const std::filesystem::path& path, const StudyConfig& config,
                       const ManifestOptions& options = {}, std::vector<BadRow>* skipped = nullptr);

// `given` when the caller has read the manifest already (a study reads its own once and passes
// it to every stage), else the file at `path`.
Manifest manifest_or_read(const Manifest* given, const std::filesystem::path& path,
                          const StudyConfig& config);

struct CsvTable;
// The same from a table already in memory; `path` is where its relative image paths start.
Manifest manifest_from_table(const CsvTable& table, const std::filesystem::path& path,
                             const StudyConfig& config, const ManifestOptions& options = {},
                             std::vector<BadRow>* skipped = nullptr);

// Checks one case against the config; returns the problem, or an empty string when it is fine.
std::string check_case(const Manifest& manifest, const Case& c, const StudyConfig& config);

// "" the first time `image` (normalised) is seen in `lines`, else the problem naming both lines.
std::string repeated_image(const Manifest& manifest, const Case& c,
                           const std::filesystem::path& image,
                           std::map<std::string, std::size_t>& lines);

// The ROI box's columns in a table: their indices, none when the table has no box, or an Error
// naming the file when only some of the four are there.
std::optional<std::array<int, 4>> roi_columns(const CsvTable& table);
// Row r's box into `roi` (left empty when its four cells are); a partly filled, non-integer or
// disordered box (not 0 <= x0 < x1, 0 <= y0 < y1) is returned as a message naming the cell, ""
// when the cells are fine.
std::string read_roi_cells(const CsvTable& table, std::size_t r, const std::array<int, 4>& cols,
                           std::optional<RoiBox>& roi);

// Writes atomically. Images inside the manifest's folder are written as paths relative to it,
// others as absolute paths.
void write_manifest(const std::filesystem::path& path, const Manifest& manifest);

// The cases of one split ("train", ...), in manifest order; an empty `split`: every case.
std::vector<std::size_t> cases_in_split(const Manifest& manifest, const std::string& split);

// "N skipped rows:" followed by one line per row, for the summary that --skip-bad-rows prints.
std::string describe_bad_rows(const std::vector<BadRow>& rows);

}  // namespace deeptirp
