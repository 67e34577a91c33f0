// SPDX-License-Identifier: Apache-2.0
// The controlplane process body (see daemon.hpp and attach.hpp).
//
// How the punt ring is drained: a timer on the loop polls it every 1 ms while control
// packets arrive and every 10 ms after 100 ms without any (--punt-poll-us/--punt-idle-poll-us),
// instead of an eventfd the dataplane would kick. A kick is a write() syscall, which the
// worker loop must never make (STYLE.md rule 4), and an eventfd shared by two unrelated
// processes needs fd passing over a socket and a reconnection protocol for every restart of
// either side. Punted traffic is control traffic whose own timers are in seconds (L2TP
// retransmits, IKE, LCP echo), so up to 1 ms (10 ms after a quiet spell) of added latency
// costs nothing, and the cost of polling is a few hundred wakeups a second on one thread,
// never a spinning core.
#include "controlplane/daemon/daemon.hpp"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <random>

#include "common/tables/shared_tables.hpp"
#include "controlplane/cli/server.hpp"
#include "controlplane/cli/show.hpp"
#include "controlplane/daemon/attach.hpp"
#include "controlplane/install/shm_installer.hpp"
#include "controlplane/log/log.hpp"
#include "controlplane/loop/event_loop.hpp"
#include "controlplane/punt/event_channel.hpp"
#include "controlplane/punt/injector.hpp"

namespace l2tpgw::cp {

Duration next_backoff(Duration current, Duration min, Duration max) {
  if (current < min) return min;
  return std::min(current * 2, max);
}

Duration punt_poll_delay(TimePoint now, TimePoint last_packet, Duration busy, Duration idle) {
  return now - last_packet < std::chrono::milliseconds(100) ? busy : idle;
}

std::vector<std::string> teardown_log_lines(const TeardownResult& r) {
  std::vector<std::string> lines;
  for (const auto& [tid, sid] : r.sessions)
    lines.push_back("[L2TP] TUNNEL[" + std::to_string(tid) + "] disconnect session " + std::to_string(sid) + " complete");
  for (uint16_t tid : r.tunnels)
    lines.push_back("[L2TP] TUNNEL[" + std::to_string(tid) + "] disconnect tunnel " + std::to_string(tid) + " complete");
  return lines;
}

namespace {

using namespace std::chrono_literals;

constexpr size_t kPuntBudget = 256;          // packets per poll, so the loop stays responsive
constexpr size_t kEventBudget = 256;
constexpr unsigned kEalWatchdogSeconds = 180;  // a loaded box answers mp requests slowly
constexpr Duration kReadyPoll = 100ms;       // waiting for the tables and rings after the EAL
constexpr Duration kReadyDeadline = 60s;     // ... before starting over
constexpr Duration kWaitLogEvery = 30s;

// Logs what the dataplane reports and hands it to IKE (DaemonHooks::on_sa_expire).
class LoggingListener final : public InstallerListener {
 public:
  explicit LoggingListener(const DaemonHooks& hooks) : hooks_(hooks) {}
  void expire(uint32_t slot, uint32_t spi, ExpireReason why) override {
    logf(why == ExpireReason::SeqExhausted ? LogLevel::Warning : LogLevel::Info,
         "[IPSEC] SA[%u] SPI 0x%08x: %s (RFC 4303 §3.3.3 sequence numbers); rekeying", slot, spi,
         to_string(why));
    if (hooks_.on_sa_expire) hooks_.on_sa_expire(slot);
  }

 private:
  const DaemonHooks& hooks_;
};

class Daemon {
 public:
  Daemon(const DaemonOptions& opt, DaemonHooks hooks)
      : opt_(opt), hooks_(std::move(hooks)), cli_(loop_, [this](std::string_view l) { return run_command(env_, l); }) {}

  int run();

 private:
  enum class Phase : uint8_t { Waiting, Attaching, Attached };

