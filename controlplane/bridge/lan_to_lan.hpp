// SPDX-License-Identifier: Apache-2.0
// LanToLan: the L2TPv3 LCCE (controlplane/l2tp/v3) tied to the dataplane's pseudowire table
// (seed 001: `tunnel encapsulation l2tpv3-raw` + `bridge member bridge1 lan1 tunnel1`):
//   - the tunnels come from the loaded configuration (lcce_tunnel_configs); a reload adds,
//     replaces (when a setting changed) and removes them;
//   - our Local Session IDs are the dataplane's pseudowire ids (Installer::
//     reserve_pw_session_id), so a data message's Session ID is a direct index;
//   - an established session becomes a PseudowireRecord (cookies, the peer's Session ID, the
//     L2-Specific Sublayer each way, the peer's address, bridge1) and leaves with it;
//   - control messages leave in the clear (UDP 1701) for `l2tpv3-raw`. For `l2tpv3` they go
//     in transport-mode ESP through the newest IPsec SA pair IKE installed with the tunnel's
//     peer (ipsec_up: IKE initiates it for us, ike_service.hpp), and the pseudowire is bound
//     to that peering (its outbound SA, switched on a rekey; inbound only through its SAs).
//     Without a pair the tunnel stays in wait_ctl_reply, as an RTX's does when its IPsec
//     fails (seed 001), nothing of it is ever sent in the clear, and the reason is logged
//     once; the pair coming up sends the waiting SCCRQ at once (Lcce::path_up). The last
//     pair going down (the peer deleted its SAs, restarted or died) ends the control
//     connection and its pseudowire, and always-on waits for the next pair.
//
// After a controlplane restart (adopt_installed): the pseudowires the previous process
// installed keep forwarding meanwhile. Each one whose peer address is a configured tunnel's
// is adopted and replaced when that tunnel's new session comes up (the peer takes our new
// SCCRQ as a restart, §5.4.3, ends its old session and negotiates afresh), or removed when
// the tunnel leaves the configuration. One that matches no tunnel is left alone and logged:
// a static pseudowire from l2tpgw-sessionctl looks just the same. An `l2tpv3` pseudowire
// adopted this way forwards on the previous process's SAs, which no IKE SA of ours knows any
// more: they are removed with it when the new session replaces it.
//
// No DPDK: control datagrams leave through LanToLanLink, so tests run two of these back to
// back over FakeInstallers. Thread context: the controlplane loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "controlplane/config/model.hpp"
#include "controlplane/install/installer.hpp"
#include "controlplane/l2tp/v3/lcce.hpp"

namespace l2tpgw::cp::bridge {

// The way out for control messages.
class LanToLanLink {
 public:
  virtual ~LanToLanLink() = default;
  // A UDP datagram (header included) to send in the clear from `src` to `dst` (host order).
  // False: it did not leave.
  virtual bool send_udp(uint32_t src, uint32_t dst, std::vector<uint8_t> udp) = 0;
  // A UDP datagram (header included) to send in transport-mode ESP through outbound SA
  // `sa_slot`, to that SA's peer.
  virtual bool send_esp(uint32_t sa_slot, std::vector<uint8_t> udp) = 0;
};

// An IPsec SA pair IKE installed (ike::ChildSaEvent), as `l2tpv3` tunnels use it.
struct IpsecPair {
  uint64_t serial = 0;        // IKE's name for the pair
  uint32_t peer_index = 0;    // the IPsec peering (every pair of one peer shares it)
  uint32_t slot_in = 0, slot_out = 0;
  uint32_t peer_addr = 0;     // host order: the peer as IKE sees it
  bool natt = false;          // UDP-encapsulated (RFC 3948): a NAT is on the path
};

#define L2TPGW_LAN_TO_LAN_COUNTERS(X)                                                     \
  X(control_received) X(control_sent) X(send_failed) X(ipsec_unavailable)                \
  X(control_wrong_sa) X(ipsec_up) X(ipsec_down) X(ipsec_path_lost) X(pw_sa_switched)     \
  X(pw_sa_switch_failed) X(orphan_sas_removed)                                           \
  X(pw_installed) X(pw_removed) X(pw_install_failed) X(pw_not_bridged)                   \
  X(pw_adopted) X(pw_replaced) X(pw_session_id_exhausted)

struct LanToLanCounters {
#define X(n) uint64_t n = 0;
  L2TPGW_LAN_TO_LAN_COUNTERS(X)
#undef X
  template <class Fn>
  void for_each(Fn&& fn) const {
#define X(n) fn(#n, n);
    L2TPGW_LAN_TO_LAN_COUNTERS(X)
#undef X
  }
};

class LanToLan final : private l2tp::v3::LcceHooks {
 public:
  // `wan_addr` (host order): our outer source address, and the tunnel endpoint for a
  // `tunnel endpoint address` line without LOCAL.
  LanToLan(Installer& installer, LanToLanLink& link, uint32_t wan_addr,
           l2tp::v3::Lcce::Config cfg = {});
  ~LanToLan() override;
  LanToLan(const LanToLan&) = delete;
  LanToLan& operator=(const LanToLan&) = delete;

