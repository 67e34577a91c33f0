// SPDX-License-Identifier: Apache-2.0
// AccessService: RemoteAccess inside the controlplane process. It takes the punted L2TP
// control messages and PPP control frames (controlplane/punt/classify), runs RemoteAccess on
// the loop's timers, and sends what it produces through the SA owner's inject ring
// (Injector::send_esp: the worker adds ESP, the outer headers and Ethernet).
//
// Lifetime: as IkeService's. attach() once the controlplane is attached (DaemonHooks::
// on_attach), detach() before it lets go: the L2TP and PPP state is forgotten then, and
// the sessions already installed keep forwarding.
//
// Thread context: the controlplane loop.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "controlplane/access/remote_access.hpp"
#include "controlplane/cli/show.hpp"
#include "controlplane/config/model.hpp"
#include "controlplane/daemon/daemon.hpp"
#include "controlplane/punt/punt_channel.hpp"

namespace l2tpgw::cp::access {

class AccessService final : private RemoteAccessLink {
 public:
  AccessService();
  ~AccessService() override;

  // For DaemonHooks::punt.l2tp_control and .ppp_control.
  PuntHandler l2tp_handler();
  PuntHandler ppp_handler();
  void attach(DaemonServices& s);
  void detach();
  void set_config(const config::Config& c);

  // From IKE (IkeService's child SA hooks).
  void ipsec_up(const IpsecPair& p);
  void ipsec_down(const IpsecPair& p);
  // To IKE: delete a peering whose client stopped answering L2TP (RemoteAccess::set_drop_peer).
  void set_drop_peer(std::function<void(uint32_t peer_index)> drop);

  // What `show status l2tp` / `show status pp` add to the tables' view.
  void annotate(ShowSnapshot& s) const;
  void annotate(CounterSnapshot& c) const;

  const RemoteAccess* access() const { return access_.get(); }
  uint64_t detached_drops() const { return detached_; }

 private:
  bool send_esp(uint32_t slot_out, std::vector<uint8_t> udp) override;

  std::optional<config::Config> cfg_;
  std::function<void(uint32_t)> drop_peer_;
  DaemonServices* services_ = nullptr;
  std::unique_ptr<ppp::LoopTimers> timers_;
  ppp::OsRandom random_;
  std::unique_ptr<RemoteAccess> access_;
  uint64_t detached_ = 0;
};

}  // namespace l2tpgw::cp::access
