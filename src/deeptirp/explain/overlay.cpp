#include "deeptirp/explain/overlay.h"

#include <opencv2/imgproc.hpp>

#include "deeptirp/error.h"

namespace deeptirp {

cv::Mat place_cam(const cv::Mat& cam, const cv::Rect& crop, cv::Size image_size) {
  if (cam.type() != CV_32FC1) throw Error("place_cam: the CAM must be CV_32FC1");
  if ((crop & cv::Rect(0, 0, image_size.width, image_size.height)) != crop || crop.empty()) {
    throw Error("place_cam: the crop rectangle lies outside the image");
  }
  cv::Mat full = cv::Mat::zeros(image_size, CV_32FC1);
  cv::Mat resized;
  cv::resize(cam, resized, crop.size(), 0, 0, cv::INTER_LINEAR);
  resized.copyTo(full(crop));
  return full;
}

cv::Point cam_peak(const cv::Mat& map) {
  cv::Point peak;
  cv::minMaxLoc(map, nullptr, nullptr, nullptr, &peak);
  return peak;
}

double roi_heat_share(const cv::Mat& map, const RoiBox& box) {
  const double total = cv::sum(map)[0];
  if (total <= 0) return 0;
  const cv::Rect r =
      cv::Rect(box.x0, box.y0, box.width(), box.height()) & cv::Rect(0, 0, map.cols, map.rows);
  return r.empty() ? 0.0 : cv::sum(map(r))[0] / total;
}

cv::Mat grey_8bit(const cv::Mat& radiograph) {
  cv::Mat grey;
  cv::normalize(radiograph, grey, 0, 255, cv::NORM_MINMAX, CV_8UC1);
  return grey;
}

cv::Mat overlay_side_by_side(const cv::Mat& radiograph, const cv::Mat& map) {
  const cv::Mat grey = grey_8bit(radiograph);
  cv::Mat heat8, heat, grey_bgr, blended, out;
  map.convertTo(heat8, CV_8UC1, 255.0);
  cv::applyColorMap(heat8, heat, cv::COLORMAP_JET);
  cv::cvtColor(grey, grey_bgr, cv::COLOR_GRAY2BGR);
  cv::addWeighted(grey_bgr, 0.6, heat, 0.4, 0.0, blended);
  cv::hconcat(grey_bgr, blended, out);
  return out;
}

}  // namespace deeptirp
