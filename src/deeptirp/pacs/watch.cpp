#include "deeptirp/pacs/watch.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "deeptirp/bundle/bundle.h"
#include "deeptirp/explain/overlay.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/io/radiograph.h"
#include "deeptirp/io/text.h"
#include "deeptirp/pacs/dicom_clinical.h"
#include "deeptirp/pacs/orthanc.h"
#include "deeptirp/pacs/result_dicom.h"

namespace deeptirp::pacs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kStateFormat = "deeptirp-pacs-watch-state";
const int kPage = 100;  // changes asked for at a time

struct State {
  int64_t last_change = 0;
  std::string orthanc;
};

State read_state(const fs::path& path, const std::string& orthanc, std::ostream& log) {
  State s;
  s.orthanc = orthanc;
  if (!fs::exists(path)) return s;
  const json j = read_json_file(path);
  if (!j.is_object() || j.value("format", "") != kStateFormat || !j.contains("last_change") ||
      !j["last_change"].is_number_integer())
    throw Error(path.string() + ": not a pacs watch state file (format '" + kStateFormat +
                "' with an integer last_change)");
  s.last_change = j["last_change"].get<int64_t>();
  const std::string was = j.value("orthanc", "");
  if (was != orthanc)
    log << "pacs watch: " << path.string() << " was kept for Orthanc at " << was
        << "; carrying on after its change " << s.last_change << " at " << orthanc << "\n";
  return s;
}

void write_state(const fs::path& path, const State& s) {
  write_json_file(path, {{"format", kStateFormat},
                         {"version", 1},
                         {"orthanc", s.orthanc},
                         {"last_change", s.last_change}});
}

// CR and DX (for presentation and for processing): what the bundles are trained on. Everything
// else, deeptirp's own SR and Secondary Capture included, is left alone.
bool is_radiograph(const std::string& sop_class) {
  return sop_class == "1.2.840.10008.5.1.4.1.1.1" || sop_class == "1.2.840.10008.5.1.4.1.1.1.1" ||
         sop_class == "1.2.840.10008.5.1.4.1.1.1.1.1";
}

// What became of one change: the summary's counter it adds to.
using Outcome = std::size_t WatchSummary::*;

class Watcher {
 public:
  explicit Watcher(const WatchOptions& o)
      : o_(o),
        orthanc_(o.orthanc, o.credentials),
        bundle_(bundle::Bundle::load(o.bundle)),
        identity_(result_identity(*bundle_)),
        clinical_(parse_clinical_tags(o.clinical, *bundle_)) {}

  WatchSummary run();

 private:
  Outcome handle(const std::string& instance);
  Outcome predict_and_store(const std::string& instance);
  bool stopped() const { return o_.stop && o_.stop->load(); }
  void pause(std::chrono::milliseconds wait) const;
  std::ostream& log() const { return o_.log ? *o_.log : nowhere_; }

  const WatchOptions& o_;
  Orthanc orthanc_;
  std::shared_ptr<const bundle::Bundle> bundle_;
  ResultIdentity identity_;
  std::vector<ClinicalTag> clinical_;
  WatchSummary summary_;
  mutable std::ostream nowhere_{nullptr};  // no buffer: what is written to it goes nowhere
};

