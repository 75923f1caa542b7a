#pragma once
// `deeptirp pacs watch`: follows an Orthanc's change feed and stores, for each new radiograph, the
// bundle's results beside it (result_dicom.h): a Structured Report and a heat-map capture.
//
// Nothing lost, nothing duplicated, across restarts of either side:
//   - the state file holds the last change handled; it is rewritten (atomically) after each
//     instance, and a restarted watcher carries on after it;
//   - a change is handled only once its results are stored; while Orthanc does not answer, the
//     watcher waits and retries the same change;
//   - the results' UIDs are derived from the source and the bundle: an instance whose results are
//     already in Orthanc is skipped, and storing them again would replace, not add.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace deeptirp::pacs {

struct WatchOptions {
  std::string orthanc;      // http://host:port[/prefix]
  std::string credentials;  // "user:password" or ""
  std::filesystem::path bundle, state;
  std::string heat_map = "gradcam";  // gradcam | gradcampp | scorecam
  std::string heat_map_model;        // the image model explained; "" = the bundle's first
  // COLUMN=Keyword: clinical values from each radiograph's header (dicom_clinical.h); a column
  // not named is imputed.
  std::vector<std::string> clinical;
  std::chrono::milliseconds poll{1000};          // between looks at a feed with nothing new
  std::chrono::milliseconds retry_limit{10000};  // longest wait between tries of an absent Orthanc
  bool once = false;  // stop when the feed has nothing new (an absent Orthanc is then an Error)
  std::ostream* log = nullptr;              // one line per instance handled; none if null
  const std::atomic<bool>* stop = nullptr;  // set (by a signal) to stop after the current instance
};

struct WatchSummary {
  std::size_t predicted = 0;  // results made and stored
  std::size_t present = 0;    // radiographs whose results were already in Orthanc
  std::size_t skipped = 0;    // not radiographs (deeptirp's own results among them)
  std::size_t failed = 0;     // radiographs that could not be read or predicted (logged)
  int64_t last_change = 0;    // the state file's
};

// Throws Error for what retrying cannot mend: a bundle that does not load, a state file that is
// not one, Orthanc refusing the credentials.
WatchSummary watch(const WatchOptions& options);

}  // namespace deeptirp::pacs
