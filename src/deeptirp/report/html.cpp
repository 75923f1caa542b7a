#include "deeptirp/report/html.h"

#include <gdcmBase64.h>

#include <cstdio>

#include "deeptirp/error.h"
#include "deeptirp/report/results_view.h"

namespace deeptirp::report {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_text(const nlohmann::json& value) {
  if (value.is_string()) return escape_html(value.get<std::string>());
  if (value.is_null()) return "–";
  return escape_html(value.dump());
}

// GDCM (already linked for DICOM) has a base64 codec; OpenCV's is internal to its persistence code.
std::string base64(std::string_view bytes) {
  if (bytes.empty()) return {};
  const std::size_t capacity = gdcm::Base64::GetEncodeLength(bytes.data(), bytes.size());
  std::string out(capacity, '\0');
  const std::size_t n = gdcm::Base64::Encode(out.data(), out.size(), bytes.data(), bytes.size());
  if (n == 0) throw Error("base64: cannot encode " + std::to_string(bytes.size()) + " bytes");
  out.resize(n);
  return out;
}

std::string script_json(const nlohmann::json& value) {
  const std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";  // '<' appears only inside JSON strings, where the escape means the same
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_number(const nlohmann::json& value, int decimals) {
  if (!value.is_number()) return "–";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value.get<double>());
  return buffer;
}

std::string format_percent(const nlohmann::json& value) {
  if (!value.is_number()) return "–";
  return format_number(value.get<double>() * 100.0, 1);
}

std::string format_p(const nlohmann::json& value) {
  if (!value.is_number()) return "–";
  return value.get<double>() < 0.001 ? "&lt;0.001" : format_number(value, 3);
}

std::string format_with_ci(const nlohmann::json& value, const nlohmann::json& ci, int decimals) {
  std::string out = format_number(value, decimals);
  if (ci.is_array() && ci.size() == 2 && (ci[0].is_number() || ci[1].is_number())) {
    out += " <span class=\"ci\">(" + format_number(ci[0], decimals) + "–" +
           format_number(ci[1], decimals) + ")</span>";
  }
  return out;
}

std::string format_proportion(const nlohmann::json& metric) {
  const nlohmann::json& value = field_or_null(metric, "value");
  const nlohmann::json& ci = field_or_null(metric, "ci");
  std::string out = format_percent(value);
  if (ci.is_array() && ci.size() == 2 && (ci[0].is_number() || ci[1].is_number())) {
    out +=
        " <span class=\"ci\">(" + format_percent(ci[0]) + "–" + format_percent(ci[1]) + ")</span>";
  }
  return out;
}

std::string set_label(const std::string& set) {
  std::string out = set;
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

std::string html_table(const std::vector<Column>& columns,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& caption) {
  std::string out = "<table>\n";
  if (!caption.empty()) out += "<caption>" + caption + "</caption>\n";
  out += "<thead><tr>";
  for (const Column& c : columns) {
    out += (c.numeric ? "<th class=\"num\">" : "<th>") + c.title + "</th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      out += columns[i].numeric ? "<td class=\"num\">" : "<td>";
      if (i < row.size()) out += row[i];
      out += "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

}  // namespace deeptirp::report
