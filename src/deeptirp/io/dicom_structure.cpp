#include "deeptirp/io/dicom_structure.h"

#include <zlib.h>

#include <cstdio>
#include <vector>

#include "deeptirp/error.h"

namespace deeptirp {
namespace {

constexpr uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr int kMaxDepth = 16;                       // real files nest sequences 3-4 deep
constexpr uint64_t kMaxInflatedBytes = 1ull << 30;  // a deflated data set larger is refused

struct Encoding {
  bool explicit_vr = true;
  bool big_endian = false;
};

const Encoding kExplicitLittle{true, false};
const Encoding kImplicitLittle{false, false};

std::string tag_text(uint16_t group, uint16_t element) {
  char text[16];
  std::snprintf(text, sizeof text, "(%04X,%04X)", group, element);
  return text;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// The VRs of PS3.5 6.2: GDCM asserts on any other two letters.
bool is_known_vr(std::string_view vr) {
  static const std::string_view known =
      "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "
      "UR US UT UV";
  for (size_t i = 0; i + 2 <= known.size(); i += 3)
    if (known.substr(i, 2) == vr) return true;
  return false;
}

// VRs whose explicit encoding has 2 reserved bytes and a 32-bit length (PS3.5 7.1.2).
bool has_long_length(std::string_view vr) {
  for (const char* v :
       {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
    if (vr == v) return true;
  return false;
}

class Walker {
 public:
  Walker(std::string_view bytes, const std::string& name, const char* where)
      : bytes_(bytes), name_(name), where_(where) {}

  // Elements of group 0002 from `pos` (always explicit VR little endian); returns where they end.
  size_t meta_group(size_t pos, std::string* transfer_syntax) {
    while (bytes_.size() - pos >= 2 && u16(pos, kExplicitLittle) == 0x0002) {
      const size_t start = pos;
      // PS3.10 7.1: no meta element is a sequence, and GDCM's meta reader asserts on one.
      if (bytes_.size() - pos >= 6 && bytes_.substr(pos + 4, 2) == "SQ")
        fail(pos, tag_text(0x0002, u16(pos + 2, kExplicitLittle)) +
                      " in the file meta group is a sequence");
      pos = element(pos, bytes_.size(), kExplicitLittle, 0, false);
      if (u16(start + 2, kExplicitLittle) == 0x0010) {
        std::string uid(bytes_.substr(start + 8, pos - start - 8));
        while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
        *transfer_syntax = uid;
      }
    }
    return pos;
  }

  // The top-level data set, from `pos` to the end of the bytes.
  void data_set(size_t pos, Encoding encoding) {
    palettes_.emplace_back();
    while (pos < bytes_.size()) {
      const size_t start = pos;
      pos = element(pos, bytes_.size(), encoding, 0, true);
      if (icon_start_ == start) icon = bytes_.substr(start, pos - start);
    }
    check_palette(pos);
  }

  std::string_view icon;  // the top-level Icon Image Sequence (0088,0200), element and value

  PixelDataExtent pixel_data;

 private:
  uint16_t u16(size_t at, Encoding e) const {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data() + at);
    return e.big_endian ? uint16_t(p[0] << 8 | p[1]) : uint16_t(p[1] << 8 | p[0]);
  }
  uint32_t u32(size_t at, Encoding e) const {
    const uint32_t a = u16(at, e), b = u16(at + 2, e);
    return e.big_endian ? (a << 16 | b) : (b << 16 | a);
  }

  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw Error(name_ + ": DICOM file is cut short or corrupt: " + what + " at byte " +
                std::to_string(at) + where_);
  }

  void need(size_t at, uint64_t count, size_t end, const std::string& what) const {
    if (at > end || count > end - at)
      fail(at, what + " needs " + std::to_string(count) + " bytes, " +
                   std::to_string(at > end ? 0 : end - at) + " remain");
  }

  // One element at `pos` inside [pos, end); returns the position after it. An item delimiter
  // (FFFE,E00D) ends an item of undefined length: the caller sees it through `delimiter_`.
  size_t element(size_t pos, size_t end, Encoding e, int depth, bool top) {
    need(pos, 8, end, "an element header");
    const uint16_t group = u16(pos, e), elem = u16(pos + 2, e);
    const std::string tag = "element " + tag_text(group, elem);
    if (group == 0xFFFE) {
      if (elem != 0xE00D) fail(pos, "item tag " + tag_text(group, elem) + " outside a sequence");
      delimiter_ = true;
      return pos + 8;
    }
    std::string_view vr;
    uint64_t length = 0;
    size_t value = pos + 8;
    if (e.explicit_vr) {
      vr = bytes_.substr(pos + 4, 2);
      if (!is_known_vr(vr)) fail(pos, tag + " has no valid VR");
      if (has_long_length(vr)) {
        need(pos, 12, end, tag + "'s header");
        length = u32(pos + 8, e);
        value = pos + 12;
      } else {
        length = u16(pos + 6, e);
      }
    } else {
      length = u32(pos + 4, e);
    }
    const bool is_pixel_data = top && group == 0x7FE0 && elem == 0x0010;
    if (group == 0x7FE0 && elem == 0x0010 && e.explicit_vr && vr != "OB" && vr != "OW")
      fail(pos, tag + " (Pixel Data) has VR " + std::string(vr) + ", not OB or OW");
    if (top && group == 0x0088 && elem == 0x0200) icon_start_ = pos;
    if (length == kUndefinedLength) {
      // Only sequences, UN and encapsulated Pixel Data (an icon's too) have one; GDCM asserts on
      // any other.
      const bool pixels = group == 0x7FE0 && elem == 0x0010;
      if (e.explicit_vr && vr != "SQ" && vr != "UN" && !(pixels && (vr == "OB" || vr == "OW")))
        fail(pos, tag + " (" + std::string(vr) + ") has an undefined length");
      if (pixels) {
        if (is_pixel_data) pixel_data.present = pixel_data.encapsulated = true;
        return fragments(value, end, e, tag, is_pixel_data);
      }
      // UN of undefined length holds implicit VR little endian items (PS3.5 6.2.2).
      return items(value, end, vr == "UN" ? kImplicitLittle : e, depth + 1, false, tag);
    }
    need(value, length, end, tag + "'s value");
    const size_t next = value + size_t(length);
    if (group == 0x0028) {
      check_image_element(elem, vr, value, length, e);
      note_palette(elem, value, length, e);
    }
    if (is_pixel_data) {
      pixel_data.present = true;
      pixel_data.length = length;
    }
    const bool nested = e.explicit_vr ? vr == "SQ" : looks_like_item(value, next, e);
    if (nested && items(value, next, e, depth + 1, true, tag) != next)
      fail(value, tag + "'s items do not fill its length");
    return next;
  }

  bool looks_like_item(size_t at, size_t end, Encoding e) const {
    return end - at >= 8 && u16(at, e) == 0xFFFE && u16(at + 2, e) == 0xE000;
  }

  // Items of a sequence; a defined-length sequence ends at `end`, an undefined one at (FFFE,E0DD).
  size_t items(size_t pos, size_t end, Encoding e, int depth, bool defined,
               const std::string& owner) {
    if (depth > kMaxDepth)
      fail(pos, owner + " nests sequences deeper than " + std::to_string(kMaxDepth));
    while (!defined || pos < end) {
      need(pos, 8, end, owner + ": an item header (no sequence delimiter)");
      const uint16_t group = u16(pos, e), elem = u16(pos + 2, e);
      const uint32_t length = u32(pos + 4, e);
      const size_t value = pos + 8;
      if (group == 0xFFFE && elem == 0xE0DD) return value;
      if (group != 0xFFFE || elem != 0xE000)
        fail(pos, owner + " holds " + tag_text(group, elem) + " where an item belongs");
      palettes_.emplace_back();  // each item is a data set of its own (an icon, say)
      if (length == kUndefinedLength) {
        delimiter_ = false;
        pos = value;
        while (!delimiter_) pos = element(pos, end, e, depth, false);
        delimiter_ = false;
      } else {
        need(value, length, end, owner + ": an item");
        for (size_t at = value; at < value + length;) {
          at = element(at, value + length, e, depth, false);
          if (delimiter_) fail(at, owner + ": an item delimiter inside an item of defined length");
        }
        pos = value + length;
      }
      check_palette(pos);
    }
    return pos;
  }

  // Encapsulated pixel data: the Basic Offset Table item, the fragments, the sequence delimiter.
  size_t fragments(size_t pos, size_t end, Encoding e, const std::string& owner, bool top) {
    for (bool offset_table = true;; offset_table = false) {
      need(pos, 8, end, owner + ": a fragment header (no sequence delimiter)");
      const uint16_t group = u16(pos, e), elem = u16(pos + 2, e);
      const uint32_t length = u32(pos + 4, e);
      const size_t value = pos + 8;
      if (group == 0xFFFE && elem == 0xE0DD) return value;
      if (group != 0xFFFE || elem != 0xE000 || length == kUndefinedLength)
        fail(pos, owner + " holds " + tag_text(group, elem) + " where a fragment belongs");
      need(value, length, end, owner + ": a fragment");
      if (!offset_table && top) {
        ++pixel_data.fragments;
        pixel_data.length += length;
        std::string_view fragment = bytes_.substr(value, length);
        if (pixel_data.fragments == 1) pixel_data.first_fragment = fragment;
        // One pad byte to an even length, 00 or FF (both seen in real files).
        if (!fragment.empty() && fragment.back() != '\xD9') fragment.remove_suffix(1);
        pixel_data.ends_with_eoi = fragment.size() >= 2 && fragment.substr(fragment.size() - 2) ==
                                                               std::string_view("\xFF\xD9", 2);
      }
      pos = value + length;
    }
  }

  // The Image Pixel module's elements, which GDCM reads with typed attributes that assert when a
  // file gives another VR, and values GDCM's pixel format asserts on (any data set: icons too).
  void check_image_element(uint16_t elem, std::string_view vr, size_t value, uint64_t length,
                           Encoding e) const {
    const char* want = nullptr;
    switch (elem) {
      case 0x0002:
      case 0x0006:
      case 0x0010:
      case 0x0011:
      case 0x0100:
      case 0x0101:
      case 0x0102:
      case 0x0103:
        want = "US";
        break;
      case 0x0004:
        want = "CS";
        break;
      case 0x0008:
        want = "IS";
        break;
      case 0x1050:
      case 0x1051:
      case 0x1052:
      case 0x1053:
        want = "DS";
        break;
      case 0x3002:
      case 0x1101:
      case 0x1102:
      case 0x1103:
        want = "US SS";
        break;
      default:
        return;
    }
    const std::string tag = "element " + tag_text(0x0028, elem);
    if (!vr.empty() && std::string_view(want).find(vr) == std::string_view::npos)
      fail(value, tag + " has VR " + std::string(vr) + ", not " + want);
    const bool three = elem == 0x3002 || (elem >= 0x1101 && elem <= 0x1103);
    if (std::string_view(want) == "US" && length != 0 && length != 2)
      fail(value, tag + " holds " + std::to_string(length) + " bytes, not one US value");
    if (three && length != 0 && length != 6)
      fail(value, tag + " holds " + std::to_string(length) + " bytes, not a LUT descriptor");
    if (elem == 0x0002 && length == 2 && u16(value, e) > 4)
      fail(value, "Samples per Pixel (0028,0002) is " + std::to_string(u16(value, e)));
  }

  // Palette colour lookup tables (PS3.3 C.7.6.3.1.5), whose lengths GDCM asserts on: per colour,
  // the descriptor's entries (0 = 65536) and bits, and the data's length.
  struct Palette {
    int64_t entries[3] = {-1, -1, -1}, first[3] = {0, 0, 0}, bits[3] = {0, 0, 0};
    int64_t data[3] = {-1, -1, -1};
  };

  void note_palette(uint16_t elem, size_t value, uint64_t length, Encoding e) {
    const int colour = (elem & 0xF) - 1;  // red, green, blue
    if (colour < 0 || colour > 2) return;
    Palette& p = palettes_.back();
    if ((elem & 0xFFF0) == 0x1100 && length == 6) {
      p.entries[colour] = u16(value, e) == 0 ? 65536 : u16(value, e);
      p.first[colour] = u16(value + 2, e);
      p.bits[colour] = u16(value + 4, e);
    } else if ((elem & 0xFFF0) == 0x1200) {
      p.data[colour] = int64_t(length);
    }
  }

  void check_palette(size_t at) {
    const Palette p = palettes_.back();
    palettes_.pop_back();
    for (int c = 0; c < 3; ++c) {
      if (p.data[c] < 0) continue;
      const std::string lut =
          "the palette colour lookup table (0028,120" + std::to_string(c + 1) + ")";
      if (p.entries[c] < 0)
        fail(at, lut + " has no descriptor (0028,110" + std::to_string(c + 1) + ")");
      if (p.bits[c] != 8 && p.bits[c] != 16)
        fail(at, lut + "'s descriptor gives " + std::to_string(p.bits[c]) + " bits, not 8 or 16");
      if (p.first[c] != 0)
        fail(at, lut + "'s descriptor maps from " + std::to_string(p.first[c]) + ", not 0");
      const int64_t expected = p.entries[c] * (p.bits[c] / 8);
      if (p.data[c] != expected && p.data[c] != expected + 1)
        fail(at, lut + " holds " + std::to_string(p.data[c]) + " bytes, its descriptor " +
                     std::to_string(expected));
    }
  }

  std::string_view bytes_;
  const std::string& name_;
  std::vector<Palette> palettes_;
  const char* where_;
  bool delimiter_ = false;
  size_t icon_start_ = std::string_view::npos;
};

// A data set without meta group: implicit or explicit VR (a VR's two capitals after the tag), and
// big endian when the first group's high byte comes first (00 08 ...).
Encoding guess_encoding(std::string_view bytes, size_t pos) {
  if (bytes.size() - pos < 8) return kImplicitLittle;
  Encoding e;
  e.explicit_vr = is_upper(bytes[pos + 4]) && is_upper(bytes[pos + 5]);
  e.big_endian = bytes[pos] == '\0' && bytes[pos + 1] != '\0';
  return e;
}

std::string inflate_data_set(std::string_view deflated, const std::string& name) {
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)  // raw deflate (PS3.5 A.5)
    throw Error(name + ": cannot start zlib to inflate the DICOM data set");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(deflated.data()));
  stream.avail_in = static_cast<uInt>(deflated.size());
  std::string out;
  int status = Z_OK;
  while (status == Z_OK && out.size() < kMaxInflatedBytes) {
    const size_t done = out.size();
    out.resize(done + (1u << 20));
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + done);
    stream.avail_out = 1u << 20;
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(done + (1u << 20) - stream.avail_out);
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END)
    throw Error(name + ": the deflated DICOM data set is cut short, corrupt or over " +
                std::to_string(kMaxInflatedBytes >> 20) + " MiB when inflated");
  return out;
}

}  // namespace

