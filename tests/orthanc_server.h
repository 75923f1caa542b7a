#pragma once
// A real Orthanc (Debian's `orthanc`) for the pacs tests, on free loopback ports with a temporary
// configuration and storage folder, and dcmtk's `storescu` to send it radiographs by C-STORE.
// Tests skip when either is missing (a user's machine without them); CI installs both
// (scripts/setup.sh --test).
#include <gdcmReader.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "child_process.h"
#include "test_support.h"

namespace deeptirp::testing {

// The program's path on PATH or in /usr/sbin (where Debian puts Orthanc), or "".
inline std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = std::string(path ? path : "") + ":/usr/sbin:/usr/local/sbin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// "" when Orthanc and storescu are both there, else what is missing.
inline std::string orthanc_missing() {
  std::string missing;
  if (find_program("Orthanc").empty()) missing += "Orthanc (Debian orthanc) ";
  if (find_program("storescu").empty()) missing += "storescu (Debian dcmtk)";
  return missing;
}

// A free TCP port on loopback (the kernel's pick, released at once).
inline int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

class OrthancServer {
 public:
  explicit OrthancServer(const std::filesystem::path& dir)
      : dir_(dir), http_port_(free_port()), dicom_port_(free_port()) {
    std::filesystem::create_directories(dir_);
    const nlohmann::json config = {{"Name", "deeptirp-test"},
                                   {"StorageDirectory", (dir_ / "storage").string()},
                                   {"IndexDirectory", (dir_ / "index").string()},
                                   {"HttpPort", http_port_},
                                   {"DicomPort", dicom_port_},
                                   {"DicomAet", "ORTHANC"},
                                   {"RemoteAccessAllowed", false},
                                   {"AuthenticationEnabled", false},
                                   {"Plugins", nlohmann::json::array()},
                                   {"StableAge", 1}};
    std::ofstream(dir_ / "orthanc.json") << config.dump(2);
  }

  // Starts Orthanc (its database survives restarts) and waits until its REST API answers.
  void start() {
    process_ = std::make_unique<Child>(
        std::vector<std::string>{find_program("Orthanc"), (dir_ / "orthanc.json").string()},
        dir_ / ("orthanc-" + std::to_string(++starts_) + ".log"));
    httplib::Client c("127.0.0.1", http_port_);
    for (int i = 0; i < 1500; ++i) {
      if (auto r = c.Get("/system"); r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "Orthanc did not start:\n" << process_->log();
  }
  // As a crash does: SIGKILL, no shutdown.
  void kill() {
    process_->signal(SIGKILL);
    process_->wait();
    process_.reset();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  httplib::Client client() const { return httplib::Client("127.0.0.1", http_port_); }

  // C-STORE, as a modality sends: storescu's exit status. -xr proposes RLE Lossless beside the
  // uncompressed syntaxes: some synthetic radiographs are RLE, which dcmtk cannot decompress.
  int store_scu(const std::vector<std::filesystem::path>& files) const {
    std::string command =
        find_program("storescu") + " -xr -aec ORTHANC 127.0.0.1 " + std::to_string(dicom_port_);
    for (const auto& f : files) command += " " + f.string();
    std::string output;
    const int rc = run_command(command, &output);
    EXPECT_EQ(rc, 0) << command << "\n" << output;
    return rc;
  }

  // Orthanc's ids of the instances it holds, optionally of one modality.
  std::vector<std::string> instances(const std::string& modality = "") const {
    auto c = client();
    const nlohmann::json query = {
        {"Level", "Instance"},
        {"Query",
         modality.empty() ? nlohmann::json::object() : nlohmann::json{{"Modality", modality}}}};
    auto r = c.Post("/tools/find", query.dump(), "application/json");
    if (!r || r->status != 200) return {};
    return nlohmann::json::parse(r->body).get<std::vector<std::string>>();
  }
  std::string file(const std::string& instance) const {
    auto c = client();
    auto r = c.Get("/instances/" + instance + "/file");
    return r && r->status == 200 ? r->body : "";
  }

 private:
  std::filesystem::path dir_;
  int http_port_, dicom_port_;
  int starts_ = 0;
  std::unique_ptr<Child> process_;
};

// Downloads every instance Orthanc holds into `folder` and checks them as a PACS user would:
// dciodvfy finds no error in deeptirp's results, and pydicom (tools/check_pacs_results.py) finds
// exactly one SR and one heat map per radiograph, each referencing it; GDCM reads each result.
// The counts, as the script prints them ("" where it could not run).
inline std::string check_stored_results(const OrthancServer& orthanc,
                                        const std::filesystem::path& folder) {
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  for (const std::string& modality : {"SR", "OT"})
    for (const auto& id : orthanc.instances(modality)) {
      const auto file = folder / (modality + "-" + id + ".dcm");
      std::ofstream(file, std::ios::binary) << orthanc.file(id);
      gdcm::Reader reader;
      reader.SetFileName(file.c_str());
      EXPECT_TRUE(reader.Read()) << "GDCM cannot read " << file;
      if (const auto errors = iod_errors(file))
        EXPECT_EQ(*errors, std::vector<std::string>{}) << file;
    }
  for (const auto& id : orthanc.instances())
    if (!std::filesystem::exists(folder / ("SR-" + id + ".dcm")) &&
        !std::filesystem::exists(folder / ("OT-" + id + ".dcm")))
      std::ofstream(folder / (id + ".dcm"), std::ios::binary) << orthanc.file(id);
  const std::string python = reference_python();
  if (python.empty()) {
    std::printf("no reference Python with pydicom: the results' references are not checked\n");
    return "";
  }
  std::string out;
  EXPECT_EQ(run_command(python + " " + DEEPTIRP_SOURCE_DIR "/tools/check_pacs_results.py " +
                            folder.string(),
                        &out),
            0)
      << out;
  return out;
}

}  // namespace deeptirp::testing
