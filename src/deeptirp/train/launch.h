#pragma once
// `deeptirp train --nproc N`: the one-machine case of data-parallel training, started as torchrun
// would start it: this program again N times, each with RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT. On several machines, a
// launcher (torchrun, Slurm, a Kubernetes operator) sets those variables and starts
// `deeptirp train` itself on each.
#include <string>
#include <vector>

namespace deeptirp {

// Runs `arguments` (argv[1:] of this program, without --nproc) in `processes` processes and
// waits for them. When one fails, the others are stopped (SIGTERM, then SIGKILL after a grace
// period) and the Error names the rank and how it ended; every rank must end with status 0.
void run_local_processes(int processes, const std::vector<std::string>& arguments);

}  // namespace deeptirp
