#pragma once
// The part of Orthanc's REST API a watcher needs
// (https://orthanc.uclouvain.be/book/users/rest.html): its change feed, an instance's SOP class,
// UID and file, a lookup by UID, and storing a file.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/error.h"

namespace deeptirp::pacs {

// Orthanc did not answer (not running, restarting, refusing connections, a 5xx): worth trying again
// later, unlike an Error, which says the request itself was wrong.
class OrthancUnavailable : public Error {
 public:
  using Error::Error;
};

struct OrthancChange {
  int64_t seq = 0;
  std::string type;  // "NewInstance", "NewSeries", "StableStudy", ...
  std::string id;    // Orthanc's id of the resource
};

struct OrthancChanges {
  std::vector<OrthancChange> changes;
  int64_t last = 0;  // the last change in the feed (or the page)
  bool done = true;  // no more changes after this page
};

// One Orthanc server. Not shared between threads (it holds one HTTP connection).
class Orthanc {
 public:
  // `url`: http://host:port, optionally with a path prefix (a reverse proxy's). `credentials`:
  // "user:password" for HTTP Basic authentication, or "".
  explicit Orthanc(const std::string& url, const std::string& credentials = "");
  ~Orthanc();
  Orthanc(const Orthanc&) = delete;
  Orthanc& operator=(const Orthanc&) = delete;

  const std::string& url() const { return url_; }
  OrthancChanges changes(int64_t since, int limit);
  // An instance's SOP Class UID and SOP Instance UID; nullopt when Orthanc no longer has it.
  std::optional<std::string> sop_class(const std::string& instance);
  std::optional<std::string> sop_instance_uid(const std::string& instance);
  std::string file(const std::string& instance);
  // Whether Orthanc holds an instance with this SOP Instance UID.
  bool has_instance(const std::string& sop_instance_uid);
  // Stores a DICOM file: true when it is new, false when Orthanc already had its SOP Instance UID.
  bool store(const std::string& dicom);

 private:
  struct Http;
  std::string url_, prefix_;
  std::unique_ptr<Http> http_;
};

}  // namespace deeptirp::pacs