  // The running configuration, at start and after each `load config` / SIGHUP.
  void set_config(const config::Config& c, TimePoint now);
  // lan1's link (bridge1's LAN member): the circuit of every bridged tunnel follows it, in
  // its ICRQ/ICRP/ICCN and, once the session is up, in SLI (RFC 3931 §5.4.5, RFC 4719 §2.2).
  // Up until told otherwise.
  void set_lan_link(bool up, TimePoint now);
  // The pseudowires a previous controlplane left (see the file comment). Call after
  // set_config, once per attach.
  void adopt_installed(TimePoint now);

  // IKE installed (up) or removed (down) an SA pair. True when the pair's peer is an `l2tpv3`
  // tunnel's remote endpoint (the pair is this class's, not remote access's).
  bool ipsec_up(const IpsecPair& p, TimePoint now);
  bool ipsec_down(const IpsecPair& p, TimePoint now);

  // An L2TPv3 control message (the UDP payload; l2tp::v3::is_l2tpv3_control()).
  void on_control(std::span<const uint8_t> datagram, const l2tp::L2tpPeer& from, TimePoint now);
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // `show status l2tp`: the LCCE's tunnels, with the pseudowires' packet counts.
  std::vector<l2tp::v3::LcceTunnelStatus> status(TimePoint now) const;
  const l2tp::v3::LcceStats& lcce_stats() const { return lcce_->stats(); }
  const LanToLanCounters& counters() const { return counters_; }
  // Our Session ID of the pseudowire installed for TUNNEL[interface], if any.
  std::optional<uint32_t> installed(uint16_t interface) const;

 private:
  void send(uint16_t interface, const l2tp::L2tpPeer& to, std::vector<uint8_t> datagram) override;
  std::optional<uint32_t> reserve_session_id(uint16_t interface) override;
  void release_session_id(uint32_t id) override;
  void log_info(const std::string& line) override;
  void log_debug(const std::string& line) override;
  void session_up(const l2tp::v3::PseudowireSession& s) override;
  void session_down(const l2tp::v3::PseudowireSession& s) override;
  void remove_pseudowire(uint16_t interface);
  // The newest SA pair of TUNNEL[interface], if it is `l2tpv3` and has one.
  const IpsecPair* current_pair(uint16_t interface) const;
  void remove_orphan_sas(uint32_t peer_index);

  Installer& installer_;
  LanToLanLink& link_;
  uint32_t wan_addr_;
  std::unique_ptr<l2tp::v3::Lcce> lcce_;
  std::map<uint16_t, l2tp::v3::LcceTunnelConfig> tunnels_;  // by interface (TUNNEL[N])
  std::set<uint16_t> bridged_;             // `bridge member bridge1 ... tunnelN`: N
  bool lan_up_ = true;                      // lan1's link
  std::map<uint16_t, uint32_t> installed_;  // interface -> our Session ID, installed by us
  std::map<uint16_t, uint32_t> adopted_;    // interface -> Session ID a previous process left
  std::set<uint32_t> spent_;                // ids del_pseudowire gave back (not to release again)
  std::set<uint16_t> ipsec_logged_;         // tunnels whose lack of IPsec was logged
  std::map<uint32_t, std::vector<IpsecPair>> pairs_;  // by peer address, newest last
  std::map<uint16_t, uint32_t> adopted_peer_;  // interface -> the adopted pseudowire's peering
  LanToLanCounters counters_;
};

}  // namespace l2tpgw::cp::bridge
