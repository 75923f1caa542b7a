#include "deeptirp/serve/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "deeptirp/explain/cam.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/serve/metrics.h"
#include "deeptirp/serve/request.h"

namespace deeptirp::serve {
namespace {

using nlohmann::json;

const std::vector<std::string> kRoutes = {"/v1/predict", "/v1/health", "/v1/model", "/metrics"};

// A request's arrival and, for the log, why it failed: set and read on the worker thread that
// answers it (pre-routing handler, handler and logger run on one thread, one request at a time).
thread_local Clock::time_point request_start;
thread_local std::string request_problem;

void answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void refuse(httplib::Response& res, int status, const std::string& problem) {
  request_problem = problem;
  answer(res, status, {{"error", problem}});
}

// 503s say when to come back: a full queue drains within a few forward passes.
void unavailable(httplib::Response& res, const std::string& problem) {
  res.set_header("Retry-After", "1");
  refuse(res, 503, problem);
}

std::string read_token(const std::filesystem::path& file) {
  if (file.empty()) return "";
  std::string token = read_file_bytes(file);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw Error(file.string() + ": the token file is empty");
  return token;
}

// Compares every byte whatever the first difference, so that timing tells nothing of the token.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

std::string refusal_of(int status) {
  switch (status) {
    case 404:
      return "no such route (POST /v1/predict, GET /v1/health, /v1/model, /metrics)";
    case 405:
      return "method not allowed on this route";
    case 413:
      return "the body is larger than the service's limit (--max-body-mb)";
    default:
      return "the request is malformed (HTTP " + std::to_string(status) + ")";
  }
}

json prediction_json(const bundle::Bundle& bundle, const bundle::BundlePrediction& p) {
  json parts = json::object();
  for (std::size_t j = 0; j < bundle.image_names().size(); ++j)
    parts[bundle.image_names()[j]] = p.image_probabilities[j];
  parts["clinical"] = p.clinical;
  const json& m = bundle.metadata();
  return {{"parts", parts},
          {"ensemble", p.ensemble},
          {"calibrated", p.calibrated ? json(*p.calibrated) : json(nullptr)},
          {"threshold", m["thresholds"]["ensemble"]},
          {"predicted", p.predicted_class},
          {"bundle",
           {{"id", bundle.id()},
            {"format_version", m["format_version"]},
            {"deeptirp_version", m["deeptirp_version"]}}}};
}

// oneDNN prepares its kernels for each input shape on first use: measured here, a batch size met
// for the first time under load held its requests about a second (p99 1.1 s at 16 clients).
// Every batch size the batcher can form is run once, on a ramp image, before the service says
// it is ready.
void warm_up(const bundle::Bundle& b, std::size_t max_batch) {
  bundle::BundleInput in;
  in.radiograph = cv::Mat(256, 256, CV_16UC1);
  for (int y = 0; y < in.radiograph.rows; ++y)
    for (int x = 0; x < in.radiograph.cols; ++x)
      in.radiograph.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>((x + y) * 128);
  in.name = "the warm-up image";
  const CasePtr c = b.prepare(in);
  for (std::size_t n = 1; n <= max_batch; ++n) b.predict_batch(std::vector<CasePtr>(n, c));
}

}  // namespace

struct Server::Impl {
  ServeOptions options;
  std::string token;
  httplib::Server http;
  Metrics metrics;
  std::unique_ptr<Batcher> batcher;
  std::mutex mutex;  // guards bundle, stop_requested
  std::condition_variable stop_signal;
  std::shared_ptr<const bundle::Bundle> bundle;  // null until loaded
  bool stop_requested = false;
  std::atomic<bool> draining{false};
  std::mutex log_mutex;
  int listening_socket = -1;  // set by httplib's socket options hook

