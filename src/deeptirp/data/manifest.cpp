#include "deeptirp/data/manifest.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"

namespace deeptirp {
namespace {

const char* const kRoiColumns[4] = {"roi_x0", "roi_y0", "roi_x1", "roi_y1"};

bool is_fixed_column(const std::string& name, const std::string& target) {
  static const std::set<std::string> fixed = {"image",  "patient_id", "subtype", "centre", "split",
                                              "roi_x0", "roi_y0",     "roi_x1",  "roi_y1"};
  return name == target || fixed.count(name) > 0;
}

bool parse_int(const std::string& text, int& out) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v) || v != std::floor(v)) return false;
    if (std::abs(v) > 1e9) return false;  // no image is that large; an int could not hold it
    out = static_cast<int>(v);
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

std::optional<std::array<int, 4>> roi_columns(const CsvTable& table) {
  std::array<int, 4> cols{};
  int present = 0;
  for (int k = 0; k < 4; ++k) present += (cols[k] = table.find_column(kRoiColumns[k])) >= 0;
  if (present == 0) return std::nullopt;
  if (present != 4)
    throw Error(table.source +
                ": the ROI box needs all four columns roi_x0, roi_y0, roi_x1, roi_y1");
  return cols;
}

std::string read_roi_cells(const CsvTable& table, std::size_t r, const std::array<int, 4>& cols,
                           std::optional<RoiBox>& roi) {
  const auto& row = table.rows[r];
  int blank = 0;
  for (int k = 0; k < 4; ++k) blank += row[cols[k]].empty();
  if (blank == 4) return "";  // no box: the whole image
  if (blank != 0) return table.where(r, "roi_x0") + ": the ROI box is only partly filled in";
  int v[4];
  for (int k = 0; k < 4; ++k)
    if (!parse_int(row[cols[k]], v[k]))
      return table.where(r, kRoiColumns[k]) + ": '" + row[cols[k]] +
             "' is not a whole number of pixels";
  if (v[0] < 0 || v[1] < 0 || v[2] <= v[0] || v[3] <= v[1])
    return table.where(r, "roi_x0") + ": the ROI box must have 0 <= x0 < x1 and 0 <= y0 < y1";
  roi = RoiBox{v[0], v[1], v[2], v[3]};
  return "";
}

std::vector<std::size_t> cases_in_split(const Manifest& manifest, const std::string& split) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < manifest.cases.size(); ++i)
    if (split.empty() || manifest.cases[i].split == split) out.push_back(i);
  return out;
}

std::filesystem::path Manifest::image_path(const Case& c) const {
  std::filesystem::path p(c.image);
  if (p.is_absolute() || path.empty()) return p;
  return path.parent_path() / p;
}

int Manifest::clinical_index(const std::string& column) const {
  auto it = std::find(clinical_columns.begin(), clinical_columns.end(), column);
  return it == clinical_columns.end() ? -1 : static_cast<int>(it - clinical_columns.begin());
}

std::vector<std::string> Manifest::header() const {
  std::vector<std::string> h = {"image", "patient_id", target, "subtype", "centre", "split"};
  h.insert(h.end(), std::begin(kRoiColumns), std::end(kRoiColumns));
  h.insert(h.end(), clinical_columns.begin(), clinical_columns.end());
  return h;
}

std::string check_case(const Manifest& m, const Case& c, const StudyConfig& config) {
  auto at = [&](const std::string& column) {
    return m.path.string() + " line " + std::to_string(c.line) + ", column '" + column + "': ";
  };
  if (c.image.empty()) return at("image") + "empty";
  if (c.patient_id.empty()) return at("patient_id") + "empty";
  if (c.label.empty()) return at(m.target) + "empty (every case needs a diagnosis)";
  if (!config.classes.empty() &&
      std::find(config.classes.begin(), config.classes.end(), c.label) == config.classes.end()) {
    std::string known;
    for (const auto& k : config.classes) known += (known.empty() ? "" : ", ") + k;
    return at(m.target) + "unknown label '" + c.label + "' (classes: " + known + ")";
  }
  if (!c.split.empty() &&
      std::find(kSplitNames.begin(), kSplitNames.end(), c.split) == kSplitNames.end())
    return at("split") + "unknown split '" + c.split + "' (train, validation, test, external_test)";
  for (const auto& column : config.clinical_features()) {
    if (m.clinical_index(column) < 0)
      return m.path.string() + ": no column '" + column + "' (named in " + config.path.string() +
             " as a clinical feature)";
  }
  for (const auto& column : config.numeric_features) {
    const std::string& v = c.clinical[static_cast<std::size_t>(m.clinical_index(column))];
    double x = 0;
    if (!v.empty() && !parse_number(v, x))
      return at(column) + "'" + v + "' is not a number (leave the cell empty when unknown)";
    const auto range = config.numeric_ranges.find(column);
    if (!v.empty() && range != config.numeric_ranges.end() &&
        !(x >= range->second.first && x <= range->second.second))
      return at(column) + "'" + v + "' is outside the plausible range " +
             format_number(range->second.first) + " to " + format_number(range->second.second) +
             " (set clinical.ranges in " + config.path.string() + " if it is right)";
  }
  return "";
}

