// SPDX-License-Identifier: Apache-2.0
// IkeService: IKE (the responder, and the initiator for configured peerings) inside the
// controlplane process. It takes the punted IKE datagrams (UDP 500, and 4500 after the
// non-ESP marker; controlplane/punt/classify) to IkeResponder, arms one loop timer at the
// responder's next deadline, and sends what the responder produces as whole Ethernet/IPv4/UDP
// frames through a worker's inject ring to the WAN port (InjectNext::TxWan), back along the
// link the peer's frames arrive on.
//
// Lifetime: constructed before the daemon runs; attach() when the controlplane has attached to
// the dataplane (DaemonHooks::on_attach), detach() before it lets go (on_detach). While
// detached, IKE packets are not handled (they cannot be: there is no Installer) and every
// IKE SA is forgotten; the ESP SAs already installed keep forwarding.
//
// The initiator role: gateways the configuration names by address for an L2TPv3/IPsec tunnel
// (or with `ipsec auto refresh`) are initiated after attach() and after each set_config(); the
// protocol above may start one itself with initiate(). A peer we have not heard from yet has no
// Ethernet path of its own: its datagrams go through the dataplane's routing (Injector::
// send_udp: the peer on the WAN subnet or the WAN gateway, resolved by ARP) until the peer's own
// frames arrive.
//
// Thread context: the controlplane loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "controlplane/config/model.hpp"
#include "controlplane/daemon/daemon.hpp"
#include "controlplane/ike/frame.hpp"
#include "controlplane/ike/responder.hpp"
#include "controlplane/punt/punt_channel.hpp"

namespace l2tpgw::cp::ike {

struct IkeServiceCounters {
  uint64_t received = 0;      // datagrams handed to the responder
  uint64_t detached = 0;      // dropped: not attached to the dataplane
  uint64_t sent = 0;          // frames on an inject ring, back along the peer's link
  uint64_t routed = 0;        // datagrams to a peer not heard from yet, routed by the dataplane
  uint64_t no_mbuf = 0;       // the pool is exhausted, or the frame does not fit one mbuf
  uint64_t inject_failed = 0;
};

class IkeService {
 public:
  // `max_links` bounds the table of Ethernet paths back to peers.
  explicit IkeService(size_t max_links = 65536);
  ~IkeService();

  // For DaemonHooks::punt.ike.
  PuntHandler punt_handler();
  void attach(DaemonServices& s);
  void detach();
  // New gateways and keys apply to IKE SAs negotiated from now on.
  void set_config(const config::Config& c);
  // Child SA up/down, for the protocols above (L2TP); applies to responders created later too.
  void set_hooks(IkeHooks h);
  // The protocol above found the peer gone: IkeResponder::delete_peer, then the Delete
  // notifications go out. False when nothing of that peering was left (or detached).
  bool delete_peer(uint32_t peer_index, const char* why);
  // The protocol above received an authenticated packet of inbound SA `slot_in` from
  // addr:port (host order): IkeResponder::nat_peer_seen.
  void nat_peer_seen(uint32_t slot_in, uint32_t addr, uint16_t port);
  // The dataplane's sequence-number events for outbound SA `slot`: IkeResponder::
  // outbound_expiring (a rekey of its pair).
  void sa_expiring(uint32_t slot);
  // Starts (and, with c.auto_refresh, keeps up) the peering to c.peer_addr as the initiator;
  // child_up reports its IPsec SA pair. False while detached.
  bool initiate(const Connection& c);
  // No more attempts for the peer (its SAs stay until deleted or expired).
  void stop_initiating(uint32_t peer_addr);

  const IkeServiceCounters& counters() const { return counters_; }
  // `show counters`: the service's and the responder's named counters.
  void annotate(CounterSnapshot& c) const;
  // `show ipsec sa`: the established ISAKMP SAs and the IPsec SA pairs the responder holds,
  // with their lifetimes left at `now` (the loop's clock; tests pass a later one). Nothing
  // while detached.
  void annotate(ShowSnapshot& s) const { annotate(s, EventLoop::now()); }
  void annotate(ShowSnapshot& s, TimePoint now) const;
  const IkeResponder* responder() const { return responder_.get(); }

 private:
  PuntVerdict on_punt(PuntedPacket& p);
  void start_connections();
  void flush();
  void rearm();

  size_t max_links_;
  ResponderConfig cfg_;
  std::map<uint32_t, uint32_t> transports_;  // `ipsec transport` id by gateway (show's tra[T])
  IkeHooks hooks_;
  DaemonServices* services_ = nullptr;
  std::unique_ptr<IkeResponder> responder_;
  TimerSlot timer_;
  std::unordered_map<uint32_t, LinkAddrs> links_;  // by peer address
  uint16_t ip_id_ = 0;
  IkeServiceCounters counters_;
};

}  // namespace l2tpgw::cp::ike
