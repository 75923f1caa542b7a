// deeptirp pacs watch: a bundle's results stored into Orthanc beside each new radiograph
// (pacs/watch.h), until SIGTERM or SIGINT, or with --once until the feed has nothing new.
#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "cli/signals.h"
#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/pacs/watch.h"

namespace deeptirp::cli {
namespace {

// The file's first line, without its line end: credentials stay out of the command line (and so
// out of `ps` and shell history).
std::string first_line(const std::string& path) {
  std::string text = read_file_bytes(path);
  text = text.substr(0, text.find_first_of("\r\n"));
  if (text.empty()) throw Error(path + ": empty; expected user:password on its first line");
  return text;
}

void run_watch(pacs::WatchOptions& o) {
  std::atomic<bool> stop{false}, finished{false};
  o.stop = &stop;
  o.log = &std::cerr;
  std::thread signals = on_stop_signal([&](const char* name) {
    if (!finished)
      std::cerr << "deeptirp pacs watch: " << name << ": stopping after the current instance\n";
    stop = true;
  });
  pacs::WatchSummary s;
  try {
    s = pacs::watch(o);
  } catch (...) {
    finished = true;
    ::kill(::getpid(), SIGTERM);  // ends the signal thread, which waits for it
    signals.join();
    throw;
  }
  finished = true;
  ::kill(::getpid(), SIGTERM);
  signals.join();
  std::cerr << "deeptirp pacs watch: stopped after change " << s.last_change << ": " << s.predicted
            << " radiographs predicted, " << s.present << " already had results, " << s.failed
            << " failed, " << s.skipped << " other instances left alone\n";
}

void add_pacs(CLI::App& app) {
  CLI::App* pacs = app.add_subcommand("pacs", "Work beside a PACS (Orthanc)");
  pacs->require_subcommand(1);
  auto o = std::make_shared<pacs::WatchOptions>();
  auto bundle = std::make_shared<std::string>(), state = std::make_shared<std::string>(),
       credentials = std::make_shared<std::string>();
  auto poll_ms = std::make_shared<int>(1000);
  *state = "pacs-watch-state.json";
  CLI::App* cmd = pacs->add_subcommand(
      "watch",
      "Follow Orthanc's changes: for each new radiograph (CR, DX), store the bundle's Structured "
      "Report and heat-map Secondary Capture into Orthanc beside it");
  cmd->add_option("--orthanc", o->orthanc, "Orthanc's REST API, http://host:port[/prefix]")
      ->required();
  cmd->add_option("--bundle", *bundle, "Deployable bundle folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--state", *state,
                  "State file: the last change handled, so that a restart carries on after it")
      ->capture_default_str();
  cmd->add_option("--credentials-file", *credentials,
                  "File whose first line is user:password (Orthanc's HTTP Basic authentication)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--heat-map", o->heat_map, "gradcam | gradcampp | scorecam")
      ->capture_default_str();
  cmd->add_option("--heat-map-model", o->heat_map_model,
                  "The image model the heat map explains (default: the bundle's first)");
  cmd->add_option("--clinical", o->clinical,
                  "COLUMN=Keyword: a clinical value from each radiograph's header, e.g. "
                  "age=PatientAge (to years), sex=PatientSex, site=BodyPartExamined (matched to "
                  "the trained levels ignoring case); columns not named are imputed");
  cmd->add_option("--poll-ms", *poll_ms, "Wait between looks at a feed with nothing new")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--once", o->once,
                "Handle the changes there are, then exit (Orthanc not answering is then an error)");
  cmd->callback([o, bundle, state, credentials, poll_ms] {
    o->bundle = *bundle;
    o->state = *state;
    if (!credentials->empty()) o->credentials = first_line(*credentials);
    o->poll = std::chrono::milliseconds(*poll_ms);
    run_watch(*o);
  });
}

const bool registered = register_command(180, add_pacs);

}  // namespace
}  // namespace deeptirp::cli
