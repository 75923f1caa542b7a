#include "deeptirp/data/image_cache.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "deeptirp/data/preprocess.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/radiograph.h"

namespace deeptirp {
namespace {

// Bump when the crop, resize or file layout changes: old cache files then simply miss.
constexpr int kCacheFormatVersion = 2;  // 2: the ROI box in the crop, intensity
constexpr char kMagic[8] = {'D', 'T', 'I', 'R', 'P', 'C', '0', '2'};

std::string roi_text(const std::optional<RoiBox>& roi) {
  if (!roi) return "none";
  return std::to_string(roi->x0) + "," + std::to_string(roi->y0) + "," + std::to_string(roi->x1) +
         "," + std::to_string(roi->y1);
}

// Two 64-bit FNV-1a hashes with different offsets: a 128-bit file name. The full key is also
// stored in the file and compared, so a collision can only cost a decode, never a wrong image.
std::string hash_name(const std::string& text) {
  std::uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
  for (unsigned char ch : text) {
    a = (a ^ ch) * 0x100000001b3ULL;
    b = (b ^ (ch + 0x5bu)) * 0x100000001b3ULL;
  }
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t get_u32(const std::string& in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

void put_f64(std::string& out, double v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  out.append(bytes, sizeof v);
}

double get_f64(const std::string& in, std::size_t at) {
  double v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

// Layout: magic, key length, key, the ROI box in the crop (x, y, width, height as doubles),
// width, height, then width*height little-endian uint16.
constexpr std::size_t kBoxBytes = 4 * sizeof(double);

std::string encode_entry(const std::string& key, const CachedCrop& crop) {
  const cv::Mat& image = crop.image;
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, static_cast<std::uint32_t>(key.size()));
  out += key;
  for (double v : {crop.roi.x, crop.roi.y, crop.roi.width, crop.roi.height}) put_f64(out, v);
  put_u32(out, static_cast<std::uint32_t>(image.cols));
  put_u32(out, static_cast<std::uint32_t>(image.rows));
  out.reserve(out.size() + image.total() * 2);
  for (int y = 0; y < image.rows; ++y) {
    const auto* row = image.ptr<std::uint16_t>(y);
    for (int x = 0; x < image.cols; ++x) {
      out += static_cast<char>(row[x] & 0xFF);
      out += static_cast<char>(row[x] >> 8);
    }
  }
  return out;
}

// Nothing when the file is absent, damaged or holds another key.
std::optional<CachedCrop> decode_entry(const std::filesystem::path& file, const std::string& key) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return std::nullopt;
  const std::size_t key_size = get_u32(bytes, 8);
  if (bytes.size() < 20 + kBoxBytes + key_size || bytes.compare(12, key_size, key) != 0)
    return std::nullopt;
  std::size_t at = 12 + key_size;
  CachedCrop crop;
  crop.roi = cv::Rect2d(get_f64(bytes, at), get_f64(bytes, at + 8), get_f64(bytes, at + 16),
                        get_f64(bytes, at + 24));
  at += kBoxBytes;
  const int width = static_cast<int>(get_u32(bytes, at)),
            height = static_cast<int>(get_u32(bytes, at + 4));
  if (width <= 0 || height <= 0 || bytes.size() != at + 8 + std::size_t(width) * height * 2)
    return std::nullopt;
  cv::Mat image(height, width, CV_16UC1);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at + 8);
  for (int y = 0; y < height; ++y) {
    auto* row = image.ptr<std::uint16_t>(y);
    for (int x = 0; x < width; ++x, p += 2) row[x] = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
  }
  crop.image = image;
  return crop;
}

}  // namespace

ImageCache::ImageCache(ImageOptions options, std::filesystem::path folder)
    : options_(options), folder_(std::move(folder)) {
  if (!folder_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(folder_, ec);
    if (ec)
      throw Error(folder_.string() + ": cannot create the image cache folder: " + ec.message());
  }
}

std::string ImageCache::disk_key(const std::filesystem::path& image,
                                 const std::optional<RoiBox>& roi) const {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(image, ec).lexically_normal();
  const auto size = std::filesystem::file_size(image, ec);
  if (ec) throw Error(image.string() + ": cannot read the image: " + ec.message());
  const auto mtime = std::filesystem::last_write_time(image, ec).time_since_epoch().count();
  if (ec) throw Error(image.string() + ": cannot read the image: " + ec.message());
  std::ostringstream key;
  key << "v" << kCacheFormatVersion << "|" << absolute.string() << "|" << size << "|" << mtime
      << "|roi=" << roi_text(roi) << "|margin=" << options_.roi_margin
      << "|min_crop=" << options_.min_crop << "|size=" << options_.size
      << "|intensity=" << options_.intensity;
  return key.str();
}

CachedCrop ImageCache::load(const std::filesystem::path& image, const std::optional<RoiBox>& roi) {
  std::string key, file;
  if (!folder_.empty()) {
    key = disk_key(image, roi);
    file = (folder_ / (hash_name(key) + ".u16")).string();
    if (auto cached = decode_entry(file, key)) {
      ++disk_hits_;
      return *cached;
    }
  }
  CachedCrop crop;
  try {
    const cv::Mat radiograph = read_radiograph(image);
    crop.image = preprocess_image(radiograph, roi, options_, image.string());
    crop.roi = roi_in_crop(
        crop_rect(radiograph.size(), roi, options_.roi_margin, options_.min_crop, image.string()),
        roi, options_.size);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // OpenCV or GDCM failures still name the file
    throw Error(image.string() + ": cannot load the image: " + e.what());
  }
  ++decodes_;
  if (!folder_.empty()) write_file_atomically(file, encode_entry(key, crop));
  return crop;
}

CachedCrop ImageCache::crop(const std::filesystem::path& image, const std::optional<RoiBox>& roi) {
  // In memory, path + ROI suffice (the options are the cache's own): no file system call per hit,
  // so later epochs work even if the source folder goes away.
  const std::string memory_key = image.string() + "|" + roi_text(roi);
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& s = slots_[memory_key];
    if (!s) s = std::make_shared<Slot>();
    slot = s;
  }
  std::lock_guard<std::mutex> lock(slot->mutex);  // one decode per image, even when raced
  if (slot->ready) {
    ++memory_hits_;
    return slot->crop;
  }
  slot->crop = load(image, roi);
  slot->ready = true;
  return slot->crop;
}

cv::Mat ImageCache::get(const std::filesystem::path& image, const std::optional<RoiBox>& roi) {
  return crop(image, roi).image;
}

CacheStats ImageCache::stats() const {
  return {memory_hits_.load(), disk_hits_.load(), decodes_.load()};
}

}  // namespace deeptirp
