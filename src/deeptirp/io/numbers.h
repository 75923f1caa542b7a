#pragma once
// How every table deeptirp writes (predictions, heat-map rows, clinical and ensemble outputs)
// spells a number, and the one logistic function behind every probability. A number is written
// as the shortest text that reads back as the same double, so a stage that reads a predictions
// file computes exactly what the in-memory path (the bundle) computes from the same values:
// with fixed decimals, a stacked ensemble of rounded inputs drifted 1e-5 from the bundle's.
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace deeptirp {

// The number a cell holds: a finite number in plain decimal or exponent notation, spaces around
// it allowed; nothing for "", "NaN", "inf" or "12 years". Every reader of numbers uses it.
std::optional<double> parse_number(std::string_view cell);
// The same, as a test with an out-parameter.
inline bool parse_number(const std::string& text, double& out) {
  const std::optional<double> v = parse_number(std::string_view(text));
  if (v) out = *v;
  return v.has_value();
}

// Empty cells and the spellings spreadsheets and R use for "no value" (NA, N/A, NaN, ., null):
// where a table allows a missing value (readers' confidence, statistics' columns).
bool is_missing(std::string_view cell);

// Shortest round-trip text (std::to_chars); "nan" / "inf" / "-inf" for those.
std::string format_number(double value);

// 1 / (1 + e^-z), without overflow for large |z|.
inline double sigmoid(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

}  // namespace deeptirp
