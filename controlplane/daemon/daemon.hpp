// SPDX-License-Identifier: Apache-2.0
// The controlplane process body: one event loop that waits for the dataplane, attaches to it
// as a DPDK secondary, drains the punt and event rings, and serves the operator CLI.
#pragma once

#include <string>

#include "controlplane/cli/commands.hpp"
#include "controlplane/daemon/options.hpp"
#include "controlplane/install/teardown.hpp"
#include "controlplane/install/installer.hpp"
#include "controlplane/loop/event_loop.hpp"
#include "controlplane/loop/timer_queue.hpp"
#include "controlplane/punt/injector.hpp"
#include "controlplane/punt/punt_channel.hpp"

namespace l2tpgw::cp {

// Runs the controlplane until SIGINT/SIGTERM. Returns the process exit status. Re-executes
// the process (see attach.hpp) when the dataplane goes away or the EAL cannot attach.
// `hooks` plugs in the punt handlers of the protocol machines and the configuration commands
// (empty members: punts are counted and freed, `show/load config` answer "not yet available").
// What the protocol machines get once the controlplane is attached: the loop they live on,
// the seam to install into, and the way out for packets. Valid until on_detach.
struct DaemonServices {
  EventLoop& loop;
  Installer& installer;
  Injector& injector;
  uint32_t wan_addr = 0;  // host order: the dataplane's own WAN address (ShmHeader::wan_addr)
};

struct DaemonHooks {
  PuntHandlers punt;
  ConfigHooks config;
  std::function<void(DaemonServices&)> on_attach;  // after the tables are rebuilt
  std::function<void()> on_detach;                 // before the process stops or starts over
  std::function<void(ShowSnapshot&)> annotate_show;  // CliEnv::annotate
  std::function<void(CounterSnapshot&)> annotate_counters;  // CliEnv::annotate_counters
  // The dataplane says an outbound SA is running out of sequence numbers (SoftLifetime) or
  // has (SeqExhausted): IKE rekeys its pair. Logged either way.
  std::function<void(uint32_t sa_slot)> on_sa_expire;
  // The LAN port's link as the dataplane reads it: once after each attach, then on every
  // change (the circuit of bridged pseudowires, RFC 3931 §5.4.5).
  std::function<void(bool up)> on_lan_link;
};
int run_daemon(const DaemonOptions& opt, DaemonHooks hooks = {});

// --- pieces of the daemon's policy, exposed for tests

// The wait before the next attach attempt: doubles from `min` up to `max`.
Duration next_backoff(Duration current, Duration min, Duration max);

// The punt ring poll interval: `busy` while packets arrived within the last 100 ms, `idle`
// after that (a timer tick instead of an eventfd: see daemon.cpp).
Duration punt_poll_delay(TimePoint now, TimePoint last_packet, Duration busy, Duration idle);

// The seed's SYSLOG wording for what a teardown removed ("[L2TP] TUNNEL[1] disconnect session
// 16892 complete", "[L2TP] TUNNEL[1] disconnect tunnel 32882 complete").
std::vector<std::string> teardown_log_lines(const TeardownResult& r);

}  // namespace l2tpgw::cp