  std::shared_ptr<const bundle::Bundle> loaded() {
    std::lock_guard<std::mutex> lock(mutex);
    return draining ? nullptr : bundle;
  }
  void routes();
  void predict(const httplib::Request& req, httplib::Response& res);
  void log(const httplib::Request& req, const httplib::Response& res);
};

void Server::Impl::predict(const httplib::Request& req, httplib::Response& res) {
  const auto b = loaded();
  if (!b) return unavailable(res, draining ? "the service is stopping" : "the bundle is loading");
  const Clock::time_point deadline = request_start + options.deadline;
  std::optional<Batcher::Arrival> arrival(std::in_place, *batcher);
  std::string_view image = req.body;
  std::string case_json;
  if (req.is_multipart_form_data()) {
    for (const auto& [name, part] : req.files)
      if (name != "image" && name != "case")
        return refuse(res, 400, "unknown multipart part `" + name + "` (image, case)");
    if (!req.has_file("image")) return refuse(res, 400, "the multipart body has no `image` part");
    image = req.files.find("image")->second.content;
    if (req.has_file("case")) case_json = req.files.find("case")->second.content;
  }
  const std::string heat_map = req.get_param_value("heat_map");
  bundle::BundleInput input;
  CasePtr prepared;
  try {
    if (!heat_map.empty()) parse_cam_method(heat_map);  // refused before any work
    input = read_case(image, case_json, *b);
    prepared = b->prepare(input);
  } catch (const Error& e) {
    return refuse(res, 400, e.what());
  }
  std::future<bundle::BatchPrediction> result;
  try {
    result = batcher->submit(prepared, deadline);
  } catch (const QueueFull& e) {
    return unavailable(res, std::string("busy: ") + e.what());
  } catch (const Error& e) {
    return unavailable(res, e.what());
  }
  arrival.reset();  // queued now: a forming batch has it
  if (result.wait_until(deadline) == std::future_status::timeout)
    return refuse(res, 504, "no answer within the request's deadline");
  bundle::BatchPrediction p;
  try {
    p = result.get();
  } catch (const DeadlinePassed& e) {
    return refuse(res, 504, e.what());
  }
  if (!p.error.empty()) return refuse(res, 422, p.error);
  json body = prediction_json(*b, p.prediction);
  if (!heat_map.empty()) {
    try {
      body["heat_map"] = heat_map_json(*b, input, heat_map);
    } catch (const Error& e) {
      return refuse(res, 422, e.what());
    }
  }
  answer(res, 200, body);
}

void Server::Impl::routes() {
  http.Post("/v1/predict",
            [this](const httplib::Request& req, httplib::Response& res) { predict(req, res); });
  http.Get("/v1/health", [this](const httplib::Request&, httplib::Response& res) {
    const auto b = loaded();
    if (!b) {
      res.set_header("Retry-After", "1");
      return answer(res, 503, {{"status", draining ? "stopping" : "loading"}});
    }
    answer(res, 200, {{"status", "ready"}, {"bundle", b->id()}});
  });
  http.Get("/v1/model", [this](const httplib::Request&, httplib::Response& res) {
    const auto b = loaded();
    if (!b) return unavailable(res, draining ? "the service is stopping" : "the bundle is loading");
    json m = b->metadata();
    m["id"] = b->id();
    answer(res, 200, m);
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.text(), "text/plain; version=0.0.4");
  });
}

void Server::Impl::log(const httplib::Request& req, const httplib::Response& res) {
  const bool known = std::find(kRoutes.begin(), kRoutes.end(), req.path) != kRoutes.end();
  const double seconds = std::chrono::duration<double>(Clock::now() - request_start).count();
  metrics.request(known ? req.path : "other", res.status, seconds);
  if (options.log) {
    // The path only, never the query or the body: nothing of a patient's reaches the log.
    std::lock_guard<std::mutex> lock(log_mutex);
    *options.log << "deeptirp serve: " << req.method << " " << (known ? req.path : "(other)") << " "
                 << res.status << " " << std::fixed << std::setprecision(1) << seconds * 1000
                 << " ms" << (request_problem.empty() ? "" : ": ") << request_problem << "\n"
                 << std::flush;
  }
  request_problem.clear();
}

