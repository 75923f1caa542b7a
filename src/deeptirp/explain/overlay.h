#pragma once
// A crop's heat map put back on the radiograph it came from, where its peak lies, how much of its
// heat falls in the ROI box, and the picture a reader looks at.
#include <opencv2/core.hpp>

#include "deeptirp/data/manifest.h"

namespace deeptirp {

// `cam` (CV_32FC1, the model's input size) resized to `crop` and placed into a zero map of
// `image_size` (CV_32FC1).
cv::Mat place_cam(const cv::Mat& cam, const cv::Rect& crop, cv::Size image_size);

// The first position of the maximum (row-major).
cv::Point cam_peak(const cv::Mat& map);

// Heat inside `box` over all heat; 0 when the map has no heat.
double roi_heat_share(const cv::Mat& map, const RoiBox& box);

// The radiograph (CV_16UC1, bone bright) as 8-bit grey, min-max stretched.
cv::Mat grey_8bit(const cv::Mat& radiograph);

// The plain image on the left, the JET heat map blended onto it on the right (BGR, 8-bit).
cv::Mat overlay_side_by_side(const cv::Mat& radiograph, const cv::Mat& map);

}  // namespace deeptirp
