// `deeptirp predict --bundle`: a bundle's predictions for a list of radiographs. The manifest is
// lenient (only `image` is required), as new cases come without a diagnosis, split or box.
#include <cmath>
#include <cstdio>

#include "deeptirp/bundle/bundle.h"
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/io/progress.h"
#include "deeptirp/io/radiograph.h"

namespace deeptirp::bundle {
namespace {

namespace fs = std::filesystem;

struct Request {
  std::string image;  // as the manifest writes it
  fs::path path;      // resolved against the manifest's folder
  std::string patient_id;
  std::optional<RoiBox> roi;
  std::map<std::string, std::string> clinical;
};

// Every row checked before any image is read, so a typo on the last line fails at once.
std::vector<Request> read_requests(const fs::path& manifest, const Bundle& bundle) {
  const CsvTable t = read_csv(manifest);
  const std::size_t image_col = t.column("image");
  const int patient_col = t.find_column("patient_id");
  const auto roi_cols = roi_columns(t);
  std::vector<std::pair<std::string, int>> clinical_cols;
  for (const auto* columns : {&bundle.numeric_columns(), &bundle.categorical_columns()})
    for (const auto& column : *columns) clinical_cols.emplace_back(column, t.find_column(column));
  if (t.rows.empty()) throw Error(manifest.string() + ": no rows");

  std::vector<Request> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    Request q;
    q.image = row[image_col];
    if (q.image.empty()) throw Error(t.where(r, "image") + ": empty");
    q.path = fs::path(q.image).is_absolute() ? fs::path(q.image) : manifest.parent_path() / q.image;
    if (patient_col >= 0) q.patient_id = row[patient_col];
    if (roi_cols) {
      if (const std::string problem = read_roi_cells(t, r, *roi_cols, q.roi); !problem.empty())
        throw Error(problem);
    }
    for (const auto& [column, index] : clinical_cols)
      if (index >= 0 && !row[index].empty()) q.clinical[column] = row[index];
    for (const auto& column : bundle.numeric_columns()) {
      auto it = q.clinical.find(column);
      double v = 0;
      if (it != q.clinical.end() && !parse_number(it->second, v))
        throw Error(t.where(r, column) + ": '" + it->second +
                    "' is not a number (leave the cell empty when unknown)");
    }
    out.push_back(std::move(q));
  }
  return out;
}

cv::Mat read_image(const fs::path& path) {
  try {
    return read_radiograph(path);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // OpenCV or GDCM failures still name the file
    throw Error(path.string() + ": cannot read the image: " + e.what());
  }
}

}  // namespace

std::size_t predict_bundle(const BundlePredictRequest& request, std::vector<std::string>* notes) {
  const auto bundle = Bundle::load(request.bundle, request.precision);
  if (notes) *notes = bundle->notes();
  const std::vector<Request> requests = read_requests(request.manifest, *bundle);
  std::vector<std::string> header = {"image", "patient_id"};
  for (const auto& name : bundle->image_names()) header.push_back(name);
  for (const char* column : {"clinical", "ensemble", "calibrated", "predicted"})
    header.push_back(column);

  Progress progress(Progress::parse_mode(request.progress), "predict", requests.size());
  std::vector<std::vector<std::string>> rows;
  for (const auto& q : requests) {
    BundleInput input;
    input.radiograph = read_image(q.path);
    input.roi = q.roi;
    input.clinical = q.clinical;
    input.name = q.path.string();
    input.image = q.image;
    const BundlePrediction p = bundle->predict(input);
    std::vector<std::string> row = {q.image, q.patient_id};
    for (double v : p.image_probabilities) row.push_back(format_number(v));
    row.push_back(format_number(p.clinical));
    row.push_back(format_number(p.ensemble));
    row.push_back(p.calibrated ? format_number(*p.calibrated) : std::string());
    row.push_back(p.predicted_class);
    rows.push_back(std::move(row));
    progress.update(rows.size(), "");
  }
  write_csv(request.out, header, rows);
  progress.finish("");
  return rows.size();
}

}  // namespace deeptirp::bundle
