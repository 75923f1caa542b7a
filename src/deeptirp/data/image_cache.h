#pragma once
// Decode once: the preprocessed 16-bit crop of each case, kept in memory (thread-safe) and,
// optionally, in a cache folder, so epochs never decode a DICOM again and a rerun reuses the
// folder. The folder's key covers everything the crop depends on, so a changed file, ROI or
// option is decoded afresh rather than read stale.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"

namespace deeptirp {

struct CacheStats {
  std::size_t memory_hits = 0;
  std::size_t disk_hits = 0;
  std::size_t decodes = 0;  // images read and preprocessed from their source file
};

// A case's preprocessed crop and where its ROI box lies in it (crop pixels).
struct CachedCrop {
  cv::Mat image;
  cv::Rect2d roi;
};

class ImageCache {
 public:
  // An empty `folder` keeps the cache in memory only.
  explicit ImageCache(ImageOptions options, std::filesystem::path folder = {});
  ImageCache(const ImageCache&) = delete;
  ImageCache& operator=(const ImageCache&) = delete;

  // The preprocessed crop (CV_16UC1, size x size). Shared, read-only: clone before writing.
  // Throws Error naming the file when it cannot be read.
  cv::Mat get(const std::filesystem::path& image, const std::optional<RoiBox>& roi);
  // The same, with the ROI box's place in the crop (for augmentation that must keep it).
  CachedCrop crop(const std::filesystem::path& image, const std::optional<RoiBox>& roi);

  CacheStats stats() const;
  const ImageOptions& options() const { return options_; }

  // The cache folder's key for a file as it is now (path, size, mtime, ROI, options, version).
  std::string disk_key(const std::filesystem::path& image, const std::optional<RoiBox>& roi) const;

 private:
  struct Slot {
    std::mutex mutex;
    bool ready = false;
    CachedCrop crop;
  };
  CachedCrop load(const std::filesystem::path& image, const std::optional<RoiBox>& roi);

  ImageOptions options_;
  std::filesystem::path folder_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
  std::atomic<std::size_t> memory_hits_{0}, disk_hits_{0}, decodes_{0};
};

}  // namespace deeptirp
