// SPDX-License-Identifier: Apache-2.0
// `show` renderers (layouts from the seeds, field by field).
#include "controlplane/cli/show.hpp"
#include "controlplane/l2tp/v3/status.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <set>

namespace l2tpgw::cp {
namespace {

[[gnu::format(printf, 2, 3)]] void appendf(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n > 0) out.append(buf, static_cast<size_t>(n) < sizeof(buf) ? n : sizeof(buf) - 1);
}

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

std::vector<const InstalledSession*> sessions_of(const ShowSnapshot& s, uint16_t tunnel_id) {
  std::vector<const InstalledSession*> out;
  for (const InstalledSession& x : s.sessions)
    if (x.tunnel_id == tunnel_id) out.push_back(&x);
  return out;
}

const InstalledSa* find_sa(const ShowSnapshot& s, uint32_t slot) {
  for (const InstalledSa& x : s.sas)
    if (x.slot == slot) return &x;
  return nullptr;
}

// IKE's view of the IPsec SA pair that carries tunnel `id` (by its outbound slot).
const ShowSnapshot::IpsecSaView* ipsec_of_tunnel(const ShowSnapshot& s, uint16_t id) {
  auto t = std::find_if(s.tunnels.begin(), s.tunnels.end(), [id](const InstalledTunnel& x) { return x.id == id; });
  if (t == s.tunnels.end() || !t->sa_out) return nullptr;
  auto v = std::find_if(s.ipsec.begin(), s.ipsec.end(),
                        [&](const ShowSnapshot::IpsecSaView& x) { return x.slot_out == t->sa_out; });
  return v == s.ipsec.end() ? nullptr : &*v;
}

// The inbound SA of a peering (the newest when a rekey pair is installed).
const InstalledSa* inbound_sa_of(const ShowSnapshot& s, uint32_t peer_index) {
  const InstalledSa* best = nullptr;
  for (const InstalledSa& x : s.sas)
    if (x.peer_index == peer_index && x.direction == tables::SaDirection::Inbound) best = &x;
  return best;
}

SessionUsage usage(const ShowSnapshot& s, uint16_t id) {
  auto it = s.session_usage.find(id);
  return it == s.session_usage.end() ? SessionUsage{} : it->second;
}

// Connection time of a session: "-" when its install time is not known.
std::string seconds_connected(const ShowSnapshot& s, const InstalledSession& x) {
  if (x.installed_at == 0) return "-";
  return std::to_string(std::max<long>(0, s.now - static_cast<long>(x.installed_at)));
}

std::string duration_connected_ja(const ShowSnapshot& s, const InstalledSession& x) {
  if (x.installed_at == 0) return "-";
  return format_duration_ja(std::max<long>(0, s.now - static_cast<long>(x.installed_at)));
}

uint32_t tunnel_local_addr(const ShowSnapshot& s, const InstalledTunnel& t) {
  if (t.local_addr) return t.local_addr;
  if (t.sa_out)
    if (const InstalledSa* sa = find_sa(s, t.sa_out)) return sa->local_addr;
  return s.wan_addr;
}

std::vector<const InstalledTunnel*> selected_tunnels(const ShowSnapshot& s, std::optional<uint16_t> id) {
  std::vector<const InstalledTunnel*> out;
  for (const InstalledTunnel& t : s.tunnels)
    if (!id || t.id == *id) out.push_back(&t);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

}  // namespace


std::string format_duration_ja(long seconds) {
  if (seconds < 0) seconds = 0;
  const long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, sec = seconds % 60;
  std::string out;
  if (d) out += std::to_string(d) + "日";
  if (d || h) out += std::to_string(h) + "時間";
  if (d || h || m) out += std::to_string(m) + "分";
  out += std::to_string(sec) + "秒";
  return out;
}

ShowSnapshot take_snapshot(const Installer& inst, uint32_t wan_addr, uint32_t lan_addr, long now) {
  ShowSnapshot s;
  s.sas = inst.sas();
  s.tunnels = inst.tunnels();
  s.sessions = inst.sessions();
  for (const InstalledSession& x : s.sessions)
    if (auto u = inst.query_session(x.id)) s.session_usage[x.id] = *u;
  s.wan_addr = wan_addr;
  s.lan_addr = lan_addr;
  s.now = now;
  return s;
}

// RTX `show status tunnel`: one block per tunnel interface, with what the tables know about
// its L2TP tunnel, IPsec SAs and sessions.
std::string show_status_tunnel(const ShowSnapshot& s, std::optional<uint16_t> tunnel) {
  const auto tunnels = selected_tunnels(s, tunnel);
  if (tunnels.empty()) return tunnel ? "" : "No tunnel is established.\n";
  std::string out;
  for (const InstalledTunnel* t : tunnels) {
    const auto sessions = sessions_of(s, t->id);
    SessionUsage sum;
    for (const InstalledSession* x : sessions) {
      const SessionUsage u = usage(s, x->id);
      sum.rx_packets += u.rx_packets;
      sum.rx_octets += u.rx_octets;
      sum.tx_packets += u.tx_packets;
      sum.tx_octets += u.tx_octets;
    }
    appendf(out, "TUNNEL[%u]:\n", t->id);
    appendf(out, "説明:\n");
    appendf(out, "  インタフェースの種類: %s\n", t->sa_out ? "L2TP/IPsec" : "L2TP");
    appendf(out, "  トンネルインタフェースは接続されています\n");
    if (!sessions.empty())
      appendf(out, "  通信時間: %s\n", duration_connected_ja(s, *sessions.front()).c_str());
    appendf(out, "  L2TP: local tunnel id %u, remote tunnel id %u, %s:%u -> %s:%u\n", t->id,
            t->peer_tunnel_id, format_ipv4(tunnel_local_addr(s, *t)).c_str(), t->local_port,
            format_ipv4(t->peer_addr).c_str(), t->peer_port);
    if (t->sa_out) {
      const InstalledSa* out_sa = find_sa(s, t->sa_out);
      const InstalledSa* in_sa = inbound_sa_of(s, t->peer_index);
      appendf(out, "  IPsec: peer %u, %s", t->peer_index,
              out_sa ? format(out_sa->cipher).data() : "-");
      if (out_sa && out_sa->auth != EspAuth::None) appendf(out, " %s", format(out_sa->auth).data());
      if (in_sa) appendf(out, ", SA %u recv SPI 0x%08x", in_sa->slot, in_sa->spi);
      if (out_sa) appendf(out, ", SA %u send SPI 0x%08x", out_sa->slot, out_sa->spi);
      if (out_sa && out_sa->natt) appendf(out, ", NAT-T %s:%u", format_ipv4(out_sa->peer_addr).c_str(), out_sa->peer_port);
      appendf(out, "\n");
    }
    appendf(out, "  worker: %u\n", t->owner_worker);
    for (const InstalledSession* x : sessions)
      appendf(out, "  session %u: client %s, remote session id %u, MTU %u, %s seconds\n", x->id,
              format_ipv4(x->client_addr).c_str(), x->peer_session_id, x->mtu,
              seconds_connected(s, *x).c_str());
    appendf(out, "  受信: (IPv4) %llu パケット [%llu オクテット]\n", ull(sum.rx_packets), ull(sum.rx_octets));
    appendf(out, "  送信: (IPv4) %llu パケット [%llu オクテット]\n", ull(sum.tx_packets), ull(sum.tx_octets));
    out += "\n";
  }
  return out;
}

namespace {

// `PP Bind:` of our tunnel `id`: PP[NN] for a numbered pp, else ANONYMOUS[n].
std::string pp_bind(const ShowSnapshot& s, uint16_t id, uint16_t n) {
  if (auto pp = s.tunnel_pp.find(id); pp != s.tunnel_pp.end()) {
    char b[16];
    std::snprintf(b, sizeof(b), "PP[%02u]", pp->second);
    return b;
  }
  return "ANONYMOUS[" + std::to_string(n) + "]";
}

}  // namespace

// Seed 000 `show status l2tp`, line by line. A tunnel is what the tables hold, completed by
// what the LNS knows of it; a tunnel the LNS is still negotiating is shown from the LNS.
std::string show_status_l2tp(const ShowSnapshot& s, std::optional<uint16_t> tunnel) {
  struct SessionRow {
    uint16_t id, peer_id;
    std::string state;
    const InstalledSession* installed;
  };
  struct Row {
    uint16_t number, id, peer_id;
    std::string state = "established", vendor = "-", hostname = "-", ns = "-", nr = "-", bind = "-";
    uint32_t local_addr, peer_addr;
    uint16_t local_port, peer_port;
    std::vector<SessionRow> sessions;
  };
  std::map<uint16_t, Row> rows;  // by our tunnel id
  for (const InstalledTunnel& t : s.tunnels) {
    Row r{t.id, t.id, t.peer_tunnel_id};
    r.local_addr = tunnel_local_addr(s, t);
    r.peer_addr = t.peer_addr;
    r.local_port = t.local_port;
    r.peer_port = t.peer_port;
    for (const InstalledSession* x : sessions_of(s, t.id))
      r.sessions.push_back({x->id, x->peer_session_id, "established", x});
    if (!r.sessions.empty()) r.bind = pp_bind(s, t.id, r.sessions.front().id);
    rows.emplace(t.id, std::move(r));
  }
  for (const l2tp::L2tpTunnelStatus& l : s.l2tp) {
    auto [it, fresh] = rows.try_emplace(l.tunnel_id, Row{l.interface, l.tunnel_id, l.peer_tunnel_id});
    Row& r = it->second;
    if (fresh) {
      r.local_addr = s.wan_addr;
      r.peer_addr = l.peer.addr;
      r.local_port = 1701;
      r.peer_port = l.peer.port;
    }
    r.number = l.interface;
    r.state = l.state;
    r.vendor = l.peer_vendor.empty() ? "-" : l.peer_vendor;
    r.hostname = l.peer_hostname.empty() ? "-" : l.peer_hostname;
    r.ns = std::to_string(l.ns);
    r.nr = std::to_string(l.nr);
    r.bind = pp_bind(s, l.tunnel_id, l.interface);
    for (const auto& ls : l.sessions) {
      auto known = std::find_if(r.sessions.begin(), r.sessions.end(),
                                [&](const SessionRow& x) { return x.id == ls.session_id; });
      if (known == r.sessions.end()) r.sessions.push_back({ls.session_id, ls.peer_session_id, ls.state, nullptr});
      else known->state = ls.state;
    }
  }
  size_t n_sessions = 0;
  for (const auto& [id, r] : rows) n_sessions += r.sessions.size();
  for (const l2tp::v3::LcceTunnelStatus& t : s.l2tpv3) n_sessions += t.sessions.size();
  std::string out = "------------------- L2TP INFORMATION -------------------\n";
  appendf(out, "Number of control table using Tunnel Control: %zu, Session Control: %zu\n",
          rows.size() + s.l2tpv3.size(), n_sessions);
  for (const auto& [id, r] : rows) {
    if (tunnel && r.number != *tunnel) continue;
    out += "\n";
    appendf(out, "TUNNEL[%u] Information\n", r.number);
    appendf(out, "Tunnel State: %s\n", r.state.c_str());
    out += "Version: L2TPv2\n";
    appendf(out, "Local Tunnel ID: %u\n", r.id);
    appendf(out, "Remote Tunnel ID: %u\n", r.peer_id);
    appendf(out, "Local IP Address: %s\n", format_ipv4(r.local_addr).c_str());
    appendf(out, "Remote IP Address: %s\n", format_ipv4(r.peer_addr).c_str());
    appendf(out, "Local Src port: %u\n", r.local_port);
    appendf(out, "Remote Src port: %u\n", r.peer_port);
    appendf(out, "PP Bind: %s\n", r.bind.c_str());
    appendf(out, "Vendor: %s\n", r.vendor.c_str());
    appendf(out, "Hostname: %s\n", r.hostname.c_str());
    appendf(out, "Next Transmit sequence(Ns): %s\n", r.ns.c_str());
    appendf(out, "Next Receive sequence(Nr): %s\n", r.nr.c_str());
    appendf(out, "Tunnel has %zu session%s.\n", r.sessions.size(), r.sessions.size() == 1 ? "" : "s");
    for (const SessionRow& x : r.sessions) {
      const SessionUsage u = x.installed ? usage(s, x.id) : SessionUsage{};
      out += "Session Information\n";
      appendf(out, "Session State: %s\n", x.state.c_str());
      appendf(out, "Local Session ID: %u\n", x.id);
      appendf(out, "Remote Session ID: %u\n", x.peer_id);
      appendf(out, "%s seconds connection.\n", x.installed ? seconds_connected(s, *x.installed).c_str() : "0");
      appendf(out, "Received: %llu packets [%llu octets]\n", ull(u.rx_packets), ull(u.rx_octets));
      appendf(out, "Transmitted: %llu packets [%llu octets]\n", ull(u.tx_packets), ull(u.tx_octets));
    }
  }
  // L2TPv3 tunnels as seed 001 prints them ("TUNNEL[1]:", "Version: L2TPv3", the circuit
  // status); numbered by their `tunnel select N`, as the L2TPv2 ones are.
  for (const l2tp::v3::LcceTunnelStatus& t : s.l2tpv3) {
    if (tunnel && t.interface != *tunnel) continue;
    out += "\n";
    out += l2tp::v3::format_tunnel_status(t);
  }
  return out;
}

// Seed 000 `show status pp 1`, line by line.
std::string show_status_pp(const ShowSnapshot& s, bool anonymous, uint16_t pp) {
  std::vector<const InstalledSession*> list;
  for (const InstalledSession& x : s.sessions) {
    auto numbered = s.tunnel_pp.find(x.tunnel_id);
    if (anonymous ? numbered == s.tunnel_pp.end() : numbered != s.tunnel_pp.end() && numbered->second == pp)
      list.push_back(&x);
  }
  std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::string out;
  if (!anonymous && list.empty()) appendf(out, "PP[%02u]: L2TPセッションは接続されていません\n", pp);
  for (const InstalledSession* x : list) {
    const SessionUsage u = usage(s, x->id);
    if (anonymous) appendf(out, "PP[ANONYMOUS%02u]: L2TPセッションは接続されています\n", x->id);
    else appendf(out, "PP[%02u]: L2TPセッションは接続されています\n", pp);
    out += "接続相手: \n";
    appendf(out, "通信時間: %s\n", duration_connected_ja(s, *x).c_str());
    appendf(out, "受信: %llu パケット [%llu オクテット]\n", ull(u.rx_packets), ull(u.rx_octets));
    appendf(out, "送信: %llu パケット [%llu オクテット]\n", ull(u.tx_packets), ull(u.tx_octets));
    // PPP's own view when this controlplane negotiated the session; "-" for one it found
    // installed after a restart.
    auto pp_it = s.pp.find(x->id);
    const ShowSnapshot::PpView* v = pp_it == s.pp.end() ? nullptr : &pp_it->second;
    out += "PPPオプション\n";
    out += "    " + (v ? v->lcp : std::string("LCP Local: -, Remote: -")) + "\n";
    out += "    " + (v ? v->ipcp : std::string("IPCP Local: -, Remote: -")) + "\n";
    appendf(out, "    PP IP Address Local: %s, Remote: %s\n", format_ipv4(s.lan_addr).c_str(),
            format_ipv4(x->client_addr).c_str());
    // Behind a NAT: where the client's IPsec SA sends now (the NAT's public address and the
    // port it mapped the client's 4500 to; it follows a changed mapping).
    if (const ShowSnapshot::IpsecSaView* v = ipsec_of_tunnel(s, x->tunnel_id); v && v->natt_port)
      appendf(out, "    IPsec NAT-T: %s:%u\n", format_ipv4(v->peer_addr).c_str(), v->natt_port);
    out += "    CCP: " + (v ? v->ccp : std::string("-")) + "\n";
    out += "受けとったUserId: " + (v && !v->username.empty() ? v->username : std::string("-")) + "\n";
  }
  return out;
}

// Seed 001 `show ipsec sa`: the IPsec SAs by number (each direction of a pair is one SA,
// numbered by its slot), then the ISAKMP SAs. The router numbers both kinds in one sequence,
// so ISAKMP SAs are numbered after the last IPsec SA and an IPsec SA's isakmp column names the
// row of the ISAKMP SA that negotiated it ("-" once that one is gone: IKEv1 IPsec SAs outlive
// it, RFC 2409 §5.7). An installed SA that IKE does not know shows "-" where only IKE could
// tell. Nothing at all is printed when no SA exists, as on the router.
std::string show_ipsec_sa(const ShowSnapshot& s) {
  struct Row {
    uint32_t sa, sgw;
    std::string isakmp, connection, dir, life;
    uint32_t remote;
    std::string remote_id;  // "": the address
  };
  auto transport = [](uint32_t id) {
    char conn[16];
    std::snprintf(conn, sizeof(conn), "tra[%04u]esp", id % 10000);
    return std::string(conn);
  };
  uint32_t last = 0;
  std::set<uint32_t> known;  // the slots of IKE's pairs
  for (const ShowSnapshot::IpsecSaView& v : s.ipsec) {
    known.insert({v.slot_in, v.slot_out});
    last = std::max({last, v.slot_in, v.slot_out});
  }
  for (const InstalledSa& x : s.sas) last = std::max(last, x.slot);
  std::map<uint64_t, uint32_t> isakmp_number;  // by IKE's serial
  for (const ShowSnapshot::IsakmpSaView& v : s.isakmp) isakmp_number.emplace(v.serial, ++last);

  std::vector<Row> rows;
  for (const ShowSnapshot::IpsecSaView& v : s.ipsec) {
    auto it = isakmp_number.find(v.isakmp_serial);
    const std::string isakmp = it == isakmp_number.end() ? "-" : std::to_string(it->second);
    const std::string conn = transport(v.transport_id ? v.transport_id : v.peer_index);
    const std::string life = std::to_string(v.life_left);
    rows.push_back({v.slot_out, v.gateway_id, isakmp, conn, "send", life, v.peer_addr, v.remote_id});
    rows.push_back({v.slot_in, v.gateway_id, isakmp, conn, "recv", life, v.peer_addr, v.remote_id});
  }
  for (const InstalledSa& x : s.sas) {
    if (known.contains(x.slot)) continue;
    rows.push_back({x.slot, x.peer_index, "-", transport(x.peer_index),
                    x.direction == tables::SaDirection::Outbound ? "send" : "recv", "-", x.peer_addr, ""});
  }
  if (rows.empty() && s.isakmp.empty()) return "";
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.sa < b.sa; });
  size_t send = 0;
  for (const Row& r : rows) send += r.dir == "send";
  const size_t recv = rows.size() - send;
  for (const ShowSnapshot::IsakmpSaView& v : s.isakmp)
    rows.push_back({isakmp_number.at(v.serial), v.gateway_id, "-", "isakmp", "-",
                    std::to_string(v.life_left), v.peer_addr, v.remote_id});
  std::string out;
  appendf(out, "Total: isakmp:%zu send:%zu recv:%zu\n\n", s.isakmp.size(), send, recv);
  out += "sa   sgw isakmp connection   dir  life[s] remote-id\n";
  out += "-----------------------------------------------------------------------------\n";
  for (const Row& r : rows)
    appendf(out, "%-5u %-3u %-6s %-12s %-4s %-7s %s\n", r.sa, r.sgw, r.isakmp.c_str(),
            r.connection.c_str(), r.dir.c_str(), r.life.c_str(),
            r.remote_id.empty() ? format_ipv4(r.remote).c_str() : r.remote_id.c_str());
  return out;
}

