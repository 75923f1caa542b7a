#include "deeptirp/train/launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "deeptirp/error.h"

namespace deeptirp {
namespace {

// A port the kernel has just handed out on loopback, as torchrun picks one for a standalone
// run: free when asked, and the store binds it a moment later.
int free_loopback_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) throw Error(std::string("--nproc: no socket for the rendezvous: ") + strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  const bool ok = bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(s, reinterpret_cast<sockaddr*>(&address), &size) == 0;
  close(s);
  if (!ok) throw Error(std::string("--nproc: no free port on 127.0.0.1: ") + strerror(errno));
  return ntohs(address.sin_port);
}

pid_t start_rank(int rank, int processes, int port, const std::vector<std::string>& arguments) {
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("--nproc: could not start a process: ") + strerror(errno));
  if (pid > 0) return pid;
  const std::string r = std::to_string(rank), n = std::to_string(processes);
  setenv("RANK", r.c_str(), 1);
  setenv("LOCAL_RANK", r.c_str(), 1);
  setenv("WORLD_SIZE", n.c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<char*> argv;
  static char self[] = "/proc/self/exe";
  argv.push_back(self);
  for (const auto& a : arguments) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(self, argv.data());
  std::fprintf(stderr, "--nproc: could not run %s: %s\n", self, strerror(errno));
  std::_Exit(127);
}

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

// A rank that ended badly has left the others waiting in a collective until their timeout:
// stop them now, politely first.
void stop_all(const std::map<pid_t, int>& running) {
  constexpr auto kGrace = std::chrono::seconds(10);
  for (const auto& [pid, rank] : running) kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kGrace;
  std::map<pid_t, int> left = running;
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0)
      left.erase(pid);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (const auto& [pid, rank] : left) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
}

}  // namespace

void run_local_processes(int processes, const std::vector<std::string>& arguments) {
  if (processes < 1) throw Error("--nproc: expected at least 1 process");
  const int port = free_loopback_port();
  std::map<pid_t, int> running;  // pid -> rank
  for (int rank = 0; rank < processes; ++rank)
    running[start_rank(rank, processes, port, arguments)] = rank;
  while (!running.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("--nproc: waiting for the processes: ") + strerror(errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const int rank = it->second;
    running.erase(it);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    stop_all(running);
    throw Error("--nproc " + std::to_string(processes) + ": rank " + std::to_string(rank) + " " +
                how_it_ended(status) + "; the other processes were stopped");
  }
}

}  // namespace deeptirp
