#pragma once
// Readers take bytes as well as paths (a PACS instance, a fuzz input); these helpers let one
// decoder serve both without copying the bytes again.
#include <filesystem>
#include <istream>
#include <streambuf>
#include <string>
#include <string_view>

namespace deeptirp {

// The whole file; throws Error naming `path` when it cannot be opened or read.
std::string read_file_bytes(const std::filesystem::path& path);

// A seekable read-only std::istream over bytes owned by the caller (GDCM seeks while parsing).
class MemoryStream : public std::istream {
 public:
  explicit MemoryStream(std::string_view bytes);

 private:
  class Buffer : public std::streambuf {
   public:
    explicit Buffer(std::string_view bytes);

   protected:
    pos_type seekoff(off_type offset, std::ios_base::seekdir dir,
                     std::ios_base::openmode which) override;
    pos_type seekpos(pos_type position, std::ios_base::openmode which) override;
  };
  Buffer buffer_;
};

}  // namespace deeptirp
