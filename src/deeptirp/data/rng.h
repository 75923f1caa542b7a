#pragma once
// Reproducible random numbers: std::mt19937_64 is fully specified by the standard, but the
// std::*_distribution algorithms are not, so the mappings to uniform, normal, integers and
// shuffles are our own and give the same numbers on every platform and compiler.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace deeptirp {

// SplitMix64's finaliser: derives independent seeds from (seed, stream) pairs, so that each case,
// view or epoch has its own generator and results do not depend on the order work is done in.
inline std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) from the top 53 bits.
inline double uniform01(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * (1.0 / 9007199254740992.0);
}

inline double uniform(std::mt19937_64& g, double lo, double hi) {
  return lo + (hi - lo) * uniform01(g);
}

inline bool bernoulli(std::mt19937_64& g, double p) { return uniform01(g) < p; }

// Uniform integer in [0, n) without modulo bias (rejection of the top partial block).
inline std::uint64_t uniform_index(std::mt19937_64& g, std::uint64_t n) {
  if (n <= 1) return 0;
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do {
    x = g();
  } while (x >= limit);
  return x % n;
}

// Box–Muller; one draw per call (the second value is dropped to keep the generator stateless).
inline double normal(std::mt19937_64& g, double mean = 0.0, double sd = 1.0) {
  double u1 = uniform01(g);
  const double u2 = uniform01(g);
  if (u1 < 1e-300) u1 = 1e-300;
  return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Index drawn with probability proportional to weights[i].
inline std::size_t weighted_index(std::mt19937_64& g, const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double u = uniform01(g) * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return weights.size() - 1;
}

// Fisher–Yates, drawing j in [0, i] from the back.
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& g) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(uniform_index(g, i));
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace deeptirp