std::string repeated_image(const Manifest& m, const Case& c, const std::filesystem::path& image,
                           std::map<std::string, std::size_t>& lines) {
  const std::string key = std::filesystem::absolute(image).lexically_normal().string();
  const auto [it, fresh] = lines.emplace(key, c.line);
  if (fresh) return "";
  return m.path.string() + " line " + std::to_string(c.line) + ", column 'image': " + c.image +
         " is listed already on line " + std::to_string(it->second) +
         " (one image, one row: the split would put it in two sets)";
}

Manifest read_manifest(const std::filesystem::path& path, const StudyConfig& config,
                       const ManifestOptions& options, std::vector<BadRow>* skipped) {
  return manifest_from_table(read_csv(path), path, config, options, skipped);
}

Manifest manifest_or_read(const Manifest* given, const std::filesystem::path& path,
                          const StudyConfig& config) {
  return given ? *given : read_manifest(path, config);
}

Manifest manifest_from_table(const CsvTable& table, const std::filesystem::path& path,
                             const StudyConfig& config, const ManifestOptions& options,
                             std::vector<BadRow>* skipped) {
  Manifest m;
  m.path = path;
  m.target = config.target;
  const std::size_t image_col = table.column("image");
  const std::size_t patient_col = table.column("patient_id");
  const std::size_t target_col = table.column(config.target);
  const int subtype_col = table.find_column("subtype");
  const int centre_col = table.find_column("centre");
  const int split_col = table.find_column("split");
  const auto roi_cols = roi_columns(table);
  std::vector<std::size_t> clinical_cols;
  for (std::size_t i = 0; i < table.header.size(); ++i) {
    if (is_fixed_column(table.header[i], config.target)) continue;
    m.clinical_columns.push_back(table.header[i]);
    clinical_cols.push_back(i);
  }

  std::map<std::string, std::size_t> image_lines;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    Case c;
    c.line = table.lines[r];
    c.image = row[image_col];
    c.patient_id = row[patient_col];
    c.label = row[target_col];
    if (subtype_col >= 0) c.subtype = row[subtype_col];
    if (centre_col >= 0) c.centre = row[centre_col];
    if (split_col >= 0) c.split = row[split_col];
    std::string problem = roi_cols ? read_roi_cells(table, r, *roi_cols, c.roi) : "";
    for (std::size_t i : clinical_cols) c.clinical.push_back(row[i]);
    if (problem.empty()) problem = check_case(m, c, config);
    if (problem.empty()) problem = repeated_image(m, c, m.image_path(c), image_lines);
    if (!problem.empty()) {
      if (!options.skip_bad_rows) throw Error(problem);
      if (skipped) skipped->push_back({c.line, problem});
      continue;
    }
    m.cases.push_back(std::move(c));
  }
  return m;
}

void write_manifest(const std::filesystem::path& path, const Manifest& manifest) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(manifest.cases.size());
  const auto new_dir = std::filesystem::absolute(path).parent_path();
  for (const auto& c : manifest.cases) {
    // Paths inside the manifest's folder are written relative to it, so that the folder can move.
    auto image = std::filesystem::absolute(manifest.image_path(c)).lexically_normal();
    auto relative = image.lexically_relative(new_dir);
    bool inside = !relative.empty() && *relative.begin() != "..";
    std::string image_field = inside ? relative.string() : image.string();
    std::vector<std::string> row = {image_field, c.patient_id, c.label,
                                    c.subtype,   c.centre,     c.split};
    for (int v : {c.roi ? c.roi->x0 : 0, c.roi ? c.roi->y0 : 0, c.roi ? c.roi->x1 : 0,
                  c.roi ? c.roi->y1 : 0})
      row.push_back(c.roi ? std::to_string(v) : "");
    row.insert(row.end(), c.clinical.begin(), c.clinical.end());
    rows.push_back(std::move(row));
  }
  write_csv(path, manifest.header(), rows);
}

std::string describe_bad_rows(const std::vector<BadRow>& rows) {
  std::string out = std::to_string(rows.size()) + " skipped row" + (rows.size() == 1 ? "" : "s");
  out += rows.empty() ? "\n" : ":\n";
  for (const auto& r : rows) out += "  " + r.reason + "\n";
  return out;
}

}  // namespace deeptirp
