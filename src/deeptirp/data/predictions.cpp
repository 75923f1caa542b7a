#include "deeptirp/data/predictions.h"

#include <cctype>
#include <cmath>
#include <set>

#include "deeptirp/error.h"
#include "deeptirp/io/numbers.h"

namespace deeptirp {

void check_part_name(const std::string& name, const std::string& target, const std::string& where) {
  static const std::set<std::string> columns = {"image",     "patient_id", "split",
                                                "predicted", "clinical",   "ensemble"};
  bool plain = !name.empty() && name[0] != '.';
  for (char ch : name)
    plain = plain &&
            (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.');
  if (!plain)
    throw Error(where + ": the name '" + name + "': use letters, digits, '_', '-' and '.'");
  if (columns.count(name) || name == target)
    throw Error(where + ": the name '" + name + "' is reserved (image, patient_id, split, " +
                "predicted, clinical, ensemble and the target '" + target + "' are columns of " +
                "the predictions)");
}

PredictionsTable PredictionsTable::read(const std::filesystem::path& csv) {
  PredictionsTable t;
  t.table_ = read_csv(csv);
  const std::size_t image_col = t.table_.column("image");
  for (std::size_t r = 0; r < t.table_.rows.size(); ++r) {
    const std::string& image = t.table_.rows[r][image_col];
    const auto [it, fresh] = t.row_of_.emplace(image, r);
    if (!fresh)
      throw Error(t.table_.where(r, "image") + ": image '" + image +
                  "' is listed twice (first on line " + std::to_string(t.table_.lines[it->second]) +
                  ")");
  }
  return t;
}

double PredictionsTable::probability(std::size_t row, std::size_t column) const {
  const std::string& cell = table_.rows[row][column];
  const std::optional<double> p = parse_number(cell);
  if (!p || !(*p >= 0.0 && *p <= 1.0))  // NaN fails both comparisons
    throw Error(table_.where(row, table_.header[column]) + ": '" + cell +
                "' is not a probability between 0 and 1");
  return *p;
}

std::vector<double> PredictionsTable::of_cases(const std::string& column, const Manifest& manifest,
                                               const std::vector<std::size_t>& rows,
                                               const std::string& part) const {
  const std::size_t col = table_.column(column);
  std::vector<double> p;
  p.reserve(rows.size());
  for (std::size_t r : rows) {
    const Case& c = manifest.cases.at(r);
    const auto it = row_of_.find(c.image);
    if (it == row_of_.end())
      throw Error(table_.source + " (" + part + "): no prediction for image '" + c.image +
                  "' (manifest " + manifest.path.string() + " line " + std::to_string(c.line) +
                  ")");
    p.push_back(probability(it->second, col));
  }
  return p;
}

std::map<std::string, double> PredictionsTable::by_image(const std::string& column) const {
  const std::size_t col = table_.column(column), image_col = table_.column("image");
  std::map<std::string, double> out;
  for (std::size_t r = 0; r < table_.rows.size(); ++r)
    if (!is_missing(table_.rows[r][col])) out[table_.rows[r][image_col]] = probability(r, col);
  return out;
}

void write_predictions(const std::filesystem::path& csv, const Manifest& manifest,
                       const std::vector<std::size_t>& rows,
                       const std::vector<PredictionsColumn>& columns) {
  std::vector<std::string> header = {"image", "patient_id", "split", manifest.target};
  for (const auto& column : columns) {
    if (column.values.size() != rows.size())
      throw Error(csv.string() + ": column '" + column.name + "' has " +
                  std::to_string(column.values.size()) + " values for " +
                  std::to_string(rows.size()) + " rows");
    header.push_back(column.name);
  }
  std::vector<std::vector<std::string>> table;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const Case& c = manifest.cases[rows[k]];
    std::vector<std::string> row = {c.image, c.patient_id, c.split, c.label};
    for (const auto& column : columns) {
      if (!std::isfinite(column.values[k]))  // a NaN would read back as "missing"
        throw Error(csv.string() + ": the " + column.name + " prediction of image '" + c.image +
                    "' is " + format_number(column.values[k]) + ", not a number");
      row.push_back(format_number(column.values[k]));
    }
    table.push_back(std::move(row));
  }
  write_csv(csv, header, table);
}

std::vector<std::size_t> all_cases(const Manifest& manifest) {
  std::vector<std::size_t> all(manifest.cases.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

}  // namespace deeptirp
