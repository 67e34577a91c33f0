// SPDX-License-Identifier: Apache-2.0
// Probing the dataplane's runtime directory, the instance lock, EAL attach and re-exec.
#include "controlplane/daemon/attach.hpp"

#include <fcntl.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>

namespace l2tpgw::cp {

std::string dpdk_runtime_dir(const std::string& file_prefix) {
  std::string base = "/var/run";
  if (getuid() != 0) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    base = xdg ? xdg : "/tmp";
  }
  return base + "/dpdk/" + (file_prefix.empty() ? std::string("rte") : file_prefix);
}

DataplaneProbe probe_dataplane(const std::string& file_prefix) {
  return probe_config_file(dpdk_runtime_dir(file_prefix) + "/config");
}

DataplaneProbe probe_config_file(const std::string& path) {
  DataplaneProbe p;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    p.state = DataplaneProbe::State::Absent;
    p.detail = path + ": " + std::strerror(errno);
    return p;
  }
  // The primary write-locks part of this file for its whole life (eal.c rte_eal_config_create);
  // asking for the whole file finds that lock whatever its range.
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  const int rc = fcntl(fd, F_GETLK, &fl);
  const int saved = errno;
  close(fd);
  if (rc != 0) {
    p.state = DataplaneProbe::State::Absent;
    p.detail = path + ": F_GETLK: " + std::strerror(saved);
    return p;
  }
  if (fl.l_type == F_UNLCK) {
    p.state = DataplaneProbe::State::Stale;
    p.detail = path + " is left from a dataplane that exited";
    return p;
  }
  p.state = DataplaneProbe::State::Running;
  p.pid = fl.l_pid;
  p.detail = "l2tpgw-dataplane pid " + std::to_string(fl.l_pid);
  return p;
}

std::string instance_lock_path(const std::string& file_prefix) {
  return dpdk_runtime_dir(file_prefix) + "/l2tpgw-controlplane.lock";
}

bool InstanceLock::acquire(const std::string& path, std::string* error) {
  release();
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    close(fd);
    const pid_t holder = instance_lock_holder(path);
    if (e == EWOULDBLOCK)
      *error = "the dataplane's tables already have a writer" +
               (holder > 0 ? " (pid " + std::to_string(holder) + ")" : std::string()) +
               ": another l2tpgw-controlplane or an l2tpgw-sessionctl (lock " + path + ")";
    else
      *error = "cannot lock " + path + ": " + std::strerror(e);
    return false;
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock is what matters; the pid is for the message above.
  }
  fd_ = fd;
  return true;
}

void InstanceLock::release() {
  if (fd_ >= 0) close(fd_);  // closing drops the flock
  fd_ = -1;
}

pid_t instance_lock_holder(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  pid_t holder = 0;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    holder = -1;
    char buf[32] = {};
    const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n > 0) {
      const long v = std::strtol(buf, nullptr, 10);
      if (v > 0) holder = static_cast<pid_t>(v);
    }
  }
  close(fd);
  return holder;
}

std::vector<std::string> eal_secondary_args(const std::string& program, const std::string& file_prefix,
                                            unsigned lcore) {
  // Every CPU we are allowed on: the controlplane is no poll-mode core and must not be pinned
  // next to a worker (this box may have two cores).
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) == 0) CPU_SET(0, &set);
  // GCC 12 -O3 warns (-Wrestrict, falsely) on short std::string appends here: use a buffer.
  char lcores[64 + 6 * CPU_SETSIZE];
  int n = std::snprintf(lcores, sizeof(lcores), "--lcores=%u@(", lcore);
  bool first = true;
  for (int c = 0; c < CPU_SETSIZE && n > 0 && static_cast<size_t>(n) < sizeof(lcores) - 8; ++c)
    if (CPU_ISSET(c, &set)) {
      n += std::snprintf(lcores + n, sizeof(lcores) - n, first ? "%d" : ",%d", c);
      first = false;
    }
  std::snprintf(lcores + n, sizeof(lcores) - n, ")");
  std::vector<std::string> args = {program, "--proc-type=secondary", "--no-pci", "--no-telemetry",
                                   "--log-level=lib.eal:error", lcores};
  if (!file_prefix.empty()) args.push_back("--file-prefix=" + file_prefix);
  return args;
}

namespace {

// What the watchdog and reexec() hand to execve; built before anything can go wrong, because
// the watchdog runs in a signal handler (execve is async-signal-safe, building strings is not).
struct ReexecImage {
  std::vector<std::string> args;
  std::vector<char*> argv;
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  std::string attempt_next;  // kAttemptEnv=<current + 1>, for the watchdog
};

ReexecImage& image() {
  static ReexecImage img;
  return img;
}

void build_env(ReexecImage& img, unsigned attempt) {
  img.env_strings.clear();
  const std::string key = std::string(kAttemptEnv) + "=";
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, key.c_str(), key.size()) != 0) img.env_strings.emplace_back(*e);
  img.env_strings.push_back(key + std::to_string(attempt));
  img.envp.clear();
  for (auto& s : img.env_strings) img.envp.push_back(s.data());
  img.envp.push_back(nullptr);
}

// DPDK opens its fbarray and hugepage files without O_CLOEXEC, and a secondary holds shared
// locks on them: carried across execve they would keep a restarting primary from initialising
// its memzones ("Cannot init memzone"). Everything but stdin/stdout/stderr goes.
// Async-signal-safe (one system call).
void close_inherited_fds() {
  if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0) return;
  for (int fd = 3; fd < 65536; ++fd) close(fd);
}

void on_watchdog(int) {
  static const char msg[] = "l2tpgw-controlplane: the EAL did not finish attaching; starting over\n";
  [[maybe_unused]] ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  ReexecImage& img = image();
  close_inherited_fds();
  execve("/proc/self/exe", img.argv.data(), img.envp.data());
  _exit(1);
}

}  // namespace

unsigned current_attempt() {
  const char* v = std::getenv(kAttemptEnv);
  return v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : 0;
}

bool reexecuted() { return std::getenv(kAttemptEnv) != nullptr; }

void set_reexec_argv(const std::vector<std::string>& argv) {
  ReexecImage& img = image();
  img.args = argv;
  img.argv.clear();
  for (auto& a : img.args) img.argv.push_back(a.data());
  img.argv.push_back(nullptr);
}

void reexec(unsigned attempt) {
  ReexecImage& img = image();
  build_env(img, attempt);
  std::fflush(nullptr);
  close_inherited_fds();
  execve("/proc/self/exe", img.argv.data(), img.envp.data());
}

bool eal_attach(const std::vector<std::string>& args, unsigned watchdog_s, std::string* error) {
  std::vector<std::string> copy = args;  // rte_eal_init may permute argv
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  build_env(image(), current_attempt() + 1);
  struct sigaction sa{};
  sa.sa_handler = on_watchdog;
  sigemptyset(&sa.sa_mask);
  struct sigaction old{};
  sigaction(SIGALRM, &sa, &old);
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_UNBLOCK, &alrm, nullptr);
  alarm(watchdog_s);
  const int rc = rte_eal_init(static_cast<int>(copy.size()), argv.data());
  alarm(0);
  sigaction(SIGALRM, &old, nullptr);
  if (rc < 0) {
    *error = std::string("rte_eal_init (secondary) failed: ") + rte_strerror(rte_errno);
    return false;
  }
  return true;
}

}  // namespace l2tpgw::cp