std::string show_counters(const CounterSnapshot& c) {
  std::string out;
  appendf(out, "Dataplane counters (%u worker%s and the slowpath)\n", c.workers, c.workers == 1 ? "" : "s");
  for (size_t i = 0; i < kCounterCount; ++i)
    appendf(out, "  %-26s %llu\n", std::string(to_string(static_cast<Counter>(i))).c_str(), ull(c.counters[i]));
  out += "Drops\n";
  for (size_t i = 1; i < kDropReasonCount; ++i)
    appendf(out, "  %-26s %llu\n", std::string(to_string(static_cast<DropReason>(i))).c_str(), ull(c.drops[i]));
  out += "Ports\n";
  for (const PortFigures& p : c.ports) {
    appendf(out, "  %s (port %u): rx %llu packets [%llu octets], tx %llu packets [%llu octets]\n",
            p.role.c_str(), p.port_id, ull(p.ipackets), ull(p.ibytes), ull(p.opackets), ull(p.obytes));
    appendf(out, "  %s (port %u): rx missed %llu, rx errors %llu, tx errors %llu, rx no mbuf %llu\n",
            p.role.c_str(), p.port_id, ull(p.imissed), ull(p.ierrors), ull(p.oerrors), ull(p.rx_nombuf));
  }
  if (c.ports.empty()) out += "  (the ports' own figures are not readable from this process)\n";
  out += "Punted to the controlplane (since it started)\n";
  for (size_t i = 0; i < kPuntClassCount; ++i)
    appendf(out, "  %-26s %llu packets [%llu octets]\n", std::string(to_string(static_cast<PuntClass>(i))).c_str(),
            ull(c.punt.packets[i]), ull(c.punt.octets[i]));
  appendf(out, "  %-26s %llu\n", "handled", ull(c.punt.handled));
  appendf(out, "  %-26s %llu\n", "unhandled", ull(c.punt.unhandled));
  out += "Injected by the controlplane (since it started)\n";
  appendf(out, "  %-26s %llu\n", "raw", ull(c.inject.raw));
  appendf(out, "  %-26s %llu\n", "esp", ull(c.inject.esp));
  appendf(out, "  %-26s %llu\n", "udp", ull(c.inject.udp));
  appendf(out, "  %-26s %llu\n", "failed",
          ull(c.inject.no_sa + c.inject.no_worker + c.inject.ring_full + c.inject.alloc_failed + c.inject.too_big));
  appendf(out, "Dataplane events received: %llu\n", ull(c.events));
  // Protocol counters: the ones that moved, then how many stayed at zero (a full list of
  // every IKE, L2TP and PPP failure name would bury what happened).
  for (const CounterSnapshot::Section& sec : c.protocols) {
    out += sec.title + "\n";
    size_t zero = 0;
    for (const auto& [name, v] : sec.values) {
      if (v == 0) {
        ++zero;
        continue;
      }
      appendf(out, "  %-26s %llu\n", name.c_str(), ull(v));
    }
    if (zero) appendf(out, "  (%zu other counters are 0)\n", zero);
  }
  return out;
}

}  // namespace l2tpgw::cp
