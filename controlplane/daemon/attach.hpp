// SPDX-License-Identifier: Apache-2.0
// Finding the dataplane and attaching to it, honestly retryable.
//
// rte_eal_init() runs once per process: after a failure (or a primary that went away) it
// answers EALREADY forever. So the controlplane
//   1. probes before calling it: the primary holds a write lock (fcntl) on its runtime
//      directory's `config` file for as long as it lives, so F_GETLK tells "running (pid N)",
//      "stale runtime directory" and "none" apart without touching the EAL;
//   2. calls rte_eal_init() only once a live primary is seen, with a watchdog (a primary that
//      dies during its own start leaves a secondary spinning in rte_eal_init);
//   3. starts over with a fresh process image (execv of itself) whenever the attached primary
//      goes away or the EAL cannot be initialised; the new image waits again with back-off.
// A controlplane is the single writer of the tables: an flock'ed file in the same runtime
// directory keeps a second one (or l2tpgw-sessionctl) from writing beside it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace l2tpgw::cp {

// DPDK's runtime directory for `file_prefix` (22.11 eal_create_runtime_dir: /var/run/dpdk for
// root, else $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk; then the prefix, "rte" by default).
std::string dpdk_runtime_dir(const std::string& file_prefix);

struct DataplaneProbe {
  enum class State : uint8_t { Running, Stale, Absent };
  State state = State::Absent;
  pid_t pid = 0;        // Running: the primary's pid
  std::string detail;   // for the log: what was found where
};

DataplaneProbe probe_dataplane(const std::string& file_prefix);
// The same for one `config` file (what probe_dataplane looks at).
DataplaneProbe probe_config_file(const std::string& path);

// The single-writer lock (flock, released by the kernel when the holder dies).
class InstanceLock {
 public:
  InstanceLock() = default;
  ~InstanceLock() { release(); }
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  // Takes the lock and writes our pid into the file. On failure `error` says who holds it.
  bool acquire(const std::string& path, std::string* error);
  void release();
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

std::string instance_lock_path(const std::string& file_prefix);
// Another process holds the lock at `path`: its pid (from the file), or -1 when unknown.
// 0 when nobody does.
pid_t instance_lock_holder(const std::string& path);

// The EAL arguments of a controlplane secondary: no PCI scan, no telemetry, our own lcore id
// (`lcore`) on every CPU we may run on, and the dataplane's file prefix.
std::vector<std::string> eal_secondary_args(const std::string& program, const std::string& file_prefix,
                                            unsigned lcore);

// rte_eal_init() with `args`, under a watchdog of `watchdog_s` seconds that re-executes the
// process (see reexec) if the EAL hangs. False with `error` on failure: the EAL cannot be
// initialised again in this process.
bool eal_attach(const std::vector<std::string>& args, unsigned watchdog_s, std::string* error);

// Environment variable that carries the attempt number across re-executions.
inline constexpr const char* kAttemptEnv = "L2TPGW_CP_ATTEMPT";
unsigned current_attempt();
// True in a process image that reexec() started.
bool reexecuted();

// Prepares the image re-execution uses (argv of the running daemon). Call once at start.
void set_reexec_argv(const std::vector<std::string>& argv);
// Replaces the process with a fresh copy of itself (same argv), `attempt` in kAttemptEnv,
// with every descriptor above stderr closed (DPDK's are not close-on-exec, and their locks
// would pin the old dataplane's files). Returns only if execve fails.
void reexec(unsigned attempt);

}  // namespace l2tpgw::cp
