#pragma once
// SHA-256 of a file (OpenSSL's libcrypto), as lowercase hex: the integrity record of a bundle's
// files. A size check misses same-size corruption (every weight set to NaN, a flipped byte).
#include <filesystem>
#include <string>

namespace deeptirp {

// Reads the file in blocks; throws Error naming `path` when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace deeptirp
