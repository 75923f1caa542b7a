#include "deeptirp/io/radiograph.h"

#include <algorithm>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom.h"

namespace deeptirp {
namespace {

enum class Format { kPng, kJpeg, kOther };

constexpr std::size_t kSignatureBytes = 132;  // a DICOM preamble and "DICM"

Format sniff(std::string_view bytes) {
  if (bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return Format::kPng;
  if (bytes.substr(0, 3) == std::string_view("\xff\xd8\xff", 3)) return Format::kJpeg;
  return Format::kOther;
}

// PNG/JPEG radiographs are already display images (bone bright); only the sample type changes.
cv::Mat decode_picture(std::string_view bytes, const std::string& name) {
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1,
                        const_cast<char*>(bytes.data()));
  cv::Mat image = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  if (image.empty()) throw Error(name + ": cannot decode the image (corrupt or truncated?)");
  if (image.depth() != CV_8U && image.depth() != CV_16U)
    throw Error(name + ": only 8- and 16-bit images are supported");
  cv::Mat grey;
  switch (image.channels()) {
    case 1:
      grey = image;
      break;
    case 2:
      cv::extractChannel(image, grey, 0);
      break;  // grey + alpha
    case 3:
      cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
      break;
    case 4:
      cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
      break;
    default:
      throw Error(name + ": unsupported number of channels");
  }
  if (grey.depth() == CV_8U) grey.convertTo(grey, CV_16U, 257.0);  // 255 -> 65535 exactly
  return grey;
}

}  // namespace

cv::Mat decode_radiograph(std::string_view bytes, const std::string& name) {
  if (bytes.empty()) throw Error(name + ": empty file, not a radiograph");
  switch (sniff(bytes)) {
    case Format::kPng:
    case Format::kJpeg:
      return decode_picture(bytes, name);
    case Format::kOther:
      break;
  }
  // DICOM: "DICM" after the 128-byte preamble, or a bare data set without meta header (old CR
  // files such as CR-MONO1-10-chest), which GDCM recognises by its first elements.
  if (!looks_like_dicom(bytes)) throw Error(name + ": not a DICOM, PNG or JPEG file");
  return display_image(decode_dicom(bytes, name));
}

std::string radiograph_signature_problem(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(kSignatureBytes, '\0');
  in.read(head.data(), std::streamsize(head.size()));
  head.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  if (!in && !in.eof()) return path.string() + ": cannot read";
  if (head.empty()) return path.string() + ": empty file, not a radiograph";
  if (sniff(head) != Format::kOther || looks_like_dicom(head)) return "";
  return path.string() + ": not a DICOM, PNG or JPEG file";
}

cv::Mat read_radiograph(const std::filesystem::path& path) {
  return decode_radiograph(read_file_bytes(path), path.string());
}

}  // namespace deeptirp