Server::Server(ServeOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = std::move(options);
  s.token = read_token(s.options.token_file);
  if (s.options.workers < 1) throw Error("--workers must be at least 1");
  const int workers = s.options.workers;
  s.http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  s.http.set_payload_max_length(s.options.max_body_bytes);
  // httplib closes a kept-alive connection after 5 requests, and Debian's build listens with a
  // backlog of 5: when a batch answered 16 clients at once and they all reconnected, the SYNs
  // past the fifth were dropped and retried a second later (p99 1.1 s at 16 clients). Connections
  // now stay open, and bind() widens the backlog once the socket listens (Linux takes a second
  // listen() on a listening socket as a new backlog).
  s.http.set_keep_alive_max_count(100000);
  s.http.set_socket_options([&s](socket_t sock) {
    httplib::default_socket_options(sock);
    s.listening_socket = sock;
  });
  s.http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    request_start = Clock::now();
    request_problem.clear();
    if (!s.token.empty() &&
        !same_secret(req.get_header_value("Authorization"), "Bearer " + s.token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      refuse(res, 401, "this service needs `Authorization: Bearer <token>`");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // httplib's own refusals (413 for a body over the limit, 404, 400 for a broken request) get a
  // JSON body like ours; ours already have one.
  s.http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        // httplib parses a form-encoded body as fields and refuses one over 8 KiB with 413:
        // what curl --data-binary sends without a Content-Type of its own.
        if (res.status == 413 &&
            req.get_header_value("Content-Type") == "application/x-www-form-urlencoded") {
          refuse(res, 413,
                 "the body came as a form (application/x-www-form-urlencoded); send the image "
                 "as it is, with Content-Type: application/dicom, image/png or image/jpeg");
          return httplib::Server::HandlerResponse::Handled;
        }
        refuse(res, res.status, refusal_of(res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what += std::string(": ") + e.what();
        } catch (...) {
        }
        refuse(res, 500, what);
      });
  s.http.set_logger(
      [&s](const httplib::Request& req, const httplib::Response& res) { s.log(req, res); });
  s.routes();
}

Server::~Server() {
  stop();
  if (impl_->batcher) impl_->batcher->stop();
}

int Server::bind() {
  Impl& s = *impl_;
  if (s.options.port == 0) {
    const int port = s.http.bind_to_any_port(s.options.host);
    if (port < 0) throw Error("cannot listen on " + s.options.host + " (any port)");
    s.options.port = port;
  } else if (!s.http.bind_to_port(s.options.host, s.options.port)) {
    throw Error("cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                " (taken, or not an address of this machine)");
  }
  if (s.listening_socket >= 0) ::listen(s.listening_socket, SOMAXCONN);
  return s.options.port;
}

void Server::run() {
  Impl& s = *impl_;
  std::atomic<bool> listening_ended{false};
  std::thread listener([&] {
    s.http.listen_after_bind();
    listening_ended = true;
  });
  // httplib's stop() does nothing before its loop runs: wait for it, or for its failure.
  while (!s.http.is_running() && !listening_ended)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto end_listening = [&] {
    s.http.stop();
    listener.join();
  };
  try {
    auto b = bundle::Bundle::load(s.options.bundle, s.options.precision);
    warm_up(*b, s.options.batching.max_batch);
    s.batcher = std::make_unique<Batcher>(
        [b](const std::vector<CasePtr>& cases) { return b->predict_batch(cases); },
        s.options.batching, &s.metrics);
    if (s.options.log)
      for (const auto& note : b->notes()) *s.options.log << "deeptirp serve: " << note << "\n";
    std::lock_guard<std::mutex> lock(s.mutex);
    s.bundle = std::move(b);
  } catch (...) {
    end_listening();
    throw;
  }
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.stop_signal.wait(lock, [&s] { return s.stop_requested; });
  }
  end_listening();  // the worker threads finish the requests in flight first
  s.batcher->stop();
}

void Server::stop() {
  Impl& s = *impl_;
  s.draining = true;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.stop_requested = true;
  }
  s.stop_signal.notify_all();
}

}  // namespace deeptirp::serve
