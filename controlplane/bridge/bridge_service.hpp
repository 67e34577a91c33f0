// SPDX-License-Identifier: Apache-2.0
// BridgeService: LanToLan inside the controlplane process. It takes the punted L2TP control
// messages that are L2TPv3 (l2tp::v3::is_l2tpv3_control; L2TPv2 ones go on to the LNS's
// handler), runs the LCCE on one loop timer armed for its next deadline, and sends its
// datagrams through the inject ring: in the clear for `l2tpv3-raw` (Injector::send_udp:
// worker 0 adds IPv4 and Ethernet, resolving the peer or the WAN gateway by ARP), in ESP for
// `l2tpv3` (Injector::send_esp, through the SA pair IKE reported with ipsec_up).
//
// Lifetime: as AccessService's. attach() once the controlplane is attached (DaemonHooks::
// on_attach): the LCCE starts afresh, takes the running configuration and adopts the
// pseudowires a previous controlplane installed (lan_to_lan.hpp); detach() before it lets
// go: the control connections are forgotten (no StopCCN: the process may be about to come
// back, and the peer's keepalive or our new SCCRQ settles it) and the pseudowires keep
// forwarding.
//
// Thread context: the controlplane loop.
#pragma once

#include <memory>
#include <optional>

#include "controlplane/bridge/lan_to_lan.hpp"
#include "controlplane/cli/show.hpp"
#include "controlplane/config/model.hpp"
#include "controlplane/daemon/daemon.hpp"
#include "controlplane/punt/punt_channel.hpp"

namespace l2tpgw::cp::bridge {

class BridgeService final : private LanToLanLink {
 public:
  BridgeService();
  ~BridgeService() override;

  // For DaemonHooks::punt.l2tp_control: L2TPv3 here, anything else to `l2tpv2`.
  PuntHandler l2tp_handler(PuntHandler l2tpv2);
  void attach(DaemonServices& s);
  void detach();
  void set_config(const config::Config& c);
  // IKE's SA pairs (IkeHooks): true when the pair belongs to an `l2tpv3` tunnel's peer and was
  // taken here; false when it is another protocol's (remote access) or we are detached.
  bool ipsec_up(const IpsecPair& p);
  bool ipsec_down(const IpsecPair& p);
  // DaemonHooks::on_lan_link: lan1, bridge1's LAN member, went up or down.
  void set_lan_link(bool up);

  // `show status l2tp` (the L2TPv3 tunnels) and `show counters` (LCCE, pseudowires).
  void annotate(ShowSnapshot& s) const;
  void annotate(CounterSnapshot& c) const;

  const LanToLan* lan_to_lan() const { return l2l_.get(); }

 private:
  bool send_udp(uint32_t src, uint32_t dst, std::vector<uint8_t> udp) override;
  bool send_esp(uint32_t sa_slot, std::vector<uint8_t> udp) override;
  void rearm();

  std::optional<config::Config> cfg_;
  DaemonServices* services_ = nullptr;
  std::unique_ptr<LanToLan> l2l_;
  TimerSlot timer_;
  uint64_t detached_ = 0;
};

}  // namespace l2tpgw::cp::bridge
