// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/v3/status.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "common/ipv4_text.hpp"

namespace l2tpgw::cp::l2tp::v3 {

namespace {

[[gnu::format(printf, 2, 3)]] void appendf(std::string& out, const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

// Seed 001 prints "0 packet [0 octet]", seed 000 "31 packets [2450 octets]".
const char* plural(uint64_t n) { return n > 1 ? "s" : ""; }

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

unsigned long long ull(uint64_t v) { return v; }

}  // namespace

std::string format_tunnel_status(const LcceTunnelStatus& t) {
  std::string out;
  appendf(out, "TUNNEL[%u]:\n", t.interface);
  appendf(out, "Tunnel State: %s\n", t.state.c_str());
  out += "Version: L2TPv3\n";
  appendf(out, "Local Tunnel ID: %u\n", t.ccid);
  appendf(out, "Remote Tunnel ID: %u\n", t.peer_ccid);
  appendf(out, "Local IP Address: %s\n", format_ipv4(t.local_addr).c_str());
  appendf(out, "Remote IP Address: %s\n", format_ipv4(t.peer.addr).c_str());
  appendf(out, "Local Src port: %u\n", t.local_port);
  appendf(out, "Remote Src port: %u\n", t.peer.port);
  appendf(out, "Vendor: %s\n", or_dash(t.peer_vendor).c_str());
  appendf(out, "Hostname: %s\n", or_dash(t.peer_hostname).c_str());
  appendf(out, "Next Transmit sequence(Ns): %u\n", t.ns);
  appendf(out, "Next Receive sequence(Nr) : %u\n", t.nr);
  appendf(out, "Tunnel has %zu session%s.\n", t.sessions.size(), t.sessions.size() == 1 ? "" : "s");
  for (const LcceTunnelStatus::Session& s : t.sessions) {
    out += "Session Information\n";
    appendf(out, "Session State: %s\n", s.state.c_str());
    appendf(out, "Local Session ID: %u\n", s.session_id);
    appendf(out, "Remote Session ID: %u\n", s.peer_session_id);
    appendf(out, "Circuit Status local:%s peer:%s\n", s.local_up ? "UP" : "DOWN",
            s.peer_up ? "UP" : "DOWN");
    appendf(out, "%ld seconds connection.\n", s.seconds);
    appendf(out, "Received: %llu packet%s [%llu octet%s]\n", ull(s.rx_packets), plural(s.rx_packets),
            ull(s.rx_octets), plural(s.rx_octets));
    appendf(out, "Transmitted: %llu packet%s [%llu octet%s]\n", ull(s.tx_packets),
            plural(s.tx_packets), ull(s.tx_octets), plural(s.tx_octets));
  }
  return out;
}

std::string show_status_l2tpv3(const std::vector<LcceTunnelStatus>& tunnels,
                               std::optional<uint16_t> tunnel) {
  size_t sessions = 0;
  for (const LcceTunnelStatus& t : tunnels) sessions += t.sessions.size();
  std::string out = "------------------- L2TP INFORMATION -------------------\n";
  out += "Number of control table using\n";
  appendf(out, "Tunnel Control: %zu, Session Control: %zu\n", tunnels.size(), sessions);
  for (const LcceTunnelStatus& t : tunnels)
    if (!tunnel || t.interface == *tunnel) out += format_tunnel_status(t);
  return out;
}

}  // namespace l2tpgw::cp::l2tp::v3
