#pragma once
// Outputs are written to a temporary name beside the target and renamed into place, so that a
// crash or a kill -9 never leaves a half-written file under the real name.
#include <filesystem>
#include <fstream>
#include <string_view>

namespace deeptirp {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file when commit() was not reached

  std::ostream& stream() { return out_; }
  // Flushes, checks for write errors and renames the temporary file onto the target.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  std::ofstream out_;
  bool committed_ = false;
};

void write_file_atomically(const std::filesystem::path& target, std::string_view bytes);

}  // namespace deeptirp
