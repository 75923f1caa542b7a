#include "deeptirp/data/preview.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <vector>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"

namespace deeptirp {
namespace {

struct Group {
  std::string split, label;
  std::vector<std::size_t> cases;  // every case of the group; the sheet shows the first K
};

std::vector<Group> groups_of(const Manifest& m, const StudyConfig& config) {
  std::vector<std::string> labels = config.classes;
  std::set<std::string> seen(labels.begin(), labels.end());
  for (const auto& c : m.cases)
    if (seen.insert(c.label).second) labels.push_back(c.label);
  std::vector<std::string> splits = kSplitNames;
  splits.insert(splits.begin(), "");  // not split yet
  std::vector<Group> groups;
  for (const auto& split : splits) {
    for (const auto& label : labels) {
      Group g{split, label, {}};
      for (std::size_t i = 0; i < m.cases.size(); ++i)
        if (m.cases[i].split == split && m.cases[i].label == label) g.cases.push_back(i);
      if (!g.cases.empty()) groups.push_back(std::move(g));
    }
  }
  return groups;
}

}  // namespace

PreviewResult write_preview(const Manifest& manifest, const StudyConfig& config,
                            const PreviewOptions& options) {
  if (options.per_group < 1 || options.per_group > 100)
    throw Error("preview: --per-group must be between 1 and 100");
  if (options.cell < 16 || options.cell > 1024)
    throw Error("preview: the cell size must be between 16 and 1024 pixels");
  const std::vector<Group> groups = groups_of(manifest, config);
  if (groups.empty()) throw Error(manifest.path.string() + ": no cases to preview");

  const int label_width = 260, gap = 4, cell = options.cell;
  const int width = label_width + options.per_group * (cell + gap) + gap;
  const int height = static_cast<int>(groups.size()) * (cell + gap) + gap;
  cv::Mat sheet(height, width, CV_8UC1, cv::Scalar(32));
  ImageCache cache(config.image);
  PreviewResult result;
  for (std::size_t r = 0; r < groups.size(); ++r) {
    const Group& g = groups[r];
    const int top = gap + static_cast<int>(r) * (cell + gap);
    const std::string title = (g.split.empty() ? "unsplit" : g.split) + " / " + g.label;
    const std::string count = std::to_string(g.cases.size()) + " images";
    cv::putText(sheet, title, cv::Point(8, top + cell / 2 - 4), cv::FONT_HERSHEY_SIMPLEX, 0.6,
                cv::Scalar(255), 1, cv::LINE_AA);
    cv::putText(sheet, count, cv::Point(8, top + cell / 2 + 20), cv::FONT_HERSHEY_SIMPLEX, 0.5,
                cv::Scalar(190), 1, cv::LINE_AA);
    const std::size_t shown = std::min<std::size_t>(g.cases.size(), options.per_group);
    for (std::size_t k = 0; k < shown; ++k) {
      const Case& c = manifest.cases[g.cases[k]];
      const cv::Mat crop = cache.get(manifest.image_path(c), c.roi);
      cv::Mat small, eight;
      cv::resize(crop, small, cv::Size(cell, cell), 0, 0,
                 crop.cols >= cell ? cv::INTER_AREA : cv::INTER_LINEAR);
      small.convertTo(eight, CV_8U, 1.0 / 257.0);
      eight.copyTo(
          sheet(cv::Rect(label_width + gap + static_cast<int>(k) * (cell + gap), top, cell, cell)));
      ++result.crops;
    }
    ++result.rows;
  }
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", sheet, png)) throw Error(options.out.string() + ": cannot encode PNG");
  write_file_atomically(options.out,
                        std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  return result;
}

}  // namespace deeptirp