bool starts_like_dicom(std::string_view bytes) {
  if (bytes.size() >= 132 && bytes.substr(128, 4) == "DICM") return true;
  if (bytes.size() < 8) return false;
  const Encoding e = guess_encoding(bytes, 0);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned group = e.big_endian ? p[0] << 8 | p[1] : p[1] << 8 | p[0];
  return group == 0x0002 || group == 0x0008;  // meta group, or Identifying (PS3.5 7.1: ascending)
}

DicomStructure check_dicom_structure(std::string_view bytes, const std::string& name) {
  DicomStructure result;
  size_t pos = bytes.size() >= 132 && bytes.substr(128, 4) == "DICM" ? 132 : 0;
  Walker walker(bytes, name, "");
  const bool has_meta = bytes.size() - pos >= 2 && bytes[pos] == 2 && bytes[pos + 1] == 0;
  if (has_meta) pos = walker.meta_group(pos, &result.transfer_syntax_uid);
  if (pos == bytes.size()) throw Error(name + ": DICOM file is cut short: it holds no data set");
  const std::string& ts = result.transfer_syntax_uid;
  if (ts == "1.2.840.10008.1.2.1.99") {
    result.deflated = true;
    const std::string inflated = inflate_data_set(bytes.substr(pos), name);
    Walker inner(inflated, name, " of the inflated data set");
    inner.data_set(0, kExplicitLittle);
    result.pixel_data = inner.pixel_data;
    result.pixel_data.first_fragment = {};  // it lay in the inflated copy
    return result;
  }
  // The data set's first element shows whether VRs are explicit (GDCM, too, reads files whose
  // meta group names the wrong one); big endian is declared.
  Encoding encoding = guess_encoding(bytes, pos);
  if (ts == "1.2.840.10008.1.2.2") encoding.big_endian = true;
  walker.data_set(pos, encoding);
  result.pixel_data = walker.pixel_data;
  result.icon_sequence = walker.icon;
  return result;
}

}  // namespace deeptirp
