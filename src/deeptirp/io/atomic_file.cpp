#include "deeptirp/io/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <system_error>

#include "deeptirp/error.h"

namespace deeptirp {
namespace {

std::filesystem::path temporary_name(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  return target.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target)
    : target_(std::move(target)), temporary_(temporary_name(target_)) {
  if (target_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(target_.parent_path(), ec);
  }
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(target_.string() + ": cannot open for writing");
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(temporary_, ec);
  }
}

void AtomicFile::commit() {
  out_.flush();
  if (!out_) throw Error(target_.string() + ": write failed (disk full?)");
  out_.close();
  std::error_code ec;
  std::filesystem::rename(temporary_, target_, ec);
  if (ec) throw Error(target_.string() + ": cannot rename into place: " + ec.message());
  committed_ = true;
}

void write_file_atomically(const std::filesystem::path& target, std::string_view bytes) {
  AtomicFile file(target);
  file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.commit();
}

}  // namespace deeptirp
