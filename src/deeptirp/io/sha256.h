#pragma once
// SHA-256 of a file (OpenSSL's libcrypto), as lowercase hex: the integrity record of a bundle's
// files. A size check misses same-size corruption (every weight set to NaN, a flipped byte).
#include <filesystem>
#include <string>
#include <string_view>

namespace deeptirp {

// Reads the file in blocks; throws Error naming `path` when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

// The 32 raw bytes of the SHA-256 of `bytes` (bytes already in memory).
std::string sha256_digest(std::string_view bytes);

// Lowercase hex of raw bytes.
std::string hex_digits(std::string_view bytes);

}  // namespace deeptirp
