#pragma once
// Helpers for the statistics tests: expected.json from ../shared, tolerances
// from the printed digits, and the Debian Python (scipy, sklearn) as an
// independent reference.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace deeptirp::testing {

inline nlohmann::json stats_expected() {
  std::ifstream in(shared_dir() / "data" / "stats" / "expected.json");
  return nlohmann::json::parse(in);
}

inline std::string stats_csv(const std::string &name) {
  return (shared_dir() / "data" / "stats" / name).string();
}

// Half a unit in the last printed digit: 0.4842 -> 5e-5, 4.115e-05 -> 5e-9.
// Values printed to full double precision get a floor of 1e-13 relative, what
// summation order can change.
inline double tolerance_for(const nlohmann::json &value) {
  const std::string text = value.dump();
  std::string mantissa = text;
  int exponent = 0;
  const auto e = text.find_first_of("eE");
  if (e != std::string::npos) {
    mantissa = text.substr(0, e);
    exponent = std::stoi(text.substr(e + 1));
  }
  const auto dot = mantissa.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(mantissa.size() - dot - 1);
  const double half_unit = 0.5 * std::pow(10.0, exponent - decimals);
  return std::max(half_unit, 1e-13 * std::max(1.0, std::fabs(value.get<double>())));
}

#define EXPECT_DIGITS(actual, json_value)                     \
  EXPECT_NEAR((actual), (json_value).get<double>(),           \
              ::deeptirp::testing::tolerance_for(json_value)) \
      << "expected " << (json_value).dump()

// Runs a Python script with the Debian python3 and parses the JSON it prints.
inline nlohmann::json python_json(const std::string &script, const std::string &name) {
  const auto dir = scratch_dir(name);
  const auto path = dir / "reference.py";
  std::ofstream(path) << script;
  std::string output;
  const int rc = run_command(reference_python() + " " + path.string(), &output);
  if (rc != 0) ADD_FAILURE() << "reference script failed:\n" << output;
  if (rc != 0) return nlohmann::json();
  // The result is the last line; warnings may come before it.
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return nlohmann::json::parse(output.substr(output.rfind('\n') + 1));
}

#define DEEPTIRP_REQUIRE_PYTHON()                                                     \
  do {                                                                                \
    if (::deeptirp::testing::reference_python().empty())                              \
      GTEST_SKIP() << "the Debian python3 with scipy/sklearn is absent; needed here"; \
  } while (0)

// Writes numbers as a CSV for the reference scripts.
inline void write_columns(const std::string &path, const std::vector<std::string> &header,
                          const std::vector<std::vector<double>> &columns) {
  std::ofstream out(path);
  for (std::size_t c = 0; c < header.size(); ++c) out << (c ? "," : "") << header[c];
  out << "\n";
  out.precision(17);
  for (std::size_t r = 0; r < columns.front().size(); ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c][r];
    out << "\n";
  }
}

}  // namespace deeptirp::testing
