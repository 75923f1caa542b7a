#pragma once
// McNemar's test for paired binary outcomes (McNemar, Psychometrika 1947), as
// R's stats::mcnemar.test, plus the exact binomial test on the discordant
// pairs.
#include <cstddef>
#include <vector>

namespace deeptirp::stats {

struct McNemar {
  std::size_t both = 0;    // a = 1, b = 1
  std::size_t a_only = 0;  // a = 1, b = 0
  std::size_t b_only = 0;  // a = 0, b = 1
  std::size_t neither = 0;
  double statistic;  // with the continuity correction (|b - c| - 1)^2 / (b + c)
  double p;
  double statistic_uncorrected;
  double p_uncorrected;
  double p_exact;  // two-sided binomial test of b against Bin(b + c, 1/2)
};
// Outcomes are 0 or 1. Without discordant pairs there is no evidence of a
// difference: statistics 0 and p-values 1 (where R would print NaN).
McNemar mcnemar(const std::vector<int> &a, const std::vector<int> &b);

}  // namespace deeptirp::stats
