#pragma once
// The long-running verbs (serve, pacs watch) stop gracefully on SIGTERM or SIGINT.
#include <signal.h>

#include <functional>
#include <thread>

namespace deeptirp::cli {

// Blocks SIGTERM and SIGINT in every thread (the mask is inherited, so call this before any
// thread starts) and calls `on_stop` with the signal's name from a thread that waits for one.
// Join the thread after raising SIGTERM yourself where the work ends without a signal.
inline std::thread on_stop_signal(std::function<void(const char* name)> on_stop) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return std::thread([on_stop = std::move(on_stop), signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    on_stop(signal == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

}  // namespace deeptirp::cli
