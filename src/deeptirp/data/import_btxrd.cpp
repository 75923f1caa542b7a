#include "deeptirp/data/import_btxrd.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>

#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/numbers.h"

namespace deeptirp {
namespace {

const std::vector<std::string> kSites = {"hand",        "ulna",        "radius",        "humerus",
                                         "foot",        "tibia",       "fibula",        "femur",
                                         "hip bone",    "ankle-joint", "knee-joint",    "hip-joint",
                                         "wrist-joint", "elbow-joint", "shoulder-joint"};
const std::vector<std::string> kSubtypes = {
    "osteochondroma", "multiple osteochondromas", "simple bone cyst", "giant cell tumor",
    "osteofibroma",   "synovial osteochondroma",  "other bt",         "osteosarcoma",
    "other mt"};
const std::vector<std::string> kRegions = {"upper limb", "lower limb", "pelvis"};
const std::vector<std::string> kViews = {"frontal", "lateral", "oblique"};

// The names of the one-hot columns set to 1 in a row, joined with '+' ("femur+knee-joint").
std::string one_hot_names(const CsvTable& t, std::size_t r, const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    const std::string& v = t.rows[r][t.column(name)];
    if (v == "1")
      joined += (joined.empty() ? "" : "+") + name;
    else if (v != "0" && !v.empty())
      throw Error(t.where(r, name) + ": expected 0 or 1, found '" + v + "'");
  }
  return joined;
}

// The lesion's box and the shares of the radiograph that it and the drawn outline cover. On
// centre 1 of BTXRD, malignant lesions are far larger than benign ones (median box area about 9
// times); a crop resized to the model's input hides that, so the shares are clinical columns.
struct LesionBox {
  RoiBox box;
  double box_share = 0;      // box area / image area, in (0, 1]
  double outline_share = 0;  // pixels inside the mask (or LabelMe's shapes) / image pixels
};

std::optional<LesionBox> roi_from_mask(const std::filesystem::path& mask_path) {
  cv::Mat mask = cv::imread(mask_path.string(), cv::IMREAD_GRAYSCALE);
  if (mask.empty()) throw Error(mask_path.string() + ": cannot read the lesion mask");
  std::vector<cv::Point> inside;
  cv::findNonZero(mask, inside);
  if (inside.empty()) return std::nullopt;
  cv::Rect box = cv::boundingRect(inside);
  return LesionBox{{box.x, box.y, box.x + box.width, box.y + box.height},
                   box.area() / static_cast<double>(mask.total()),
                   inside.size() / static_cast<double>(mask.total())};
}

// LabelMe: {"shapes": [{"points": [[x, y], ...], "shape_type": "rectangle"|"polygon"}, ...],
// "imageWidth": W, "imageHeight": H}. The ROI is the box around every shape's points.
std::optional<LesionBox> roi_from_labelme(const std::filesystem::path& json_path) {
  std::ifstream in(json_path);
  if (!in) throw Error(json_path.string() + ": cannot open the annotation");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (const auto& shape : doc.at("shapes")) {
      for (const auto& p : shape.at("points")) {
        double x = p.at(0).get<double>(), y = p.at(1).get<double>();
        x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
      }
    }
    if (!(x1 > x0 && y1 > y0)) return std::nullopt;
    const double w = doc.at("imageWidth").get<double>(), h = doc.at("imageHeight").get<double>();
    if (!(w >= 1 && h >= 1 && w <= 65535 && h <= 65535))  // the canvas below is w x h bytes
      throw Error(json_path.string() + ": imageWidth and imageHeight must be 1 to 65535");
    RoiBox box{static_cast<int>(std::floor(std::max(0.0, x0))),
               static_cast<int>(std::floor(std::max(0.0, y0))),
               static_cast<int>(std::ceil(std::min(w, x1))),
               static_cast<int>(std::ceil(std::min(h, y1)))};
    if (box.x1 <= box.x0 || box.y1 <= box.y0) return std::nullopt;
    // The outline's pixels: every shape filled on an image-sized canvas, as the masks were made.
    cv::Mat outline =
        cv::Mat::zeros(static_cast<int>(std::ceil(h)), static_cast<int>(std::ceil(w)), CV_8UC1);
    for (const auto& shape : doc.at("shapes")) {
      std::vector<cv::Point> points;
      for (const auto& p : shape.at("points"))
        points.emplace_back(static_cast<int>(std::lround(p.at(0).get<double>())),
                            static_cast<int>(std::lround(p.at(1).get<double>())));
      if (shape.value("shape_type", "polygon") == "rectangle" && points.size() == 2)
        cv::rectangle(outline, points[0], points[1], cv::Scalar(255), cv::FILLED);
      else if (!points.empty())
        cv::fillPoly(outline, std::vector<std::vector<cv::Point>>{points}, cv::Scalar(255));
    }
    return LesionBox{box, (box.x1 - box.x0) * static_cast<double>(box.y1 - box.y0) / (w * h),
                     cv::countNonZero(outline) / static_cast<double>(outline.total())};
  } catch (const nlohmann::json::exception& e) {
    throw Error(json_path.string() + ": not a LabelMe annotation (" + e.what() + ")");
  }
}

