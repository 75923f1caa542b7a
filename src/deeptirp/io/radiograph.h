#pragma once
// Reading any radiograph the study meets (DICOM, PNG, JPEG; 8 or 16 bit) into one form: a single
// channel of 16-bit display values, bone bright, full range 0..65535. Precision stays at 16 bits
// until the final normalisation of the model input.
#include <opencv2/core.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace deeptirp {

// Decides the format by content (DICOM preamble/tags, PNG or JPEG signature), not by extension.
// Throws Error naming `path` when the file is missing, truncated, not an image, or holds no pixels.
cv::Mat read_radiograph(const std::filesystem::path& path);

// Reads only the first bytes (fast, for checking thousands of files at import): "" when they
// start as a DICOM, PNG or JPEG file does, else the problem, naming `path`.
std::string radiograph_signature_problem(const std::filesystem::path& path);

// The same from bytes in memory; `name` only labels error messages (a PACS instance, a fuzz input).
cv::Mat decode_radiograph(std::string_view bytes, const std::string& name);

}  // namespace deeptirp
