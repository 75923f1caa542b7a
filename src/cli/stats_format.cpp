#include "cli/stats_format.h"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

namespace deeptirp::cli {
namespace {

std::string format_value(const StatsResult &v) {
  if (v.is_number_float()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", v.get<double>());
    return buffer;
  }
  if (v.is_null()) return "NA";  // NaN: an empty bin, a proportion of nothing
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void print_rows(const std::string &name, const StatsResult &rows, std::ostream &out) {
  out << "\n" << name << ":\n";
  std::vector<std::string> keys;
  for (const auto &[key, unused] : rows.front().items()) keys.push_back(key);
  std::vector<std::size_t> width;
  for (const auto &key : keys) width.push_back(key.size());
  for (const auto &row : rows) {
    for (std::size_t c = 0; c < keys.size(); ++c) {
      width[c] = std::max(width[c], format_value(row.value(keys[c], StatsResult())).size());
    }
  }
  for (std::size_t c = 0; c < keys.size(); ++c) {
    out << "  " << std::string(width[c] - keys[c].size(), ' ') << keys[c];
  }
  out << "\n";
  for (const auto &row : rows) {
    for (std::size_t c = 0; c < keys.size(); ++c) {
      const std::string text = format_value(row.value(keys[c], StatsResult()));
      out << "  " << std::string(width[c] - text.size(), ' ') << text;
    }
    out << "\n";
  }
}

}  // namespace

void print_stats(const StatsResult &result, bool as_json, std::ostream &out) {
  if (as_json) {
    out << result.dump(2) << "\n";
    return;
  }
  std::size_t width = 0;
  for (const auto &[key, value] : result.items()) width = std::max(width, key.size());
  for (const auto &[key, value] : result.items()) {
    if (value.is_array() && !value.empty() && value.front().is_object()) continue;
    out << key << std::string(width + 2 - key.size(), ' ') << format_value(value) << "\n";
  }
  for (const auto &[key, value] : result.items()) {
    if (value.is_array() && !value.empty() && value.front().is_object())
      print_rows(key, value, out);
  }
}

}  // namespace deeptirp::cli
