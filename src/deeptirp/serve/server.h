#pragma once
// `deeptirp serve`: a bundle behind HTTP, for an engineer who puts a study's model next to a PACS.
//   POST /v1/predict   an image (DICOM, PNG, JPEG) or multipart image + case JSON -> JSON
//   GET  /v1/health    200 once the bundle is loaded, 503 while loading or stopping
//   GET  /v1/model     the bundle's metadata.json
//   GET  /metrics      Prometheus text: requests, latency, queue depth, batch sizes
// Images are decoded and prepared on the HTTP worker threads, concurrently; the forward passes
// run on one batching thread (Batcher), which shares the loaded bundle. Every bad request gets a
// JSON error with a 4xx status; nothing a request carries can end the process.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>

#include "deeptirp/serve/batcher.h"

namespace deeptirp::serve {

struct ServeOptions {
  std::filesystem::path bundle;
  std::string precision = "fp32";  // as Bundle::load takes it
  std::string host = "127.0.0.1";  // loopback unless the engineer opens it on purpose
  int port = 8080;                 // 0 = any free port (Server::bind says which)
  int workers = 16;  // HTTP worker threads; a kept-alive connection holds one while it is open
  BatcherOptions batching;
  std::size_t max_body_bytes = std::size_t{64} << 20;  // larger bodies get 413
  std::chrono::milliseconds deadline{30000};           // per request, from its arrival
  std::filesystem::path token_file;  // if set, every request needs "Authorization: Bearer <it>"
  std::ostream* log = nullptr;       // one line per request (never a patient's data); none if null
};

class Server {
 public:
  explicit Server(ServeOptions options);  // reads the token file; Error if it is unusable
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the port and returns it; Error naming host:port when it is taken.
  int bind();
  // Answers requests (predictions once the bundle has loaded) until stop(). Throws Error when the
  // bundle does not load.
  void run();
  // Graceful, from any thread (a signal handler's thread): new requests get 503, the ones in
  // flight finish, then run() returns.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deeptirp::serve