  bool start_signals();
  void on_signal();
  void attach_step();
  void ready_step();
  void finish_attach();
  void detach_hooks();
  void punt_tick();
  void watch_tick();
  // Re-executes the process after `delay` (the loop keeps serving signals and the CLI
  // meanwhile). The caller returns right after.
  void start_over(const std::string& why, unsigned attempt, Duration delay);
  CounterSnapshot counters() const;
  void set_waiting(const std::string& why);

  DaemonOptions opt_;
  DaemonHooks hooks_;
  EventLoop loop_;
  CliEnv env_;
  CliServer cli_;
  int sigfd_ = -1;
  int exit_status_ = 0;

  Phase phase_ = Phase::Waiting;
  Duration backoff_{};
  std::string last_wait_reason_;
  TimePoint last_wait_log_{};
  TimerSlot attach_timer_, punt_timer_, watch_timer_;
  TimePoint attaching_since_{};

  // Attached state.
  InstanceLock lock_;
  pid_t dataplane_pid_ = 0;
  tables::SharedTables tables_;
  rte_ring* punt_ring_ = nullptr;
  rte_ring* event_ring_ = nullptr;
  rte_mempool* pool_ = nullptr;
  std::array<rte_ring*, tables::kMaxWorkers> inject_rings_{};
  std::unique_ptr<ShmInstaller> installer_;
  std::unique_ptr<PuntChannel> punt_;
  std::unique_ptr<Injector> injector_;
  LoggingListener listener_{hooks_};
  std::unique_ptr<EventChannel> events_;
  std::optional<DaemonServices> services_;
  TimePoint last_punt_{};
  tables::LinkState lan_link_ = tables::LinkState::Unknown;  // as last told to on_lan_link
};

bool Daemon::start_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  // Blocked before the EAL starts its threads, which inherit the mask: the loop's signalfd is
  // the only place these arrive.
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return false;
  signal(SIGPIPE, SIG_IGN);
  sigfd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd_ < 0) return false;
  return loop_.add_fd(sigfd_, EPOLLIN, [this](uint32_t) { on_signal(); });
}

void Daemon::on_signal() {
  signalfd_siginfo si;
  while (read(sigfd_, &si, sizeof(si)) == sizeof(si)) {
    if (si.ssi_signo == SIGHUP) {
      if (hooks_.config.load && !hooks_.config.path.empty()) {
        const Reply r = hooks_.config.load(hooks_.config.path);
        logf(r.status == ReplyStatus::Ok ? LogLevel::Info : LogLevel::Error, "[CP] SIGHUP: load config %s: %s",
             hooks_.config.path.c_str(), r.text.c_str());
      } else {
        log_line(LogLevel::Notice, "[CP] SIGHUP: load config is not yet available in this build");
      }
      continue;
    }
    logf(LogLevel::Info, "[CP] %s received: stopping", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    loop_.stop();
  }
}

void Daemon::set_waiting(const std::string& why) {
  env_.installer = nullptr;
  env_.not_attached = why;
}

void Daemon::start_over(const std::string& why, unsigned attempt, Duration delay) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
  logf(LogLevel::Warning, "[CP] %s; starting over in %lld ms (a DPDK secondary cannot attach twice in one process)",
       why.c_str(), static_cast<long long>(ms));
  punt_timer_.cancel(loop_);
  watch_timer_.cancel(loop_);
  detach_hooks();
  phase_ = Phase::Waiting;  // nothing to detach from cleanly: the next image attaches afresh
  set_waiting(why + "; starting over");
  attach_timer_.arm(loop_, delay, [this, attempt] {
    cli_.stop();
    lock_.release();
    reexec(attempt);
    logf(LogLevel::Error, "[CP] cannot re-execute myself: %s", std::strerror(errno));
    exit_status_ = 1;
    loop_.stop();
  });
}

