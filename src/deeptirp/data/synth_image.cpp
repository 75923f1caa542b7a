// Drawing of one synthetic radiograph: a long bone (cortex brighter than medulla) in soft tissue,
// with a lesion whose signs depend on the diagnosis but overlap between classes, film noise, and a
// per-centre look. Values are a float image in [0, 1] (bone bright), stored as 12 bits.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "deeptirp/data/rng.h"
#include "deeptirp/data/synth_internal.h"

namespace deeptirp::synth {
namespace {

// A smooth 0-to-1 edge of the drawn bone (the logistic curve), not a probability.
double soft_edge(double z) { return 1.0 / (1.0 + std::exp(-z)); }

struct Bone {
  double cx = 128, tilt = 0, half_width = 22, cortex = 7, flare_y = 0, flare_len = 60;
  double tissue_half = 70, mid_y = 160;
  double axis(double y) const { return cx + tilt * (y - mid_y); }
  // The metaphysis flares towards the joint end.
  double half(double y) const {
    const double d = (y - flare_y) / flare_len;
    return half_width * (1.0 + 0.55 * std::exp(-d * d));
  }
  double inside(double x, double y) const {  // 1 in bone, 0 outside, soft edge
    return soft_edge((half(y) - std::abs(x - axis(y))) / 0.8);
  }
};

cv::Mat_<float> noise_field(std::mt19937_64& g, int height, int width, double blur_sigma) {
  cv::Mat_<float> n(height, width);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) n(y, x) = static_cast<float>(normal(g));
  if (blur_sigma > 0) {
    cv::GaussianBlur(n, n, cv::Size(0, 0), blur_sigma);
    double sd = 0;
    cv::Scalar mean, stddev;
    cv::meanStdDev(n, mean, stddev);
    sd = stddev[0] > 0 ? stddev[0] : 1.0;
    n /= sd;
  }
  return n;
}

// The lesion's signs as an additive layer (before conspicuity scaling).
cv::Mat_<float> lesion_layer(const Lesion& l, const Bone& b, double lx, double ly, int side,
                             std::mt19937_64& g, int height, int width) {
  cv::Mat_<float> layer(height, width, 0.f);
  const double hw = b.half(ly);
  const double rx = l.size * hw, ry = rx * l.elongation;
  // Zone of transition in units of the elliptical radius: ~1.5 px when sharp, wide when not.
  const double scale = l.sharp ? 1.5 / (4 * rx) : 0.1;
  const double core_amp = l.sclerotic ? 0.28 : -0.34;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double ex = (x - lx) / rx, ey = (y - ly) / ry;
      const double rho = std::sqrt(ex * ex + ey * ey);
      const double in_bone = b.inside(x, y);
      double v = 0;
      if (!l.outgrowth) v += core_amp * soft_edge((1 - rho) / scale) * in_bone;
      if (l.expansile) v += 0.3 * std::exp(-std::pow((rho - 1.1) / 0.05, 2));
      if (l.sclerosis_ring) v += 0.15 * std::exp(-std::pow((rho - 1.4) / 0.35, 2)) * in_bone;
      if (l.layered_periosteal) {
        const double taper = std::exp(-std::pow((y - ly) / (ry * 1.4), 4));
        const double d = side * (x - b.axis(y)) - b.half(y);  // outside the cortex on `side`
        for (int k = 0; k < 3; ++k)
          v += 0.22 * taper * std::exp(-std::pow((d - 2.5 - 3.2 * k) / 0.7, 2));
      }
      layer(y, x) = static_cast<float>(v);
    }
  }
  cv::Mat_<float> marks(height, width, 0.f);
  if (l.moth_eaten) {
    const int holes = 15 + static_cast<int>(uniform_index(g, 26));
    for (int i = 0; i < holes; ++i) {
      const double a = uniform(g, 0, 6.283185307179586), r = 1.3 * std::sqrt(uniform01(g));
      const cv::Point c(cvRound(lx + r * rx * std::cos(a)), cvRound(ly + r * ry * std::sin(a)));
      cv::circle(marks, c, cvRound(uniform(g, 1.5, 4.5)), cv::Scalar(-0.28), cv::FILLED);
    }
  }
  if (l.calcified) {
    const int flecks = 10 + static_cast<int>(uniform_index(g, 16));
    for (int i = 0; i < flecks; ++i) {
      const double a = uniform(g, 0, 6.283185307179586), r = 0.9 * std::sqrt(uniform01(g));
      const cv::Point c(cvRound(lx + r * rx * std::cos(a)), cvRound(ly + r * ry * std::sin(a)));
      cv::circle(marks, c, cvRound(uniform(g, 1.0, 2.5)), cv::Scalar(0.32), 1);
    }
  }
  if (l.sunburst) {
    const int spicules = 15 + static_cast<int>(uniform_index(g, 16));
    for (int i = 0; i < spicules; ++i) {
      const double t = uniform(g, -1.2, 1.2), length = uniform(g, 12, 35);
      const double dx = side * std::cos(t), dy = std::sin(t);
      const cv::Point p0(cvRound(lx + 0.8 * rx * dx), cvRound(ly + 0.8 * ry * dy));
      const cv::Point p1(cvRound(p0.x + length * dx), cvRound(p0.y + length * dy));
      cv::line(marks, p0, p1, cv::Scalar(0.26), 1, cv::LINE_AA);
    }
  }
  if (l.outgrowth) {  // osteochondroma: a dense stalk pointing away from the joint
    const double dir = ly > b.flare_y ? 1.0 : -1.0;
    const cv::Point c(cvRound(b.axis(ly) + side * (hw + 0.6 * rx)), cvRound(ly + dir * 0.5 * ry));
    cv::ellipse(marks, c, cv::Size(cvRound(0.9 * rx), cvRound(0.45 * ry)), dir * side * 35, 0, 360,
                cv::Scalar(0.42), cv::FILLED, cv::LINE_AA);
  }
  cv::GaussianBlur(marks, marks, cv::Size(0, 0), l.sharp ? 0.7 : 1.3);
  layer += marks;
  return layer;
}

