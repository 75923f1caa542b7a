#pragma once
// Small pieces of HTML writing shared by the report's sections: escaping, base64, and the way
// results.json's numbers (some of them null) are printed. The format_* functions return HTML.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace deeptirp::report {

// Text for an HTML element or a quoted attribute value: & < > " ' become entities.
std::string escape_html(std::string_view text);

// A results.json value as escaped text: a string as it is, a number as JSON writes it, null as "–".
std::string html_text(const nlohmann::json& value);

// RFC 4648 base64 (with padding), for data: URIs.
std::string base64(std::string_view bytes);

// JSON to put inside <script type="application/json">: every '<' becomes \u003c so that no
// "</script>" or "<!--" inside a string can end the element early.
std::string script_json(const nlohmann::json& value);

// A number of results.json with `decimals` decimals, or "–" when it is null or absent.
std::string format_number(const nlohmann::json& value, int decimals = 3);

// A proportion as a percentage with one decimal ("88.3"), or "–".
std::string format_percent(const nlohmann::json& value);

// A p-value: "<0.001" below 0.001, else three decimals; "–" when null.
std::string format_p(const nlohmann::json& value);

// "0.912 (0.842–0.981)" from a value and a [low, high] CI (either may be null).
std::string format_with_ci(const nlohmann::json& value, const nlohmann::json& ci, int decimals = 3);

// {"value": v, "ci": [lo, hi]} as a percentage with its CI: "88.3 (78.1–94.0)".
std::string format_proportion(const nlohmann::json& metric);

// A set's name for people: "external_test" -> "external test".
std::string set_label(const std::string& set);

struct Column {
  std::string title;     // HTML
  bool numeric = false;  // right-aligned
};

// A <table>; cells are HTML (escape text first). A row shorter than the header is padded.
std::string html_table(const std::vector<Column>& columns,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& caption = "");

}  // namespace deeptirp::report
