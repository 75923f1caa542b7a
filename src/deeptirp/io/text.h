#pragma once
// Lists as messages and DICOM values spell them.
#include <string>
#include <string_view>
#include <vector>

namespace deeptirp {

// "a, b, c" (or with another separator: a DICOM value's "\").
inline std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace deeptirp