RoiBox box_of(const cv::Mat_<float>& layer, std::mt19937_64& g, int width, int height) {
  cv::Mat mask = cv::abs(layer) > 0.03;
  std::vector<cv::Point> points;
  cv::findNonZero(mask, points);
  cv::Rect r = points.empty() ? cv::Rect(width / 4, height / 4, width / 2, height / 2)
                              : cv::boundingRect(points);
  // An annotator's box is a few pixels off the true extent.
  auto jitter = [&] { return static_cast<int>(uniform_index(g, 7)) - 3; };
  RoiBox box{r.x + jitter(), r.y + jitter(), r.x + r.width + jitter(), r.y + r.height + jitter()};
  box.x0 = std::clamp(box.x0, 0, width - 8);
  box.y0 = std::clamp(box.y0, 0, height - 8);
  box.x1 = std::clamp(box.x1, box.x0 + 8, width);
  box.y1 = std::clamp(box.y1, box.y0 + 8, height);
  return box;
}

// Each centre's equipment: contrast curve, grain and sharpness. C is the external centre.
void centre_look(cv::Mat_<float>& img, char centre, std::mt19937_64& g) {
  const double grain = centre == 'C' ? 0.035 : centre == 'B' ? 0.025 : 0.02;
  if (centre == 'C') cv::GaussianBlur(img, img, cv::Size(0, 0), 0.8);
  cv::Mat_<float> n = noise_field(g, img.rows, img.cols, 0);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      double v = std::clamp(static_cast<double>(img(y, x)), 0.0, 1.0);
      if (centre == 'B') v = 0.02 + 0.95 * std::pow(v, 0.9);
      if (centre == 'C') v = 0.12 + 0.72 * std::pow(v, 1.25);
      img(y, x) = static_cast<float>(v + grain * n(y, x));
    }
  }
}

}  // namespace

