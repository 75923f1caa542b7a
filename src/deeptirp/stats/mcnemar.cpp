#include "deeptirp/stats/mcnemar.h"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <cstdlib>

#include "deeptirp/error.h"

namespace deeptirp::stats {
namespace {

double chi_squared_1_upper(double statistic) {
  const boost::math::chi_squared chi2(1.0);
  return boost::math::cdf(boost::math::complement(chi2, statistic));
}

}  // namespace

McNemar mcnemar(const std::vector<int> &a, const std::vector<int> &b) {
  if (a.size() != b.size()) throw Error("McNemar's test needs paired outcomes of equal length");
  McNemar m{};
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] && b[i]) ++m.both;
    if (a[i] && !b[i]) ++m.a_only;
    if (!a[i] && b[i]) ++m.b_only;
    if (!a[i] && !b[i]) ++m.neither;
  }
  const double discordant = static_cast<double>(m.a_only + m.b_only);
  if (discordant == 0.0) {
    m.statistic = m.statistic_uncorrected = 0.0;
    m.p = m.p_uncorrected = m.p_exact = 1.0;
    return m;
  }
  const double difference =
      std::fabs(static_cast<double>(m.a_only) - static_cast<double>(m.b_only));
  // R drops the correction when b == c, where it would overshoot past zero.
  const double corrected = difference > 0.0 ? difference - 1.0 : 0.0;
  m.statistic = corrected * corrected / discordant;
  m.statistic_uncorrected = difference * difference / discordant;
  m.p = chi_squared_1_upper(m.statistic);
  m.p_uncorrected = chi_squared_1_upper(m.statistic_uncorrected);
  const boost::math::binomial pairs(discordant, 0.5);
  const double smaller = static_cast<double>(std::min(m.a_only, m.b_only));
  m.p_exact = std::min(1.0, 2.0 * boost::math::cdf(pairs, smaller));
  return m;
}

}  // namespace deeptirp::stats