void Watcher::pause(std::chrono::milliseconds wait) const {
  const auto until = std::chrono::steady_clock::now() + wait;
  while (!stopped() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// Orthanc's instance id names the instance in the log: a hash Orthanc derives from the UIDs,
// never the patient's name or id.
Outcome Watcher::handle(const std::string& instance) {
  const auto sop_class = orthanc_.sop_class(instance);
  if (!sop_class) {
    log() << "pacs watch: instance " << instance << ": no longer in Orthanc\n";
    return &WatchSummary::skipped;
  }
  if (!is_radiograph(*sop_class)) return &WatchSummary::skipped;
  const auto uid = orthanc_.sop_instance_uid(instance);
  if (!uid) return &WatchSummary::skipped;
  const ResultUids results = result_uids(*uid, identity_.bundle_id);
  if (orthanc_.has_instance(results.report) && orthanc_.has_instance(results.capture)) {
    log() << "pacs watch: instance " << instance << ": results already stored\n";
    return &WatchSummary::present;
  }
  return predict_and_store(instance);
}

Outcome Watcher::predict_and_store(const std::string& instance) {
  const std::string source = orthanc_.file(instance);
  const std::string name = "Orthanc instance " + instance;
  std::string report, capture;
  bundle::BundlePrediction p;
  try {  // what is wrong with this one radiograph: logged, and the watcher goes on
    bundle::BundleInput input;
    input.radiograph = decode_radiograph(source, name);
    input.name = name;
    input.clinical = clinical_from_dicom(source, name, clinical_, *bundle_);
    p = bundle_->predict(input);
    const bundle::BundleHeatMap heat = bundle_->heat_map(input, o_.heat_map, o_.heat_map_model);
    const ResultSource from = read_result_source(source, name);
    report = structured_report(from, p, identity_);
    capture = heat_map_capture(from, overlay_side_by_side(input.radiograph, heat.map), identity_);
  } catch (const Error& e) {
    log() << "pacs watch: " << e.what() << "\n";
    return &WatchSummary::failed;
  }
  // Interrupted between the two (Orthanc gone, the watcher killed), the first is there already.
  int had = !orthanc_.store(report);
  had += !orthanc_.store(capture);
  log() << "pacs watch: instance " << instance << ": " << p.predicted_class << " (ensemble "
        << format_number(p.ensemble) << "); SR and heat map stored"
        << (had ? " (Orthanc already had " + std::to_string(had) + " of them)" : "") << "\n";
  return &WatchSummary::predicted;
}

WatchSummary Watcher::run() {
  State state = read_state(o_.state, o_.orthanc, log());
  log() << "pacs watch: bundle " << identity_.bundle_id << ", Orthanc at " << o_.orthanc
        << ", after change " << state.last_change << " (state " << o_.state.string() << ")\n";
  std::vector<std::string> read;
  for (const auto& t : clinical_) read.push_back(t.column + " <- " + t.keyword);
  log() << "pacs watch: clinical values "
        << (read.empty() ? "from no DICOM attribute (--clinical COLUMN=Keyword): all imputed"
                         : "from " + join(read) + "; any other imputed")
        << "\n";
  auto retry = std::chrono::milliseconds(250);
  bool absent = false;
  while (!stopped()) {
    try {
      const OrthancChanges page = orthanc_.changes(state.last_change, kPage);
      if (absent) log() << "pacs watch: Orthanc answers again\n";
      absent = false;
      retry = std::chrono::milliseconds(250);
      if (page.changes.empty() && page.last < state.last_change) {
        // A new Orthanc database: its feed starts again. Results already there are found by UID.
        log() << "pacs watch: Orthanc's feed ends at change " << page.last
              << ", before the state's " << state.last_change << ": starting again from 0\n";
        state.last_change = 0;
        write_state(o_.state, state);
        continue;
      }
      for (const auto& change : page.changes) {
        if (stopped()) break;
        if (change.type == "NewInstance") ++(summary_.*handle(change.id));
        state.last_change = change.seq;  // only once its results are stored
        if (change.type == "NewInstance") write_state(o_.state, state);
      }
      if (!page.changes.empty()) write_state(o_.state, state);
      if (page.done) {
        // --once ends at a feed with nothing new: its own results' changes are read, not left
        // for the next run.
        if (o_.once && page.changes.empty()) break;
        if (!o_.once) pause(o_.poll);
      }
    } catch (const OrthancUnavailable& e) {
      if (o_.once) throw;
      if (!absent) log() << "pacs watch: " << e.what() << "; trying again\n";
      absent = true;
      pause(retry);
      retry = std::min(retry * 2, o_.retry_limit);
    }
  }
  summary_.last_change = state.last_change;
  return summary_;
}

}  // namespace

WatchSummary watch(const WatchOptions& options) { return Watcher(options).run(); }

}  // namespace deeptirp::pacs
