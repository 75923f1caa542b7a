// A libFuzzer program for one target of fuzz_targets.h (DEEPTIRP_FUZZ_TARGET names it).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const deeptirp::fuzz::Target& target = deeptirp::fuzz::target(DEEPTIRP_FUZZ_TARGET);
  deeptirp::fuzz::run_one(target, data, size);
  return 0;
}
