// Reading the readers' calls: one row per case and reader, checked cell by cell.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/text.h"
#include "deeptirp/readers/reader_study.h"
#include "deeptirp/stats/columns.h"

namespace deeptirp::readers {
namespace {

// The cell of `column` in `row`, which must not be empty.
std::string required_cell(const CsvTable& t, std::size_t row, std::size_t index,
                          const std::string& column) {
  const std::string& cell = t.rows[row][index];
  if (cell.empty()) throw Error(t.where(row, column) + ": empty");
  return cell;
}

std::optional<double> confidence_cell(const CsvTable& t, std::size_t row, int index,
                                      const std::string& column) {
  if (index < 0 || is_missing(t.rows[row][index])) return std::nullopt;
  const std::optional<double> v = parse_number(t.rows[row][index]);
  if (!v || *v < 0.0 || *v > 1.0)
    throw Error(t.where(row, column) + ": confidence '" + t.rows[row][index] +
                "' is not a probability between 0 and 1");
  return v;
}

}  // namespace

ReaderCalls read_reader_calls(const std::filesystem::path& path,
                              const std::vector<std::string>& classes,
                              const ReaderColumns& columns) {
  const CsvTable t = read_csv(path);
  const std::size_t case_col = t.column(columns.case_id), reader_col = t.column(columns.reader),
                    call_col = t.column(columns.call);
  const int group_col = t.find_column(columns.group);
  const int confidence_col = t.find_column(columns.confidence);
  ReaderCalls out;
  out.path = path;
  std::map<std::pair<std::string, std::string>, std::size_t> line_of;   // (reader, case) -> line
  std::map<std::string, std::pair<std::string, std::size_t>> group_of;  // reader -> group, line
  for (std::size_t row = 0; row < t.rows.size(); ++row) {
    ReaderCall c;
    c.line = t.lines[row];
    c.case_id = required_cell(t, row, case_col, columns.case_id);
    c.reader = required_cell(t, row, reader_col, columns.reader);
    c.group = group_col < 0 ? kOneGroup : required_cell(t, row, group_col, columns.group);
    c.call = required_cell(t, row, call_col, columns.call);
    if (!classes.empty() && std::find(classes.begin(), classes.end(), c.call) == classes.end())
      throw Error(t.where(row, columns.call) + ": unknown call '" + c.call +
                  "' (the study's classes: " + join(classes) + ")");
    c.confidence = confidence_cell(t, row, confidence_col, columns.confidence);
    const auto [seen, fresh] = line_of.emplace(std::make_pair(c.reader, c.case_id), c.line);
    if (!fresh)
      throw Error(t.where(row, columns.case_id) + ": reader " + c.reader + " already called case " +
                  c.case_id + " on line " + std::to_string(seen->second));
    const auto [group, first] = group_of.emplace(c.reader, std::make_pair(c.group, c.line));
    if (!first && group->second.first != c.group)
      throw Error(t.where(row, columns.group) + ": reader " + c.reader + " is in group '" +
                  group->second.first + "' on line " + std::to_string(group->second.second) +
                  ", not '" + c.group + "'");
    out.has_confidence = out.has_confidence || c.confidence.has_value();
    out.calls.push_back(std::move(c));
  }
  return out;
}

void match_case_ids(ReaderCalls& calls, const std::vector<std::string>& manifest_images,
                    const std::filesystem::path& manifest_path) {
  namespace fs = std::filesystem;
  const auto resolved = [](const fs::path& folder, const std::string& id) {
    const fs::path p(id);
    return fs::absolute(p.is_relative() ? folder / p : p).lexically_normal();
  };
  const std::set<std::string> as_written(manifest_images.begin(), manifest_images.end());
  std::map<fs::path, std::string> by_file;
  for (const auto& image : manifest_images)
    by_file.emplace(resolved(manifest_path.parent_path(), image), image);
  for (ReaderCall& c : calls.calls) {
    if (as_written.count(c.case_id)) continue;
    const auto found = by_file.find(resolved(calls.path.parent_path(), c.case_id));
    if (found != by_file.end()) c.case_id = found->second;
  }
}

}  // namespace deeptirp::readers
