// `deeptirp serve` as an engineer starts it: a process on a free loopback port, stopped by
// SIGTERM while a request is in flight (it answers it, then exits 0), and a clear error with a
// non-zero exit for a bundle that does not load.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <future>
#include <thread>

#include "child_process.h"
#include "deeptirp/io/byte_source.h"
#include "test_support.h"
#include "tiny_bundle.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;
using testing::Child;

TEST(ServeCli, SigtermFinishesTheRequestInFlightThenExitsCleanly) {
  const auto tiny = testing::make_tiny_bundle("serve-cli");
  const fs::path log = tiny.study.dir / "serve.log";
  // A batch that waits 1.5 s to fill keeps the request in flight while SIGTERM arrives.
  Child serve({DEEPTIRP_EXE, "serve", "--bundle", tiny.bundle.string(), "--port", "0",
               "--max-batch", "4", "--max-wait-ms", "1500"},
              log);
  const std::string port = serve.await("listening on http://127\\.0\\.0\\.1:(\\d+)");
  ASSERT_FALSE(port.empty()) << serve.log();
  httplib::Client c("127.0.0.1", std::stoi(port));
  c.set_read_timeout(60, 0);
  int ready = 0;
  for (int i = 0; i < 1500 && ready != 200; ++i) {
    if (auto r = c.Get("/v1/health")) ready = r->status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(ready, 200) << serve.log();

  const Manifest& m = tiny.study.manifest;
  const std::string image = read_file_bytes(m.image_path(m.cases[0]));
  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", std::stoi(port));
    client.set_read_timeout(60, 0);
    auto r = client.Post("/v1/predict", image, "application/dicom");
    return r ? r->status : -1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  serve.signal(SIGTERM);
  EXPECT_EQ(in_flight.get(), 200) << serve.log();
  EXPECT_EQ(serve.wait(), 0) << serve.log();
  const std::string text = serve.log();
  EXPECT_NE(text.find("SIGTERM: finishing the requests in flight"), std::string::npos) << text;
  EXPECT_NE(text.find("POST /v1/predict 200"), std::string::npos) << text;
  EXPECT_NE(text.find("deeptirp serve: stopped"), std::string::npos) << text;
  EXPECT_EQ(text.find("SYNTHETIC^PATIENT"), std::string::npos) << text;
  EXPECT_FALSE(c.Get("/v1/health")) << "the port should be closed";
}

TEST(ServeCli, ABundleThatDoesNotLoadIsAnErrorNamingIt) {
  const fs::path dir = testing::scratch_dir("serve-cli-broken");
  fs::create_directories(dir / "bundle");
  std::string output;
  const int rc = testing::run_command(
      std::string(DEEPTIRP_EXE) + " serve --port 0 --bundle " + (dir / "bundle").string(), &output);
  EXPECT_EQ(rc, 1) << output;
  EXPECT_NE(output.find("metadata.json"), std::string::npos) << output;
}

}  // namespace
}  // namespace deeptirp
