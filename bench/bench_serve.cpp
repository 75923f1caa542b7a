// A bounded load on a running `deeptirp serve` (loopback only): N clients post radiographs in a
// loop until R requests in all, or S seconds, have passed. Prints one JSON line: images/s, p50 and
// p99 latency, and every status seen (0 = no answer). bench/run_serve_load.sh drives it.
//
//   bench_serve --port P --images LIST --clients N --requests R [--seconds S]
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "deeptirp/io/byte_source.h"

int main(int argc, char** argv) {
  CLI::App app{"Load on deeptirp serve"};
  int port = 8080, clients = 1;
  std::size_t requests = 100;
  double seconds = 60;
  std::string images_list, host = "127.0.0.1";
  app.add_option("--host", host);
  app.add_option("--port", port)->required();
  app.add_option("--images", images_list, "File listing one image path per line")->required();
  app.add_option("--clients", clients);
  app.add_option("--requests", requests);
  app.add_option("--seconds", seconds);
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> images;
  std::ifstream list(images_list);
  for (std::string line; std::getline(list, line);)
    if (!line.empty()) images.push_back(deeptirp::read_file_bytes(line));
  if (images.empty()) {
    std::cerr << images_list << ": no images\n";
    return 1;
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::map<int, std::size_t> statuses;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      httplib::Client client(host, port);
      client.set_read_timeout(120, 0);
      for (std::size_t i; (i = next++) < requests && Clock::now() < until;) {
        const auto t0 = Clock::now();
        auto r = client.Post("/v1/predict", images[i % images.size()], "application/dicom");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        std::lock_guard<std::mutex> lock(mutex);
        latencies_ms.push_back(ms);
        ++statuses[r ? r->status : 0];
      }
    });
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto quantile = [&](double q) {
    return latencies_ms.empty()
               ? 0.0
               : latencies_ms[std::min(latencies_ms.size() - 1,
                                       static_cast<std::size_t>(q * latencies_ms.size()))];
  };
  nlohmann::json by_status = nlohmann::json::object();
  std::size_t ok = 0;
  for (const auto& [status, n] : statuses) {
    by_status[std::to_string(status)] = n;
    if (status == 200) ok = n;
  }
  std::cout << nlohmann::json{{"clients", clients},
                              {"requests", latencies_ms.size()},
                              {"failed", latencies_ms.size() - ok},
                              {"statuses", by_status},
                              {"seconds", wall},
                              {"images_per_s", ok / wall},
                              {"p50_ms", quantile(0.5)},
                              {"p99_ms", quantile(0.99)}}
                   .dump()
            << "\n";
  return 0;
}