Lesion draw_lesion(bool tumour, const std::string& subtype, std::mt19937_64& g) {
  Lesion l;
  l.tumour = tumour;
  l.conspicuity = uniform(g, 0.35, 1.0);  // some faint, none invisible
  l.size = uniform(g, 0.45, 0.95);
  l.elongation = uniform(g, 1.0, 2.0);
  auto p = [&](double q) { return bernoulli(g, q); };
  // Signs overlap on purpose: some tumours look aggressive, some infections look benign.
  if (subtype == "osteosarcoma") {
    l.sclerotic = p(0.6), l.sharp = p(0.3), l.sunburst = p(0.7), l.moth_eaten = p(0.15);
    l.layered_periosteal = p(0.2), l.sclerosis_ring = p(0.1), l.swelling = p(0.3);
  } else if (subtype == "giant cell tumour") {
    l.sharp = p(0.85), l.expansile = p(0.7), l.moth_eaten = p(0.05);
    l.layered_periosteal = p(0.05), l.sclerosis_ring = p(0.1);
  } else if (subtype == "osteochondroma") {
    l.outgrowth = true, l.sharp = true;
  } else if (subtype == "chondrosarcoma") {
    l.calcified = p(0.7), l.sharp = p(0.5), l.expansile = p(0.4), l.moth_eaten = p(0.2);
    l.layered_periosteal = p(0.1), l.sclerosis_ring = p(0.15);
  } else if (subtype == "acute osteomyelitis") {
    l.sharp = p(0.05), l.moth_eaten = p(0.9), l.layered_periosteal = p(0.7);
    l.sclerosis_ring = p(0.3), l.swelling = p(0.6);
  } else if (subtype == "chronic osteomyelitis") {
    l.sharp = p(0.1), l.moth_eaten = p(0.7), l.layered_periosteal = p(0.8);
    l.sclerosis_ring = p(0.8), l.sclerotic = p(0.3), l.swelling = p(0.3);
  } else {  // Brodie abscess: a sharp lucency in a thick sclerotic rim, much like a tumour
    l.sharp = p(0.7), l.sclerosis_ring = p(0.9), l.layered_periosteal = p(0.3);
    l.size *= 0.7;
  }
  return l;
}

Radiograph draw_radiograph(const Lesion& lesion, char centre, std::mt19937_64& g, int width,
                           int height) {
  Bone b;
  b.cx = width / 2.0 + uniform(g, -25, 25);
  b.mid_y = height / 2.0;
  b.tilt = uniform(g, -0.08, 0.08);
  b.half_width = uniform(g, 18, 28) * width / 256.0;
  b.cortex = uniform(g, 5, 9) * width / 256.0;
  b.flare_y = bernoulli(g, 0.5) ? 0 : height;
  b.flare_len = uniform(g, 50, 80) * height / 320.0;
  b.tissue_half = b.half_width * uniform(g, 2.2, 3.0) + 15;
  const double offset = uniform(g, 0.15, 0.4) * height;
  const double ly = b.flare_y == 0 ? offset : height - offset;
  const double lx = b.axis(ly) + uniform(g, -0.25, 0.25) * b.half(ly);
  const int side = bernoulli(g, 0.5) ? 1 : -1;
  const double swell_ry = lesion.size * b.half(ly) * lesion.elongation * 2.5;

  cv::Mat_<float> trabecula = noise_field(g, height, width, 1.5);
  cv::Mat_<float> img(height, width);
  for (int y = 0; y < height; ++y) {
    const double a = b.axis(y), h = b.half(y), t = b.cortex * (0.6 + 0.4 * h / b.half_width / 1.55);
    const double swell =
        lesion.swelling ? lesion.conspicuity * 14 * std::exp(-std::pow((y - ly) / swell_ry, 2)) : 0;
    for (int x = 0; x < width; ++x) {
      const double d = std::abs(x - a);
      const double soft = 0.22 * soft_edge((b.tissue_half + swell - d) / 3.0);
      const double bone = soft_edge((h - d) / 0.8), cortex = soft_edge((d - (h - t)) / 0.8);
      img(y, x) = static_cast<float>(soft + bone * (0.42 + 0.03 * trabecula(y, x) + 0.4 * cortex));
    }
  }
  cv::Mat_<float> layer = lesion_layer(lesion, b, lx, ly, side, g, height, width);
  Radiograph out;
  out.roi = box_of(layer, g, width, height);
  img += lesion.conspicuity * layer;

  // Heel effect and mottle, then film's characteristic curve (no clipping of dense bone), then
  // the centre's equipment.
  const double heel = uniform(g, -0.06, 0.06);
  cv::Mat_<float> mottle = noise_field(g, height, width, 3.0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double t = img(y, x) * (1 + heel * (y / double(height) - 0.5)) + 0.012 * mottle(y, x);
      img(y, x) = static_cast<float>(1.0 - std::exp(-1.8 * std::max(t, 0.0)));
    }
  }
  centre_look(img, centre, g);
  out.stored.create(height, width, CV_16UC1);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      out.stored.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(
          std::lround(std::clamp(static_cast<double>(img(y, x)), 0.0, 1.0) * 4095));
  return out;
}

}  // namespace deeptirp::synth
