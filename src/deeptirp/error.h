#pragma once
#include <stdexcept>
#include <string>

namespace deeptirp {

// Library code throws Error; its message already names the file, line, column or DICOM tag at
// fault, so the CLI prints it as it is and exits non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace deeptirp
