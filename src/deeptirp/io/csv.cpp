#include "deeptirp/io/csv.h"

#include <csv.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"

namespace deeptirp {
namespace {

struct ParseState {
  CsvTable* table;
  std::vector<std::string> fields;
  std::size_t line = 1;         // current physical line
  std::size_t record_line = 1;  // line the current record started on
  bool header_done = false;
};

void on_field(void* data, size_t size, void* state_ptr) {
  auto* s = static_cast<ParseState*>(state_ptr);
  // A record's first field ends on the line the record starts on, but for a quoted multi-line
  // first field, which no manifest has.
  if (s->fields.empty()) s->record_line = s->line;
  s->fields.emplace_back(static_cast<const char*>(data), size);
}

void on_record(int, void* state_ptr) {
  auto* s = static_cast<ParseState*>(state_ptr);
  CsvTable& t = *s->table;
  if (!s->header_done) {
    t.header = std::move(s->fields);
    for (auto& h : t.header) {
      // Spreadsheets save a UTF-8 byte-order mark and stray spaces around names.
      if (&h == &t.header.front() && h.rfind("\xEF\xBB\xBF", 0) == 0) h.erase(0, 3);
      while (!h.empty() && h.back() == ' ') h.pop_back();
      while (!h.empty() && h.front() == ' ') h.erase(0, 1);
    }
    s->header_done = true;
  } else if (!(s->fields.size() == 1 && s->fields[0].empty())) {  // blank lines are not rows
    if (s->fields.size() != t.header.size()) {
      throw Error(t.source + " line " + std::to_string(s->record_line) + ": " +
                  std::to_string(s->fields.size()) + " fields, but the header has " +
                  std::to_string(t.header.size()));
    }
    t.rows.push_back(std::move(s->fields));
    t.lines.push_back(s->record_line);
  }
  s->fields.clear();
}

// The first byte (offset) that is not part of well-formed UTF-8, or npos. Spreadsheets saved in
// Latin-1 would otherwise carry "f\xE9mur" into the manifest as a site of its own.
std::size_t first_invalid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = p[i];
    const std::size_t length = c < 0x80         ? 1
                               : (c >> 5) == 6  ? 2
                               : (c >> 4) == 14 ? 3
                               : (c >> 3) == 30 ? 4
                                                : 0;
    if (length == 0 || (length == 2 && c < 0xC2) || i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k)
      if ((p[i + k] >> 6) != 2) return i;
    i += length;
  }
  return std::string_view::npos;
}

void check_text(std::string_view text, const std::string& source) {
  const std::size_t bad = first_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  const auto line = 1 + std::count(text.begin(), text.begin() + std::ptrdiff_t(bad), '\n');
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
  throw Error(source + " line " + std::to_string(line) + ": byte " + byte +
              " is not UTF-8 text (save the spreadsheet as \"CSV UTF-8\")");
}

// Two columns of one name: every reader would take the first and silently drop the other.
void check_unique_header(const CsvTable& t) {
  for (std::size_t i = 0; i < t.header.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (!t.header[i].empty() && t.header[i] == t.header[j])
        throw Error(t.source + " line 1: column '" + t.header[i] + "' appears twice (columns " +
                    std::to_string(j + 1) + " and " + std::to_string(i + 1) + ")");
}

}  // namespace

int CsvTable::find_column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

std::size_t CsvTable::column(std::string_view name) const {
  int i = find_column(name);
  if (i >= 0) return static_cast<std::size_t>(i);
  std::string have;
  for (const auto& h : header) have += (have.empty() ? "" : ", ") + h;
  throw Error(source + ": no column '" + std::string(name) + "' (columns: " + have + ")");
}

std::string CsvTable::where(std::size_t row, std::string_view column_name) const {
  return source + " line " + std::to_string(lines.at(row)) + ", column '" +
         std::string(column_name) + "'";
}

CsvTable parse_csv(std::string_view text, std::string source) {
  CsvTable table;
  table.source = std::move(source);
  csv_parser parser;
  if (csv_init(&parser, CSV_APPEND_NULL) != 0) throw Error("csv: cannot initialise the parser");
  check_text(text, table.source);
  ParseState state{&table, {}, 1, 1, false};
  std::size_t open_quote_line = 0;  // where a quoted field still open began
  try {
    // Feed line by line so that records know the line they start on.
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t end = text.find('\n', pos);
      end = end == std::string_view::npos ? text.size() : end + 1;
      if (csv_parse(&parser, text.data() + pos, end - pos, on_field, on_record, &state) !=
          end - pos) {
        throw Error(table.source + " line " + std::to_string(state.line) + ": " +
                    csv_strerror(csv_error(&parser)));
      }
      const bool in_quote = parser.quoted && parser.pstate == 2;  // libcsv's FIELD_BEGUN
      if (!in_quote) open_quote_line = 0;
      if (in_quote && open_quote_line == 0) open_quote_line = state.line;
      ++state.line;
      pos = end;
    }
    if (open_quote_line)
      throw Error(table.source + " line " + std::to_string(open_quote_line) +
                  ": a quoted field opens here and is never closed");
    csv_fini(&parser, on_field, on_record, &state);
  } catch (...) {
    csv_free(&parser);
    throw;
  }
  csv_free(&parser);
  if (!state.header_done) throw Error(table.source + ": empty file, expected a header line");
  check_unique_header(table);
  return table;
}

CsvTable read_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_csv(text.str(), path.string());
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

void write_csv_row(std::ostream& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_field(fields[i]);
  out << '\n';
}

void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  AtomicFile file(path);
  write_csv_row(file.stream(), header);
  for (const auto& row : rows) write_csv_row(file.stream(), row);
  file.commit();
}

}  // namespace deeptirp
