#pragma once
// CSV tables (RFC 4180, parsed by libcsv) with the line numbers that errors need.
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace deeptirp {

struct CsvTable {
  std::string source;  // file name, for messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // every row has header.size() fields
  std::vector<std::size_t> lines;              // the file line each row starts on (header = 1)

  // Index of a column, or -1 when absent.
  int find_column(std::string_view name) const;
  // Index of a column; throws Error naming the file and the columns it does have.
  std::size_t column(std::string_view name) const;
  // "FILE line N, column 'C'" for messages about one cell.
  std::string where(std::size_t row, std::string_view column_name) const;
};

CsvTable parse_csv(std::string_view text, std::string source);
CsvTable read_csv(const std::filesystem::path& path);

std::string csv_field(std::string_view value);  // quoted when it must be
void write_csv_row(std::ostream& out, const std::vector<std::string>& fields);
// Writes a whole table atomically (temporary file, then rename).
void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

}  // namespace deeptirp
