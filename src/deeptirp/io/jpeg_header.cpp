#include "deeptirp/io/jpeg_header.h"

#include <cstdint>

namespace deeptirp {
namespace {

bool is_frame_header(unsigned char marker) {  // SOF0-3, 5-7, 9-11, 13-15 (not DHT, JPG, DAC)
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

}  // namespace

std::string jpeg_header_problem(std::string_view s, int rows, int columns, int samples) {
  const auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (s.size() < 4 || at(0) != 0xFF || at(1) != 0xD8)
    return "the compressed frame does not start with a JPEG start-of-image marker";
  bool frame = false;
  for (size_t pos = 2;;) {
    if (pos + 4 > s.size()) return "the JPEG header is cut short before its first scan";
    if (at(pos) != 0xFF) return "the JPEG header has stray bytes between two markers";
    const unsigned char marker = at(pos + 1);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    const size_t length = size_t(at(pos + 2)) << 8 | at(pos + 3);
    if (length < 2 || pos + 2 + length > s.size())
      return "a JPEG marker segment runs past the end of the frame";
    const size_t body = pos + 4;
    if (is_frame_header(marker)) {
      if (frame) return "the JPEG header has two frame headers";
      if (length < 8) return "the JPEG frame header is too short";
      frame = true;
      const int precision = at(body), height = at(body + 1) << 8 | at(body + 2),
                width = at(body + 3) << 8 | at(body + 4), components = at(body + 5);
      if (precision < 2 || precision > 16)
        return "the JPEG frame header gives " + std::to_string(precision) + " bits per sample";
      if (height != rows || width != columns)
        return "the JPEG frame is " + std::to_string(width) + " x " + std::to_string(height) +
               ", the DICOM header says " + std::to_string(columns) + " x " + std::to_string(rows);
      if (components != samples || length != 8 + 3 * size_t(components))
        return "the JPEG frame has " + std::to_string(components) +
               " components, the DICOM header says " + std::to_string(samples) + " samples";
    } else if (marker == 0xDA) {
      return frame ? "" : "the JPEG scan comes before any frame header";
    } else if (marker == 0xD8 || marker == 0xD9 || (marker >= 0xD0 && marker <= 0xD7) ||
               marker == 0x01) {
      return "the JPEG header holds an unexpected marker before its first scan";
    }
    pos += 2 + length;
  }
}

}  // namespace deeptirp
