#include "deeptirp/explain/explain.h"

#include <torch/torch.h>

#include <cstdio>
#include <opencv2/imgcodecs.hpp>

#include "deeptirp/data/preprocess.h"
#include "deeptirp/error.h"
#include "deeptirp/explain/overlay.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/io/progress.h"
#include "deeptirp/io/radiograph.h"
#include "deeptirp/models/model_file.h"

namespace deeptirp {
namespace {

// Named from the manifest row and the file's stem, never from anything inside the file.
std::string png_name(std::size_t row, const std::string& image) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "row%05zu-", row);
  return prefix + std::filesystem::path(image).stem().string() + ".png";
}

}  // namespace

CaseExplanation explain_radiograph(ImageModel& model, const ModelCard& card,
                                   const cv::Mat& radiograph, const std::optional<RoiBox>& roi,
                                   const CamOptions& options, const std::string& name) {
  CaseExplanation e;
  const ImageOptions image = card.image_options();  // the crop preprocess_image takes
  e.crop = crop_rect(radiograph.size(), roi, image.roi_margin, image.min_crop, name);
  const cv::Mat input = preprocess_image(radiograph, roi, image, name);
  auto images = torch::empty({1, card.channels, input.rows, input.cols}, torch::kFloat);
  write_chw(input, card.norm, card.channels, images.data_ptr<float>());
  const CamResult cam = compute_cam(model, images, options);
  e.probability = torch::sigmoid(cam.logits[0][0]).item<double>();
  e.crop_map = cv::Mat(input.rows, input.cols, CV_32FC1, cam.maps[0].data_ptr<float>()).clone();
  e.full_map = place_cam(e.crop_map, e.crop, radiograph.size());
  return e;
}

std::vector<ExplainedCase> explain(const ExplainRequest& r) {
  CamOptions options;
  options.method = parse_cam_method(r.method);
  options.negative = r.negative;
  options.score_batch = r.score_batch;
  LoadedModel loaded = load_classifier(r.model);
  const ModelCard& card = loaded.card;
  StudyConfig study;
  study.target = card.target;
  const Manifest manifest = manifest_or_read(r.manifest_read, r.manifest, study);
  std::vector<std::size_t> cases = cases_in_split(manifest, r.split);
  if (r.limit && cases.size() > r.limit) cases.resize(r.limit);
  if (cases.empty()) throw Error(r.manifest.string() + ": no cases in split '" + r.split + "'");

  auto model = loaded.model;
  std::filesystem::create_directories(r.out);
  Progress progress(Progress::parse_mode(r.progress), "explain", cases.size());
  std::vector<ExplainedCase> done;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i : cases) {
    const Case& c = manifest.cases[i];
    const auto path = manifest.image_path(c);
    const cv::Mat radiograph = read_radiograph(path);
    const CaseExplanation e =
        explain_radiograph(*model, card, radiograph, c.roi, options, path.string());
    ExplainedCase x;
    x.row = i + 1;
    x.image = c.image;
    x.png = png_name(x.row, c.image);
    x.probability = e.probability;
    if (cv::countNonZero(e.full_map) > 0) {
      x.peak = cam_peak(e.full_map);
      if (c.roi) x.roi_share = roi_heat_share(e.full_map, *c.roi);
    }
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", overlay_side_by_side(radiograph, e.full_map), png)) {
      throw Error(path.string() + ": cannot encode the overlay as PNG");
    }
    write_file_atomically(r.out / x.png,
                          std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    rows.push_back(
        {x.image, r.method, format_number(x.probability), x.peak ? std::to_string(x.peak->x) : "",
         x.peak ? std::to_string(x.peak->y) : "", x.roi_share ? format_number(*x.roi_share) : ""});
    done.push_back(std::move(x));
    progress.update(done.size(), "");
  }
  write_csv(r.out / "cams.csv",
            {"image", "method", "probability", "peak_x", "peak_y", "roi_heat_share"}, rows);
  progress.finish("explained " + std::to_string(done.size()) + " images with " + r.method +
                  " into " + r.out.string());
  return done;
}

}  // namespace deeptirp
