#pragma once
// The readers that take bytes from outside, as fuzz targets: each feeds the bytes to one reader and
// accepts a result or a deeptirp::Error. Anything else is a finding: a crash, a sanitizer report,
// or another exception escaping (its message would not name the input).
//
// Built two ways: as libFuzzer programs (fuzz_<target>.cpp, option DEEPTIRP_FUZZ with clang), and
// into test_fuzz_regressions, which replays every input kept in tests/fuzz/regressions/<target>/
// (each a crash the fuzzer found, then fixed) in the ordinary test run.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deeptirp::fuzz {

struct Target {
  std::string name;
  void (*run)(std::string_view bytes);  // throws only deeptirp::Error
};

const std::vector<Target>& targets();
const Target& target(const std::string& name);

// One input through one target; aborts (a finding) on anything but success or deeptirp::Error.
void run_one(const Target& target, const uint8_t* data, size_t size);

}  // namespace deeptirp::fuzz
