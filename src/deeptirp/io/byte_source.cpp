#include "deeptirp/io/byte_source.h"

#include <fstream>
#include <iterator>

#include "deeptirp/error.h"

namespace deeptirp {

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open for reading");
  std::string bytes;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(path.string() + ": cannot read (not a regular file?)");
  bytes.resize(static_cast<size_t>(size));
  in.seekg(0, std::ios::beg);
  in.read(bytes.data(), size);
  if (in.gcount() != size) throw Error(path.string() + ": read failed");
  return bytes;
}

MemoryStream::Buffer::Buffer(std::string_view bytes) {
  // std::streambuf wants char* even for a get area it never writes to.
  char* begin = const_cast<char*>(bytes.data());
  setg(begin, begin, begin + bytes.size());
}

MemoryStream::Buffer::pos_type MemoryStream::Buffer::seekoff(off_type offset,
                                                             std::ios_base::seekdir dir,
                                                             std::ios_base::openmode which) {
  if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
  off_type base = 0;
  if (dir == std::ios_base::cur) base = gptr() - eback();
  if (dir == std::ios_base::end) base = egptr() - eback();
  const off_type target = base + offset;
  if (target < 0 || target > egptr() - eback()) return pos_type(off_type(-1));
  setg(eback(), eback() + target, egptr());
  return pos_type(target);
}

MemoryStream::Buffer::pos_type MemoryStream::Buffer::seekpos(pos_type position,
                                                             std::ios_base::openmode which) {
  return seekoff(off_type(position), std::ios_base::beg, which);
}

MemoryStream::MemoryStream(std::string_view bytes) : std::istream(nullptr), buffer_(bytes) {
  rdbuf(&buffer_);
}

}  // namespace deeptirp