struct ImageFiles {
  std::filesystem::path image;
  std::filesystem::path mask;        // resized copy
  std::filesystem::path annotation;  // published layout
};

ImageFiles find_files(const std::filesystem::path& root, const std::string& image_id) {
  const std::string stem = std::filesystem::path(image_id).stem().string();
  ImageFiles f;
  for (const auto& candidate : {root / "images" / (stem + ".png"), root / "images" / image_id})
    if (std::filesystem::exists(candidate)) {
      f.image = candidate;
      break;
    }
  if (std::filesystem::exists(root / "masks" / (stem + ".png")))
    f.mask = root / "masks" / (stem + ".png");
  if (std::filesystem::exists(root / "Annotations" / (stem + ".json")))
    f.annotation = root / "Annotations" / (stem + ".json");
  return f;
}

}  // namespace

BtxrdTask parse_btxrd_task(const std::string& name) {
  if (name == "benign-vs-malignant") return BtxrdTask::kBenignVsMalignant;
  if (name == "tumour-vs-normal" || name == "tumor-vs-normal") return BtxrdTask::kTumourVsNormal;
  if (name == "subtype") return BtxrdTask::kSubtype;
  throw Error("unknown BTXRD task '" + name + "' (benign-vs-malignant, tumour-vs-normal, subtype)");
}

BtxrdImport import_btxrd(const std::filesystem::path& root, BtxrdTask task,
                         const std::filesystem::path& out_manifest, bool skip_bad_rows) {
  const CsvTable t = read_csv(root / "dataset.csv");
  BtxrdImport result;
  Manifest& m = result.manifest;
  m.path = out_manifest;
  m.target = "label";
  m.clinical_columns = {"age", "sex", "site", "region", "view", "lesion_area", "lesion_mask_area"};
  const std::size_t id_col = t.column("image_id"), centre_col = t.column("center"),
                    age_col = t.column("age"), sex_col = t.column("gender"),
                    tumour_col = t.column("tumor"), benign_col = t.column("benign"),
                    malignant_col = t.column("malignant");

  std::string previous_key;
  int patient = 0;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    try {
      const std::string sites = one_hot_names(t, r, kSites);
      const std::string subtype = one_hot_names(t, r, kSubtypes);
      const bool tumour = row[tumour_col] == "1";
      const std::string diagnosis =
          tumour ? (row[malignant_col] == "1" ? "malignant" : "benign") : "normal";
      if (tumour && row[benign_col] != "1" && row[malignant_col] != "1")
        throw Error(t.where(r, "tumor") + ": a tumour that is neither benign nor malignant");
      // The pseudo-patient rule (see the header): a new patient starts when any of these change.
      const std::string key = row[centre_col] + "|" + row[age_col] + "|" + row[sex_col] + "|" +
                              sites + "|" + diagnosis + "|" + subtype;
      if (key != previous_key) ++patient;
      previous_key = key;
      if (!tumour && task != BtxrdTask::kTumourVsNormal) continue;

      double age = 0;
      if (!row[age_col].empty() && !parse_number(row[age_col], age))
        throw Error(t.where(r, "age") + ": '" + row[age_col] + "' is not a number");
      const ImageFiles files = find_files(root, row[id_col]);
      if (files.image.empty())
        throw Error(t.where(r, "image_id") + ": no image " +
                    (root / "images" / row[id_col]).string() + " (nor the same stem with .png)");
      Case c;
      c.line = t.lines[r];
      c.image = std::filesystem::absolute(files.image).lexically_normal().string();
      char id[32];
      std::snprintf(id, sizeof id, "btxrd-p%04d", patient);
      c.patient_id = id;
      c.subtype = tumour ? subtype : "normal";
      c.label = task == BtxrdTask::kTumourVsNormal ? (tumour ? "tumour" : "normal")
                : task == BtxrdTask::kSubtype      ? subtype
                                                   : diagnosis;
      c.centre = row[centre_col];
      std::optional<LesionBox> lesion;
      if (tumour) {
        if (!files.mask.empty())
          lesion = roi_from_mask(files.mask);
        else if (!files.annotation.empty())
          lesion = roi_from_labelme(files.annotation);
        if (!lesion) ++result.images_without_roi;
      }
      if (lesion) c.roi = lesion->box;
      c.clinical = {row[age_col],
                    row[sex_col],
                    sites,
                    one_hot_names(t, r, kRegions),
                    one_hot_names(t, r, kViews),
                    lesion ? format_number(lesion->box_share) : "",
                    lesion ? format_number(lesion->outline_share) : ""};
      m.cases.push_back(std::move(c));
    } catch (const Error& e) {
      if (!skip_bad_rows) throw;
      result.skipped.push_back({t.lines[r], e.what()});
    }
  }
  std::vector<std::string> ids;
  for (const auto& c : m.cases) ids.push_back(c.patient_id);
  std::sort(ids.begin(), ids.end());
  result.patients = static_cast<int>(std::unique(ids.begin(), ids.end()) - ids.begin());
  return result;
}

}  // namespace deeptirp
