#pragma once
// Internals of the .pth reader shared with read_weights' format sniffing.
#include <string_view>

namespace deeptirp {

// The first bytes of a pre-1.6 (non-zip) torch.save file: PROTO 2, then LONG1 (its magic number).
bool is_legacy_pth(std::string_view head);

}  // namespace deeptirp
