#pragma once
// Columns of a spreadsheet as plain vectors for the statistics, with errors
// that name the file, line and column of the cell at fault.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deeptirp/io/csv.h"
#include "deeptirp/io/numbers.h"  // parse_number, is_missing

namespace deeptirp::stats {

// True when `cell` names `value`: the same text, or the same number ("1" and
// "1.0").
bool same_value(std::string_view cell, std::string_view value);

// The rows whose named columns all hold a value. A missing value throws, naming
// its cell, unless `drop_missing`; `dropped` counts the rows left out. Unknown
// columns throw, naming the columns.
struct RowSelection {
  std::vector<std::size_t> rows;
  std::size_t dropped = 0;
};
RowSelection select_rows(const CsvTable &table, const std::vector<std::string> &columns,
                         bool drop_missing);

std::vector<double> numeric_column(const CsvTable &table, std::string_view column,
                                   const std::vector<std::size_t> &rows);
std::vector<std::string> string_column(const CsvTable &table, std::string_view column,
                                       const std::vector<std::size_t> &rows);
// Scores that are probabilities: numbers in [0, 1].
std::vector<double> probability_column(const CsvTable &table, std::string_view column,
                                       const std::vector<std::size_t> &rows);
// 1 where the label is `positive`, 0 for the other class. The column must hold
// exactly two classes, one of which is `positive`.
std::vector<int> binary_labels(const CsvTable &table, std::string_view column,
                               std::string_view positive, const std::vector<std::size_t> &rows);
// Paired 0/1 outcomes (McNemar): each cell must be 0 or 1.
std::vector<int> zero_one_column(const CsvTable &table, std::string_view column,
                                 const std::vector<std::size_t> &rows);

}  // namespace deeptirp::stats
