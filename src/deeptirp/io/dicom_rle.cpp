#include "deeptirp/io/dicom_rle.h"

#include <cstdint>
#include <cstring>

#include "deeptirp/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "RLE byte planes assume little endian");

namespace deeptirp {
namespace {

uint32_t little_endian_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// PackBits (G.3.1): n >= 0 copies n+1 literal bytes, -127..-1 repeats the next byte 1-n times,
// -128 is a no-op. Writes `count` bytes `stride` apart; returns false when the segment runs short.
bool unpack_segment(const uint8_t* in, const uint8_t* end, uint8_t* out, size_t count,
                    size_t stride) {
  size_t written = 0;
  while (written < count && in < end) {
    const int n = static_cast<int8_t>(*in++);
    if (n >= 0) {
      size_t run = size_t(n) + 1;
      if (run > size_t(end - in)) return false;
      if (run > count - written) run = count - written;
      for (size_t i = 0; i < run; ++i) out[(written + i) * stride] = in[i];
      in += n + 1;
      written += run;
    } else if (n != -128) {
      if (in >= end) return false;
      size_t run = size_t(1 - n);
      if (run > count - written) run = count - written;
      const uint8_t value = *in++;
      for (size_t i = 0; i < run; ++i) out[(written + i) * stride] = value;
      written += run;
    }
  }
  return written == count;
}

}  // namespace

void decode_rle_frame(std::string_view frame, cv::Mat& out, const std::string& name) {
  const size_t bytes_per_sample = out.elemSize();
  if (out.channels() != 1 || (bytes_per_sample != 1 && bytes_per_sample != 2) ||
      !out.isContinuous())
    throw Error(name + ": RLE decoding needs one 8- or 16-bit sample per pixel");
  const auto* data = reinterpret_cast<const uint8_t*>(frame.data());
  constexpr size_t kHeaderBytes = 64;  // G.5: segment count + 15 offsets, 32-bit little endian
  if (frame.size() < kHeaderBytes) throw Error(name + ": RLE frame shorter than its header");
  const uint32_t segments = little_endian_u32(data);
  if (segments != bytes_per_sample)
    throw Error(name + ": RLE frame has " + std::to_string(segments) + " segments, expected " +
                std::to_string(bytes_per_sample));
  const size_t pixels = out.total();
  auto* target = out.ptr<uint8_t>();
  for (size_t s = 0; s < segments; ++s) {
    const size_t begin = little_endian_u32(data + 4 + 4 * s);
    const size_t end = s + 1 < segments ? little_endian_u32(data + 8 + 4 * s) : frame.size();
    if (begin < kHeaderBytes || begin > end || end > frame.size())
      throw Error(name + ": RLE segment offsets are corrupt");
    // Segment 0 holds the most significant bytes (G.2); this host is little endian.
    const size_t byte_in_sample = bytes_per_sample - 1 - s;
    if (!unpack_segment(data + begin, data + end, target + byte_in_sample, pixels,
                        bytes_per_sample))
      throw Error(name + ": RLE segment " + std::to_string(s + 1) +
                  " ends early; the pixel data is truncated or corrupt");
  }
}

}  // namespace deeptirp
