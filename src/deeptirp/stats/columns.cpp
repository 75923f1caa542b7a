#include "deeptirp/stats/columns.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "deeptirp/error.h"

namespace deeptirp::stats {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool same_value(std::string_view cell, std::string_view value) {
  if (trim(cell) == trim(value)) return true;
  const auto a = parse_number(cell);
  const auto b = parse_number(value);
  return a && b && *a == *b;
}

RowSelection select_rows(const CsvTable &table, const std::vector<std::string> &columns,
                         bool drop_missing) {
  std::vector<std::size_t> index;
  for (const auto &name : columns) index.push_back(table.column(name));
  RowSelection selection;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    bool complete = true;
    for (std::size_t k = 0; k < index.size() && complete; ++k) {
      if (!is_missing(table.rows[r][index[k]])) continue;
      if (!drop_missing) {
        throw Error(table.where(r, columns[k]) +
                    ": missing value (use --drop-missing to leave such rows out)");
      }
      complete = false;
    }
    if (complete) {
      selection.rows.push_back(r);
    } else {
      ++selection.dropped;
    }
  }
  if (selection.rows.empty()) throw Error(table.source + ": no rows with values to analyse");
  return selection;
}

std::vector<double> numeric_column(const CsvTable &table, std::string_view column,
                                   const std::vector<std::size_t> &rows) {
  const std::size_t c = table.column(column);
  std::vector<double> values;
  values.reserve(rows.size());
  for (std::size_t r : rows) {
    const auto value = parse_number(table.rows[r][c]);
    if (!value) {
      throw Error(table.where(r, column) + ": '" + table.rows[r][c] + "' is not a number");
    }
    values.push_back(*value);
  }
  return values;
}

std::vector<std::string> string_column(const CsvTable &table, std::string_view column,
                                       const std::vector<std::size_t> &rows) {
  const std::size_t c = table.column(column);
  std::vector<std::string> values;
  values.reserve(rows.size());
  for (std::size_t r : rows) values.emplace_back(trim(table.rows[r][c]));
  return values;
}

std::vector<double> probability_column(const CsvTable &table, std::string_view column,
                                       const std::vector<std::size_t> &rows) {
  std::vector<double> values = numeric_column(table, column, rows);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0.0 || values[i] > 1.0) {
      throw Error(table.where(rows[i], column) + ": " + table.rows[rows[i]][table.column(column)] +
                  " is not a probability in [0, 1]");
    }
  }
  return values;
}

std::vector<int> binary_labels(const CsvTable &table, std::string_view column,
                               std::string_view positive, const std::vector<std::size_t> &rows) {
  const std::size_t c = table.column(column);
  std::vector<int> labels;
  std::vector<std::pair<std::string, std::size_t>> others;  // other classes, first row of each
  labels.reserve(rows.size());
  for (std::size_t r : rows) {
    const std::string_view cell = trim(table.rows[r][c]);
    const bool is_positive = same_value(cell, positive);
    if (!is_positive && std::none_of(others.begin(), others.end(),
                                     [&](const auto &o) { return o.first == cell; })) {
      others.emplace_back(cell, r);
    }
    labels.push_back(is_positive ? 1 : 0);
  }
  const std::string where = table.source + ", column '" + std::string(column) + "'";
  const std::size_t n_pos = std::count(labels.begin(), labels.end(), 1);
  if (n_pos == 0) {
    std::string values;
    for (const auto &o : others) values += (values.empty() ? "" : ", ") + o.first;
    throw Error(where + ": no row has the positive value '" + std::string(positive) +
                "' (values: " + values + ")" + (others.size() < 2 ? "; a single class" : ""));
  }
  if (others.empty()) {
    throw Error(where + ": every row has the positive value '" + std::string(positive) +
                "', so the label has a single class");
  }
  if (others.size() > 1) {
    throw Error(table.where(others[1].second, column) + ": a third class '" + others[1].first +
                "' besides '" + std::string(positive) + "' and '" + others[0].first +
                "'; the label must have exactly two classes");
  }
  return labels;
}

std::vector<int> zero_one_column(const CsvTable &table, std::string_view column,
                                 const std::vector<std::size_t> &rows) {
  const std::size_t c = table.column(column);
  std::vector<int> values;
  values.reserve(rows.size());
  for (std::size_t r : rows) {
    const auto value = parse_number(table.rows[r][c]);
    if (!value || (*value != 0.0 && *value != 1.0)) {
      throw Error(table.where(r, column) + ": '" + table.rows[r][c] + "' is not 0 or 1");
    }
    values.push_back(*value == 1.0 ? 1 : 0);
  }
  return values;
}

}  // namespace deeptirp::stats