void Daemon::attach_step() {
  const DataplaneProbe p = probe_dataplane(opt_.file_prefix);
  if (p.state != DataplaneProbe::State::Running) {
    const std::string why = "waiting for the dataplane (" + p.detail + "; is l2tpgw-dataplane running" +
                            (opt_.file_prefix.empty() ? std::string() : " with --file-prefix " + opt_.file_prefix) + "?)";
    backoff_ = next_backoff(backoff_, opt_.retry_min, opt_.retry_max);
    const TimePoint now = EventLoop::now();
    if (why != last_wait_reason_ || now - last_wait_log_ >= kWaitLogEvery) {
      logf(LogLevel::Warning, "[CP] %s; retrying every %lld ms at most", why.c_str(),
           static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(opt_.retry_max).count()));
      last_wait_reason_ = why;
      last_wait_log_ = now;
    }
    set_waiting(why);
    attach_timer_.arm(loop_, backoff_, [this] { attach_step(); });
    return;
  }
  std::string err;
  if (!lock_.acquire(instance_lock_path(opt_.file_prefix), &err)) {
    // Two writers would corrupt the tables: wait (this one becomes a standby) until the lock
    // is free, which the kernel guarantees once its holder exits, however it exits.
    backoff_ = next_backoff(backoff_, opt_.retry_min, opt_.retry_max);
    if (err != last_wait_reason_ || EventLoop::now() - last_wait_log_ >= kWaitLogEvery) {
      logf(LogLevel::Warning, "[CP] %s; waiting for it to go", err.c_str());
      last_wait_reason_ = err;
      last_wait_log_ = EventLoop::now();
    }
    set_waiting(err);
    attach_timer_.arm(loop_, backoff_, [this] { attach_step(); });
    return;
  }
  dataplane_pid_ = p.pid;
  logf(LogLevel::Info, "[CP] found %s; attaching", p.detail.c_str());
  phase_ = Phase::Attaching;
  set_waiting("attaching to " + p.detail);
  const auto args = eal_secondary_args(opt_.argv.empty() ? "l2tpgw-controlplane" : opt_.argv[0],
                                       opt_.file_prefix, opt_.eal_lcore);
  if (!eal_attach(args, kEalWatchdogSeconds, &err)) {
    const unsigned attempt = current_attempt() + 1;
    Duration delay = opt_.retry_min;
    for (unsigned i = 1; i < attempt && delay < opt_.retry_max; ++i) delay = next_backoff(delay, opt_.retry_min, opt_.retry_max);
    start_over("cannot attach to " + p.detail + ": " + err, attempt, delay);
    return;
  }
  attaching_since_ = EventLoop::now();
  ready_step();
}

void Daemon::ready_step() {
  // The EAL is attached; the tables and rings appear as the dataplane finishes its start.
  const DataplaneProbe p = probe_dataplane(opt_.file_prefix);
  if (p.state != DataplaneProbe::State::Running || p.pid != dataplane_pid_) {
    start_over("the dataplane (pid " + std::to_string(dataplane_pid_) + ") went away while we attached", 0, Duration::zero());
    return;
  }
  std::string err;
  std::string missing;
  if (!tables::SharedTables::attach(tables_, &err)) {
    if (err.find("layout version") != std::string::npos) {
      logf(LogLevel::Error, "[CP] %s", err.c_str());
      exit_status_ = 1;
      loop_.stop();
      return;
    }
    missing = err;
  } else if (tables_.header().dataplane_ready.load(std::memory_order_acquire) != 1) {
    missing = "the dataplane is still starting";
  } else {
    punt_ring_ = rte_ring_lookup(tables::kPuntRingName);
    event_ring_ = rte_ring_lookup(tables::kEventRingName);
    pool_ = rte_mempool_lookup(tables::kMbufPoolName);
    if (!punt_ring_ || !event_ring_ || !pool_) missing = "the punt/event rings or the mbuf pool are missing";
    for (uint32_t w = 0; missing.empty() && w < tables_.n_workers(); ++w) {
      inject_rings_[w] = rte_ring_lookup((tables::kInjectRingPrefix + std::to_string(w)).c_str());
      if (!inject_rings_[w]) missing = "inject ring of worker " + std::to_string(w) + " is missing";
    }
  }
  if (missing.empty()) {
    finish_attach();
    return;
  }
  if (EventLoop::now() - attaching_since_ > kReadyDeadline) {
    start_over("the dataplane did not become ready: " + missing, current_attempt() + 1, opt_.retry_max);
    return;
  }
  set_waiting("attaching: " + missing);
  attach_timer_.arm(loop_, kReadyPoll, [this] { ready_step(); });
}

