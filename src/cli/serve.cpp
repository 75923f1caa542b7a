// deeptirp serve: a deployable bundle behind HTTP (serve/server.h), until SIGTERM or SIGINT.
#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "cli/signals.h"
#include "deeptirp/serve/server.h"

namespace deeptirp::cli {
namespace {

void add_serve(CLI::App& app) {
  auto o = std::make_shared<serve::ServeOptions>();
  auto bundle = std::make_shared<std::string>(), token = std::make_shared<std::string>();
  auto max_wait_ms = std::make_shared<int>(0), deadline_ms = std::make_shared<int>(30000);
  auto max_body_mb = std::make_shared<std::size_t>(64);
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve a deployable bundle over HTTP: POST /v1/predict, GET /v1/health, /v1/model, "
      "/metrics");
  cmd->add_option("--bundle", *bundle, "Deployable bundle folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--host", o->host, "Address to listen on (loopback unless opened on purpose)")
      ->capture_default_str();
  cmd->add_option("--port", o->port, "Port (0 = any free one, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--workers", o->workers, "HTTP worker threads (decode and prepare images)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch", o->batching.max_batch,
                  "Dynamic batching: at most this many images per forward pass (1 = off)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-wait-ms", *max_wait_ms,
                  "Dynamic batching: how long a forward pass waits for its batch to fill")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--queue", o->batching.queue_limit,
                  "Images waiting for the models at most; more get 503 with Retry-After")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-body-mb", *max_body_mb, "Largest request body; larger get 413")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--deadline-ms", *deadline_ms, "Per-request deadline; later answers get 504")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--token-file", *token,
                  "File holding a token: every request then needs `Authorization: Bearer <token>`")
      ->check(CLI::ExistingFile);
  cmd->add_option("--precision", o->precision, "fp32 | bf16")->capture_default_str();
  cmd->callback([o, bundle, token, max_wait_ms, deadline_ms, max_body_mb] {
    o->bundle = *bundle;
    o->token_file = *token;
    o->batching.max_wait = std::chrono::milliseconds(*max_wait_ms);
    o->deadline = std::chrono::milliseconds(*deadline_ms);
    o->max_body_bytes = *max_body_mb << 20;
    o->log = &std::cerr;
    serve::Server server(*o);
    std::thread signals = on_stop_signal([&server](const char* name) {
      std::cerr << "deeptirp serve: " << name << ": finishing the requests in flight\n";
      server.stop();
    });
    const int port = server.bind();
    std::cerr << "deeptirp serve: listening on http://" << o->host << ":" << port
              << " (loading the bundle)\n";
    try {
      server.run();
    } catch (...) {
      ::kill(::getpid(), SIGTERM);  // ends the signal thread, which waits for it
      signals.join();
      throw;
    }
    signals.join();
    std::cerr << "deeptirp serve: stopped\n";
  });
}

const bool registered = register_command(170, add_serve);

}  // namespace
}  // namespace deeptirp::cli
