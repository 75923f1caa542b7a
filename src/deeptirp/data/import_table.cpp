#include "deeptirp/data/import_table.h"

#include <map>

#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/radiograph.h"

namespace deeptirp {

TableImport import_table(const std::filesystem::path& table_path, const StudyConfig& config,
                         const std::filesystem::path& out_manifest,
                         const std::filesystem::path& images_root, bool skip_bad_rows) {
  CsvTable table = read_csv(table_path);
  const ImportColumns& names = config.import_columns;
  const std::vector<std::pair<std::string, std::string>> renames = {
      {names.image, "image"},     {names.patient_id, "patient_id"}, {names.centre, "centre"},
      {names.subtype, "subtype"}, {names.roi[0], "roi_x0"},         {names.roi[1], "roi_y0"},
      {names.roi[2], "roi_x1"},   {names.roi[3], "roi_y1"}};
  for (const auto& [from, to] : renames) {
    const int i = table.find_column(from);
    if (i < 0 || from == to) continue;
    if (table.find_column(to) >= 0)
      throw Error(table_path.string() + " line 1: columns '" + from + "' and '" + to +
                  "' would both be the " + to + " column (import." + to + " names '" + from +
                  "'); rename one");
    table.header[static_cast<std::size_t>(i)] = to;
  }
  for (const char* required : {"image", "patient_id"})
    if (table.find_column(required) < 0)
      throw Error(table_path.string() + ": no column for '" + required + "' (looked for '" +
                  (std::string(required) == "image" ? names.image : names.patient_id) +
                  "'; set import." + required + " in " + config.path.string() + ")");

  TableImport result;
  ManifestOptions options{skip_bad_rows};
  const auto root = images_root.empty() ? table_path.parent_path() : images_root;
  result.manifest = manifest_from_table(table, table_path, config, options, &result.skipped);
  std::vector<Case> kept;
  std::map<std::string, std::size_t> image_lines;
  for (auto& c : result.manifest.cases) {
    std::filesystem::path image = c.image;
    if (image.is_relative()) image = root / image;
    image = std::filesystem::absolute(image).lexically_normal();
    const std::string at = table_path.string() + " line " + std::to_string(c.line) + ", column '" +
                           names.image + "': ";
    std::string problem;
    if (!std::filesystem::is_regular_file(image))
      problem = at + "no file " + image.string();
    else if (std::string format = radiograph_signature_problem(image); !format.empty())
      problem = at + format;
    else
      problem = repeated_image(result.manifest, c, image, image_lines);
    if (!problem.empty()) {
      if (!skip_bad_rows) throw Error(problem);
      result.skipped.push_back({c.line, problem});
      continue;
    }
    c.image = image.string();
    kept.push_back(std::move(c));
  }
  if (kept.empty())
    throw Error(table_path.string() + ": no image to import (" +
                (result.skipped.empty()
                     ? std::string("the table has a header only")
                     : "every row was skipped; the first: " + result.skipped.front().reason) +
                ")");
  result.manifest.cases = std::move(kept);
  result.manifest.path = out_manifest;
  return result;
}

}  // namespace deeptirp