void Daemon::finish_attach() {
  tables::ShmHeader& h = tables_.header();
  std::random_device rd;
  const uint64_t seed = (uint64_t{rd()} << 32) | rd();
  // Rebuilds the free lists from what is published: after a restart, everything the previous
  // controlplane installed is known again (and keeps forwarding; nothing is rewritten).
  installer_ = std::make_unique<ShmInstaller>(tables_, seed);
  punt_ = std::make_unique<PuntChannel>(punt_ring_);
  punt_->set_handlers(hooks_.punt);
  injector_ = std::make_unique<Injector>(pool_, inject_rings_, tables_);
  events_ = std::make_unique<EventChannel>(event_ring_, tables_, listener_);
  const pid_t previous = static_cast<pid_t>(h.controlplane_pid.exchange(static_cast<uint32_t>(getpid())));
  phase_ = Phase::Attached;
  env_.installer = installer_.get();
  env_.not_attached.clear();
  env_.wan_addr = h.wan_addr;
  env_.lan_addr = h.lan_addr;
  const auto sas = installer_->sas();
  const auto tunnels = installer_->tunnels();
  const auto sessions = installer_->sessions();
  logf(LogLevel::Info, "[CP] attached to l2tpgw-dataplane pid %d (%u worker%s, %u sessions max): %zu SAs, %zu tunnels, %zu sessions installed%s",
       static_cast<int>(dataplane_pid_), tables_.n_workers(), tables_.n_workers() == 1 ? "" : "s",
       h.max_sessions, sas.size(), tunnels.size(), sessions.size(),
       previous && previous != getpid() ? (" (taking over from controlplane pid " + std::to_string(previous) + ")").c_str() : "");
  for (const InstalledSession& s : sessions)
    logf(LogLevel::Info, "[CP] installed: TUNNEL[%u] session %u client %s", s.tunnel_id, s.id, format_ipv4(s.client_addr).c_str());
  if (hooks_.on_attach) {
    services_.emplace(DaemonServices{loop_, *installer_, *injector_, h.wan_addr});
    hooks_.on_attach(*services_);
  }
  last_punt_ = EventLoop::now();
  lan_link_ = tables::LinkState::Unknown;  // the hooks hear the link afresh
  punt_tick();
  watch_tick();
}

void Daemon::detach_hooks() {
  if (services_ && hooks_.on_detach) hooks_.on_detach();
  services_.reset();
}

void Daemon::punt_tick() {
  const size_t n = punt_->drain(kPuntBudget);
  events_->drain(kEventBudget);
  const TimePoint now = EventLoop::now();
  if (n) last_punt_ = now;
  punt_timer_.arm(loop_, punt_poll_delay(now, last_punt_, opt_.punt_poll, opt_.punt_idle_poll), [this] { punt_tick(); });
}

void Daemon::watch_tick() {
  const DataplaneProbe p = probe_dataplane(opt_.file_prefix);
  if (p.state != DataplaneProbe::State::Running || p.pid != dataplane_pid_) {
    const std::string why = "the dataplane (pid " + std::to_string(dataplane_pid_) + ") exited" +
                            (p.state == DataplaneProbe::State::Running ? "; another one (pid " + std::to_string(p.pid) + ") runs now" : "");
    start_over(why + "; waiting for it to come back", 0, Duration::zero());
    return;
  }
  installer_->reclaim();
  const auto lan = static_cast<tables::LinkState>(tables_.header().lan_link.load(std::memory_order_acquire));
  if (lan != lan_link_ && lan != tables::LinkState::Unknown) {
    if (lan_link_ != tables::LinkState::Unknown || lan == tables::LinkState::Down)
      logf(LogLevel::Notice, "[CP] lan1 link %s", lan == tables::LinkState::Up ? "up" : "down");
    lan_link_ = lan;
    if (hooks_.on_lan_link) hooks_.on_lan_link(lan == tables::LinkState::Up);
  }
  watch_timer_.arm(loop_, opt_.watch_interval, [this] { watch_tick(); });
}

