#pragma once
// How a statistic goes into results.json and the reader study's JSON: one form everywhere, with
// null where a value does not exist (an empty class, a constant rating), never NaN.
#include <nlohmann/json.hpp>

#include "deeptirp/stats/diagnostic.h"

namespace deeptirp::stats {

// A number, or null when it is not finite.
nlohmann::json number_or_null(double value);
// [low, high], or null when either end is not finite.
nlohmann::json ci_or_null(double low, double high);
// {"value": v, "ci": [low, high]}, with nulls as above.
nlohmann::json interval_json(const Interval& interval);

}  // namespace deeptirp::stats
