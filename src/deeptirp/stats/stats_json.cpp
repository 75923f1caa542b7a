#include "deeptirp/stats/stats_json.h"

#include <cmath>

namespace deeptirp::stats {

nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json ci_or_null(double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high)) return nullptr;
  return {low, high};
}

nlohmann::json interval_json(const Interval& interval) {
  if (!std::isfinite(interval.value)) return {{"value", nullptr}, {"ci", nullptr}};
  return {{"value", interval.value}, {"ci", ci_or_null(interval.ci_low, interval.ci_high)}};
}

}  // namespace deeptirp::stats
