#pragma once
// Reproducible draws: std::mt19937_64 is fully specified by the standard, but
// std::uniform_int_distribution is not, so the same seed could resample differently across
// compilers. The mapping to [0, n) is ours: Lemire's multiply-and-reject (ACM TOMACS 2019),
// unbiased and nearly free of divisions.
#include <cstdint>
#include <random>

namespace deeptirp::stats {

inline std::uint64_t bounded_index(std::mt19937_64& generator, std::uint64_t n) {
  unsigned __int128 product = static_cast<unsigned __int128>(generator()) * n;
  std::uint64_t low = static_cast<std::uint64_t>(product);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      product = static_cast<unsigned __int128>(generator()) * n;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

}  // namespace deeptirp::stats
