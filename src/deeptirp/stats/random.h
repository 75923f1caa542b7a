#pragma once
// Reproducible draws: std::mt19937_64 is fully specified by the standard, but
// std::uniform_int_distribution is not, so the same seed could resample
// differently across compilers. The mapping to [0, n) is ours: Lemire's
// multiply-and-reject (ACM TOMACS 2019), unbiased and nearly free of divisions,
// on the two 32-bit halves of each 64-bit output (low half first), which halves
// the generator's work in the bootstrap.
#include <cstdint>
#include <random>

namespace deeptirp::stats {

class IndexDraws {
 public:
  explicit IndexDraws(std::uint64_t seed) : generator_(seed) {}

  // Uniform in [0, n), for 0 < n < 2^32.
  std::uint32_t operator()(std::uint32_t n) {
    std::uint64_t product = static_cast<std::uint64_t>(next32()) * n;
    std::uint32_t low = static_cast<std::uint32_t>(product);
    if (low < n) {
      const std::uint32_t threshold = (0u - n) % n;
      while (low < threshold) {
        product = static_cast<std::uint64_t>(next32()) * n;
        low = static_cast<std::uint32_t>(product);
      }
    }
    return static_cast<std::uint32_t>(product >> 32);
  }

 private:
  std::uint32_t next32() {
    if (has_high_) {
      has_high_ = false;
      return high_;
    }
    const std::uint64_t x = generator_();
    high_ = static_cast<std::uint32_t>(x >> 32);
    has_high_ = true;
    return static_cast<std::uint32_t>(x);
  }

  std::mt19937_64 generator_;
  std::uint32_t high_ = 0;
  bool has_high_ = false;
};

}  // namespace deeptirp::stats
