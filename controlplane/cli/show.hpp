// SPDX-License-Identifier: Apache-2.0
// `show` renderers: what the dataplane holds, in the layouts RTX operators know (seed 000
// `show status l2tp`, `show status pp`; seed 001 `show ipsec sa`). Pure functions of a
// snapshot, so tests render them from a FakeInstaller.
//
// Fields the tables do not hold (L2TP Ns/Nr, the peer's vendor and host name, PPP options,
// ISAKMP SAs, SA lifetimes) come from the IKE, L2TP and PPP machines (the services' annotate
// hooks) and print as "-" where no machine knows them: what a previous controlplane process
// or l2tpgw-sessionctl installed. TUNNEL[N] is the `tunnel select N` the LNS bound (our L2TP
// tunnel id where it knows none), PP[NN] a numbered pp (`show status pp N`), ANONYMOUS[N] our
// L2TP session id, and the "sgw" and transport number of an SA IKE does not know its IPsec
// peering index.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/counters.hpp"
#include "common/ipv4_text.hpp"
#include "common/drop_reason.hpp"
#include "controlplane/install/installer.hpp"
#include "controlplane/l2tp/lns.hpp"
#include "controlplane/l2tp/v3/lcce.hpp"
#include "controlplane/punt/classify.hpp"
#include "controlplane/punt/injector.hpp"
#include "controlplane/punt/punt_channel.hpp"

namespace l2tpgw::cp {

struct ShowSnapshot {
  std::vector<InstalledSa> sas;
  std::vector<InstalledTunnel> tunnels;
  std::vector<InstalledSession> sessions;
  std::map<uint16_t, SessionUsage> session_usage;
  uint32_t wan_addr = 0, lan_addr = 0;  // the dataplane's own (host order)
  long now = 0;                         // Unix seconds
  // What the L2TP machines know (state, the peer's host and vendor, Ns/Nr, the TUNNEL[N]
  // interface); empty without an LNS, and after a restart for what the previous process
  // installed. Tunnels the LNS holds that are not installed yet are shown from it alone.
  std::vector<l2tp::L2tpTunnelStatus> l2tp;
  // The L2TPv3 LCCE's tunnels (seed 001's layout, after the L2TPv2 ones); empty without one.
  std::vector<l2tp::v3::LcceTunnelStatus> l2tpv3;
  // What PPP negotiated, by our session id (`show status pp`'s option lines and user).
  struct PpView {
    std::string lcp;       // "LCP Local: CHAP Magic-Number MRU, Remote: Magic-Number MRU"
    std::string ipcp;      // "IPCP Local: IP-Address, Remote: IP-Address Primary-DNS(...)"
    std::string ccp = "None";
    std::string username;
  };
  std::map<uint16_t, PpView> pp;
  // The numbered pp (`pp select N`, a fixed peer's) of our tunnels bound to one, by our tunnel
  // id; a session's is its tunnel's. Absent: `pp select anonymous`, or a tunnel a previous
  // process installed (its sessions show under anonymous: the pp is not in the tables).
  std::map<uint16_t, uint16_t> tunnel_pp;
  // What IKE negotiated (`show ipsec sa`): its established ISAKMP SAs and the IPsec SA pairs it
  // holds, with the seconds left of their lifetimes. Empty without IKE; SAs installed by a
  // previous process or by l2tpgw-sessionctl are not in it. No keys.
  struct IsakmpSaView {
    uint64_t serial = 0;      // IKE's handle, as IpsecSaView::isakmp_serial names it
    uint32_t gateway_id = 0;  // the `ipsec ike ... G` security gateway
    uint32_t peer_addr = 0;
    uint32_t life_left = 0;   // seconds
    std::string remote_id;    // the peer's phase-1 identity as text; "": its address
  };
  struct IpsecSaView {
    uint32_t slot_in = 0, slot_out = 0;  // InstalledSa::slot of each direction
    uint64_t isakmp_serial = 0;          // the ISAKMP SA that negotiated it (it may be gone)
    uint32_t gateway_id = 0;
    uint32_t transport_id = 0;           // `ipsec transport T` of the gateway; 0: none
    uint32_t peer_index = 0;
    uint32_t peer_addr = 0;
    uint32_t life_left = 0;              // seconds
    std::string remote_id;               // as IsakmpSaView::remote_id
    uint16_t natt_port = 0;              // NAT-T: the peer's port now (0: plain ESP)
  };
  std::vector<IsakmpSaView> isakmp;
  std::vector<IpsecSaView> ipsec;
};

ShowSnapshot take_snapshot(const Installer& inst, uint32_t wan_addr, uint32_t lan_addr, long now);

std::string show_status_tunnel(const ShowSnapshot& s, std::optional<uint16_t> tunnel);
std::string show_status_l2tp(const ShowSnapshot& s, std::optional<uint16_t> tunnel);
// `anonymous`: the sessions of `pp select anonymous` as PP[ANONYMOUSnn] (nothing when there is
// none); otherwise the sessions of `pp select pp` as PP[pp], or the line saying it has none.
std::string show_status_pp(const ShowSnapshot& s, bool anonymous, uint16_t pp);
std::string show_ipsec_sa(const ShowSnapshot& s);

struct PortFigures {
  uint16_t port_id = 0;
  std::string role;  // "WAN" / "LAN"
  uint64_t ipackets = 0, ibytes = 0, opackets = 0, obytes = 0;
  uint64_t imissed = 0, ierrors = 0, oerrors = 0, rx_nombuf = 0;
};

struct CounterSnapshot {
  uint32_t workers = 0;
  std::array<uint64_t, kCounterCount> counters{};    // summed over the workers and slowpath
  std::array<uint64_t, kDropReasonCount> drops{};
  std::vector<PortFigures> ports;                    // from the ports themselves (ethdev)
  PuntCounters punt;                                 // this controlplane's, since it started
  InjectCounters inject;
  uint64_t events = 0;
  // The protocol machines' named counters (IKE, L2TP, PPP), one titled section each.
  struct Section {
    std::string title;
    std::vector<std::pair<std::string, uint64_t>> values;
  };
  std::vector<Section> protocols;
};

std::string show_counters(const CounterSnapshot& c);

// "54秒", "3分54秒", "1時間3分54秒", "2日1時間3分54秒" (RTX 通信時間).
std::string format_duration_ja(long seconds);
using ::l2tpgw::format_ipv4;  // common/ipv4_text.hpp

}  // namespace l2tpgw::cp
