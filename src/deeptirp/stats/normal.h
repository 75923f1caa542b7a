#pragma once
// The standard normal quantities every Wald-type interval and test here needs
// (Boost.Math).
#include <boost/math/distributions/normal.hpp>
#include <cmath>

namespace deeptirp::stats {

// z such that a central interval at `level` is estimate ± z·se (1.959964 for
// 0.95).
inline double normal_quantile_for(double level) {
  const boost::math::normal standard;
  return boost::math::quantile(boost::math::complement(standard, (1.0 - level) / 2.0));
}

inline double two_sided_p(double z) {
  const boost::math::normal standard;
  return 2.0 * boost::math::cdf(boost::math::complement(standard, std::fabs(z)));
}

inline double upper_tail_p(double z) {
  const boost::math::normal standard;
  return boost::math::cdf(boost::math::complement(standard, z));
}

}  // namespace deeptirp::stats
