#pragma once
// A bundle's prediction for a radiograph, as DICOM a PACS stores beside the radiograph itself:
//   - an Enhanced SR (PS3.3 A.36.2): each part's probability, the ensemble's (raw and calibrated),
//     the threshold, the predicted class and the bundle's identity, with an IMAGE item that
//     references the source instance, in the source's study;
//   - a Secondary Capture (PS3.3 A.8) of the heat map overlay, in a series of its own.
// Patient and study attributes are copied from the source, so the results file with it. UIDs are
// derived from the source's SOP Instance UID and the bundle's id: the same radiograph and bundle
// always give the same instances, so storing them again replaces rather than duplicates.
#include <gdcmDataSet.h>

#include <opencv2/core.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "deeptirp/bundle/bundle.h"

namespace deeptirp::pacs {

struct ResultIdentity {
  std::string bundle_id, deeptirp_version;
  std::vector<std::string> image_names;  // the order of BundlePrediction::image_probabilities
  double threshold = 0.5;
  std::string positive;  // the class the probabilities are of
};

// The bundle's identity as its results cite it.
ResultIdentity result_identity(const bundle::Bundle& bundle);

// The SOP Instance UIDs a radiograph's results by this bundle get: known before they are made, so
// a watcher can ask its PACS whether they are there.
struct ResultUids {
  std::string report, capture;
};
ResultUids result_uids(const std::string& source_sop_instance, const std::string& bundle_id);

// What the results take from their radiograph, read once for both.
struct ResultSource {
  std::string name;                 // for errors
  gdcm::DataSet patient_and_study;  // copied as they are
  std::string study_uid, series_uid, sop_class, sop_instance;
};

// `bytes`: the radiograph's DICOM file (read as the readers read them; Error naming `name`).
ResultSource read_result_source(std::string_view bytes, const std::string& name);

std::string structured_report(const ResultSource& source,
                              const bundle::BundlePrediction& prediction,
                              const ResultIdentity& identity);

// `overlay`: 8-bit BGR (explain's overlay_side_by_side), stored as RGB.
std::string heat_map_capture(const ResultSource& source, const cv::Mat& overlay,
                             const ResultIdentity& identity);

}  // namespace deeptirp::pacs
