#include "deeptirp/io/numbers.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace deeptirp {

std::optional<double> parse_number(std::string_view cell) {
  const std::string text(cell);
  const char* begin = text.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);  // skips leading spaces itself
  if (end == begin) return std::nullopt;
  while (std::isspace(static_cast<unsigned char>(*end))) ++end;
  if (*end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool is_missing(std::string_view cell) {
  const auto first = cell.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return true;
  std::string c(cell.substr(first, cell.find_last_not_of(" \t\r\n") - first + 1));
  for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return c == "na" || c == "n/a" || c == "nan" || c == "." || c == "null";
}

std::string format_number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace deeptirp
