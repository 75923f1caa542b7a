#include "deeptirp/pacs/orthanc.h"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>

namespace deeptirp::pacs {

using nlohmann::json;

struct Orthanc::Http {
  explicit Http(const std::string& scheme_host_port) : client(scheme_host_port) {}
  httplib::Client client;
};

namespace {

// Orthanc's own explanation of an error answer, when it gave one.
std::string orthanc_message(const httplib::Response& r) {
  const json body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return "";
  std::string text = body.value("Message", "");
  const std::string details = body.value("Details", "");
  if (!details.empty()) text += (text.empty() ? "" : ": ") + details;
  return text;
}

json parse_json(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw Error(what + ": the answer is not JSON");
  return j;
}

std::string trimmed(std::string text) {  // DICOM pads values with NUL or a space
  while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Orthanc::Orthanc(const std::string& url, const std::string& credentials) : url_(url) {
  static const std::regex form(R"(^(https?://[^/]+)(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, form))
    throw Error("Orthanc URL '" + url + "': expected http://host:port[/prefix]");
  prefix_ = m[2].str();
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  http_ = std::make_unique<Http>(m[1].str());
  if (!http_->client.is_valid())
    throw Error("Orthanc URL '" + url + "': this build cannot connect to it (https needs OpenSSL)");
  http_->client.set_connection_timeout(5, 0);
  http_->client.set_read_timeout(120, 0);
  http_->client.set_keep_alive(true);
  if (!credentials.empty()) {
    const auto colon = credentials.find(':');
    if (colon == std::string::npos) throw Error("Orthanc credentials: expected user:password");
    http_->client.set_basic_auth(credentials.substr(0, colon).c_str(),
                                 credentials.substr(colon + 1).c_str());
  }
}

Orthanc::~Orthanc() = default;

namespace {

// Throws OrthancUnavailable for no answer or a 5xx, Error for a refused request; returns the
// answer otherwise (a 404 included, which the callers read as "not there").
httplib::Response checked(httplib::Result result, const std::string& url, const std::string& what) {
  if (!result)
    throw OrthancUnavailable("Orthanc at " + url + " did not answer " + what + " (" +
                             httplib::to_string(result.error()) + ")");
  const httplib::Response& r = *result;
  if (r.status >= 500)
    throw OrthancUnavailable("Orthanc at " + url + " answered " + what + " with " +
                             std::to_string(r.status) + " " + orthanc_message(r));
  if (r.status == 401 || r.status == 403)
    throw Error("Orthanc at " + url + " refused " + what + " (" + std::to_string(r.status) +
                "): check --credentials-file");
  if (r.status >= 400 && r.status != 404)
    throw Error("Orthanc at " + url + " refused " + what + " (" + std::to_string(r.status) +
                "): " + orthanc_message(r));
  return r;
}

}  // namespace

OrthancChanges Orthanc::changes(int64_t since, int limit) {
  const std::string what = "GET /changes";
  const auto r = checked(http_->client.Get(prefix_ + "/changes?since=" + std::to_string(since) +
                                           "&limit=" + std::to_string(limit)),
                         url_, what);
  if (r.status != 200) throw Error("Orthanc at " + url_ + " has no change feed (" + what + ")");
  const json j = parse_json(r.body, "Orthanc at " + url_ + ", " + what);
  OrthancChanges out;
  try {
    out.last = j.at("Last").get<int64_t>();
    out.done = j.at("Done").get<bool>();
    for (const auto& c : j.at("Changes"))
      out.changes.push_back({c.at("Seq").get<int64_t>(), c.at("ChangeType").get<std::string>(),
                             c.at("ID").get<std::string>()});
  } catch (const json::exception& e) {
    throw Error("Orthanc at " + url_ + ", " + what + ": unexpected answer (" + e.what() + ")");
  }
  return out;
}

std::optional<std::string> Orthanc::sop_class(const std::string& instance) {
  const auto r =
      checked(http_->client.Get(prefix_ + "/instances/" + instance + "/metadata/SopClassUid"), url_,
              "GET /instances/" + instance + "/metadata/SopClassUid");
  if (r.status == 404) return std::nullopt;
  return trimmed(r.body);
}

std::optional<std::string> Orthanc::sop_instance_uid(const std::string& instance) {
  const std::string what = "GET /instances/" + instance;
  const auto r = checked(http_->client.Get(prefix_ + "/instances/" + instance), url_, what);
  if (r.status == 404) return std::nullopt;
  const json j = parse_json(r.body, "Orthanc at " + url_ + ", " + what);
  const json tags = j.value("MainDicomTags", json::object());
  if (!tags.contains("SOPInstanceUID") || !tags["SOPInstanceUID"].is_string())
    throw Error("Orthanc at " + url_ + ", " + what + ": no SOPInstanceUID");
  return trimmed(tags["SOPInstanceUID"].get<std::string>());
}

std::string Orthanc::file(const std::string& instance) {
  const std::string what = "GET /instances/" + instance + "/file";
  const auto r =
      checked(http_->client.Get(prefix_ + "/instances/" + instance + "/file"), url_, what);
  if (r.status != 200) throw Error("Orthanc at " + url_ + " no longer has instance " + instance);
  return r.body;
}

bool Orthanc::has_instance(const std::string& sop_instance_uid) {
  const std::string what = "POST /tools/lookup";
  const auto r = checked(
      http_->client.Post(prefix_ + "/tools/lookup", sop_instance_uid, "text/plain"), url_, what);
  const json j = parse_json(r.body, "Orthanc at " + url_ + ", " + what);
  if (!j.is_array()) return false;
  for (const auto& found : j)
    if (found.is_object() && found.value("Type", "") == "Instance") return true;
  return false;
}

bool Orthanc::store(const std::string& dicom) {
  const std::string what = "POST /instances";
  const auto r =
      checked(http_->client.Post(prefix_ + "/instances", dicom, "application/dicom"), url_, what);
  if (r.status != 200)
    throw Error("Orthanc at " + url_ + " did not store the result (" + what + ")");
  const json j = parse_json(r.body, "Orthanc at " + url_ + ", " + what);
  return j.value("Status", "") != "AlreadyStored";
}

}  // namespace deeptirp::pacs