CounterSnapshot Daemon::counters() const {
  CounterSnapshot c;
  c.workers = tables_.n_workers();
  // Workers 0..n-1 and the slowpath (n), as l2tpgw-stats sums them.
  for (uint32_t w = 0; w <= tables_.n_workers() && w < tables::kMaxWorkers; ++w) {
    const tables::WorkerStats& s = tables_.worker_stats(w);
    for (size_t i = 0; i < kCounterCount; ++i) c.counters[i] += s.counters[i];
    for (size_t i = 0; i < kDropReasonCount; ++i) c.drops[i] += s.drops[i];
  }
  uint16_t port;
  RTE_ETH_FOREACH_DEV(port) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(port, &st) != 0) continue;
    PortFigures f;
    f.port_id = port;
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    f.role = rte_eth_dev_get_name_by_port(port, name) == 0 ? name : "port";
    f.ipackets = st.ipackets;
    f.ibytes = st.ibytes;
    f.opackets = st.opackets;
    f.obytes = st.obytes;
    f.imissed = st.imissed;
    f.ierrors = st.ierrors;
    f.oerrors = st.oerrors;
    f.rx_nombuf = st.rx_nombuf;
    c.ports.push_back(f);
  }
  if (punt_) c.punt = punt_->counters();
  if (injector_) c.inject = injector_->counters();
  if (events_) c.events = events_->counters().total();
  return c;
}

int Daemon::run() {
  log_init(opt_.log_sink, "l2tpgw-controlplane", opt_.log_level);
  set_reexec_argv(opt_.argv);
  if (!start_signals()) {
    logf(LogLevel::Error, "[CP] cannot set up signal handling: %s", std::strerror(errno));
    return 1;
  }
  env_.config = hooks_.config;
  if (env_.config.path.empty()) env_.config.path = opt_.config_path;
  hooks_.config.path = env_.config.path;
  env_.counters = [this] { return counters(); };
  env_.annotate = hooks_.annotate_show;
  env_.annotate_counters = hooks_.annotate_counters;
  env_.on_teardown = [](const TeardownResult& r) {
    for (const std::string& line : teardown_log_lines(r)) log_line(LogLevel::Info, line);
  };
  std::string err;
  if (!cli_.start(opt_.socket_path, &err)) {
    logf(LogLevel::Error, "[CP] CLI socket: %s", err.c_str());
    return 1;
  }
  const unsigned attempt = current_attempt();
  const std::string again = !reexecuted() ? std::string()
                            : attempt   ? " again (attach attempt " + std::to_string(attempt + 1) + ")"
                                        : std::string(" again");
  logf(LogLevel::Info, "[CP] l2tpgw-controlplane pid %d started%s; CLI on %s", static_cast<int>(getpid()),
       again.c_str(), opt_.socket_path.c_str());
  if (!opt_.config_path.empty())
    logf(LogLevel::Info, "[CP] configuration file %s", opt_.config_path.c_str());
  set_waiting("looking for the dataplane");
  attach_step();
  loop_.run();

  cli_.stop();
  detach_hooks();
  if (phase_ == Phase::Attached) {
    uint32_t me = static_cast<uint32_t>(getpid());
    // Only if it is still ours: a successor may have taken over already.
    tables_.header().controlplane_pid.compare_exchange_strong(me, 0);
    logf(LogLevel::Info, "[CP] detached from the dataplane; %zu SAs, %zu tunnels, %zu sessions stay installed",
         installer_->sas().size(), installer_->tunnels().size(), installer_->sessions().size());
    installer_.reset();
    rte_eal_cleanup();
  }
  return exit_status_;
}

}  // namespace

int run_daemon(const DaemonOptions& opt, DaemonHooks hooks) {
  Daemon d(opt, std::move(hooks));
  return d.run();
}

}  // namespace l2tpgw::cp
