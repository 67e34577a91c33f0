// SPDX-License-Identifier: Apache-2.0
// What the IKE responder accepts, per peer: the pre-shared key, the phase-1 and phase-2
// algorithms, lifetimes and NAT-T, looked up by the peer's address with a fallback to the
// `ipsec ike remote address G any` gateway (RFC 2409 §5: in Main Mode with pre-shared keys the
// key must be chosen before the peer's identity is known, so by address). The daemon builds
// one PeerPolicy per `ipsec ike ...` gateway from the configuration.
//
// Thread context: plain values owned by the responder (replaced as a whole on reload; an IKE
// SA keeps the shared_ptr of the policy it was negotiated under).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto/esp_alg.hpp"
#include "controlplane/ike/crypto.hpp"
#include "controlplane/ike/proposal.hpp"
#include "controlplane/ike/wire.hpp"

namespace l2tpgw::cp::ike {

struct PeerPolicy {
  uint32_t gateway_id = 0;  // the configuration's security gateway (for logs and show)
  // The gateway names this one peer (`ipsec ike remote address G ADDRESS`, a LAN-to-LAN peer
  // with a key of its own), not `any`: its Quick Mode IDs may name addresses a NAT hid.
  bool named_peer = false;
  // The pre-shared key's bytes. Never logged, never formatted: only the PRF reads it.
  std::string psk;

  // Phase 1 (RFC 2409 App. A): every combination of these is acceptable. Real clients:
  // Windows AES-256/SHA1/MODP1024, macOS/iOS AES-256/SHA256/MODP2048, Android 3DES/SHA1/MODP1024.
  std::vector<CipherSuite> ike_ciphers;
  std::vector<HashAlg> ike_hashes;
  std::vector<DhGroup> ike_groups;
  // Phase 2 (RFC 2407 §4.4.4, §4.5): ESP ciphers and integrity algorithms (pairs must satisfy
  // esp_pair_allowed), and the groups accepted for PFS.
  std::vector<EspCipher> esp_ciphers;
  std::vector<EspAuth> esp_auths;
  std::vector<DhGroup> pfs_groups;
  bool pfs_required = false;  // `ipsec ike pfs G on`: a Quick Mode without KE is refused

  // The longest lifetimes we keep; a longer proposal is accepted and shortened on our side
  // (phase 2 tells the peer with RESPONDER-LIFETIME, RFC 2407 §4.6.3.1).
  uint32_t isakmp_lifetime_max = 28800;
  uint32_t ipsec_lifetime_max = 28800;
  // The most kilobytes an IPsec SA protects (RFC 2407 §4.5 SA Life Type kilobytes); a proposal
  // with none or more is announced shorter the same way. 0: no limit of ours.
  uint32_t ipsec_kilobytes_max = 0;

  bool nat_traversal = true;   // answer the NAT-T vendor IDs (RFC 3947 §3.1)
  // RFC 3948 §4 NAT-keepalives when NAT-D found us behind a NAT (`ipsec ike nat-traversal G on
  // keepalive=SECONDS`): the NAT keeps its mapping of our UDP-encapsulated ESP only while
  // packets go out through it. 0: none.
  std::chrono::seconds natt_keepalive{0};
  // `ipsec ike nat-traversal G on force=on`: UDP encapsulation whether or not there is a NAT
  // (strongSwan's forceencaps): our NAT-D for our own endpoint is one that cannot match, so
  // the peer sees a NAT in front of us, and we take ourselves as behind one.
  bool natt_force = false;
  bool anti_replay = true;     // `ipsec sa policy ... anti-replay-check`
  uint16_t replay_window = 64;

  // Dead Peer Detection initiated by us (RFC 3706 §5.3), for peers that sent its vendor ID:
  // after `dpd_interval` without an authenticated IKE message or inbound ESP from the peer, an
  // R-U-THERE; after `dpd_tries` unanswered, the peer is dead and its SAs go. 0: off (we still
  // answer the peer's R-U-THERE).
  std::chrono::seconds dpd_interval{0};
  int dpd_tries = 5;

  // Rekeys of IPsec SA pairs the peer negotiated (we answered its Quick Mode): at this share
  // of their lifetime we start a Quick Mode ourselves, over any established ISAKMP SA with the
  // peer, offering the pair's suite. 0: off (clients rekey their own SAs).
  uint32_t rekey_peer_children_percent = 0;

  // Our phase-1 identity; unset: ID_IPV4_ADDR of the address the peer reached.
  std::optional<Identification> local_id;

  // Everything l2tpgw implements (a responder for remote-access clients accepts whatever
  // supported suite the client proposes, as Yamaha's routers do).
  static PeerPolicy all_supported();
};

// Peer policies by address, then the `any` one. shared_ptr: an IKE SA holds on to the
// policy it was negotiated under across a configuration reload.
class PolicyTable {
 public:
  void set(uint32_t peer_addr, PeerPolicy p) {
    by_addr_[peer_addr] = std::make_shared<const PeerPolicy>(std::move(p));
  }
  void set_any(PeerPolicy p) { any_ = std::make_shared<const PeerPolicy>(std::move(p)); }
  std::shared_ptr<const PeerPolicy> find(uint32_t peer_addr) const {
    auto it = by_addr_.find(peer_addr);
    if (it != by_addr_.end()) return it->second;
    return any_;
  }
  bool empty() const { return by_addr_.empty() && !any_; }

 private:
  std::map<uint32_t, std::shared_ptr<const PeerPolicy>> by_addr_;
  std::shared_ptr<const PeerPolicy> any_;
};

// Bounds that keep a flood of spoofed Main Mode requests from exhausting memory or
// starving established clients (whose messages never need a new IKE SA).
struct ResponderLimits {
  size_t max_ike_sas = 16384;          // established and half-open together
  size_t max_half_open = 1024;         // IKE SAs before MM5 authenticated the peer
  // Per-source admission of new Main Modes (token bucket per peer address, in a fixed
  // table of buckets: bounded memory whatever the number of sources).
  double new_sa_rate_per_source = 5.0;  // per second
  double new_sa_burst_per_source = 10.0;
  size_t rate_buckets = 4096;
  size_t max_quick_modes_per_sa = 8;   // concurrent Quick Modes on one ISAKMP SA
  size_t max_children_per_peer = 32;   // installed IPsec SA pairs per peering
  // A half-open SA that has only received MM1 (the peer has not shown it can receive from
  // us) is dropped after this, and is the first to go when the half-open table is full.
  std::chrono::seconds half_open_timeout{30};
  // Our replies that wait for a next message (MM4, QM2), and as the initiator our MM1, MM3,
  // MM5 and QM1, are resent on a timer: first after `retransmit_initial`, doubling,
  // `retransmit_tries` times; then the exchange is dropped (an initiator's connection retries
  // after its back-off).
  // MM2 is resent only when MM1 is (answering spoofed sources on a timer would reflect).
  std::chrono::seconds retransmit_initial{4};
  int retransmit_tries = 4;
  // Replies resent because a duplicate arrived, per exchange (a duplicate flood is not an
  // amplifier beyond this).
  int max_duplicate_replies = 8;
};

// A peering this side starts itself (the initiator role, RFC 2409 §5 and §5.5): a LAN-to-LAN
// tunnel whose `ipsec ike remote address G ADDRESS` names the peer. The pre-shared key, DPD,
// NAT-T and lifetimes come from the peer's PeerPolicy (found by peer_addr); the offers from
// `ipsec ike encryption|hash|group G` and the gateway's `ipsec sa policy` lines.
struct Connection {
  uint32_t gateway_id = 0;
  uint32_t local_addr = 0;  // `ipsec ike local address G` (host order)
  uint32_t peer_addr = 0;
  // MM1's transforms in our order of preference (their lifetimes are what we ask for).
  std::vector<Phase1Suite> ike_offers;
  // QM1's proposals, one transform each; the encapsulation mode is set per exchange (UDP-
  // encapsulated transport behind a NAT, RFC 3947 §5.1), the PFS group from pfs_group.
  std::vector<EspSuite> esp_offers;
  std::optional<DhGroup> pfs_group;  // `ipsec ike pfs G on`: the phase-1 group
  // `ipsec auto refresh [G] on`: keep the SAs up, re-initiating after DPD found the peer dead
  // or the peer deleted them; off: one attempt per initiate() call.
  bool auto_refresh = true;
  // Rekey before expiry: a new exchange starts when this share of an SA's lifetime (seconds or
  // kilobytes) has passed (soft lifetime, RFC 4301 §4.4.2.1); `ipsec ike duration ipsec-sa|
  // isakmp-sa G ... rekey R`, 0: `rekey off`.
  uint32_t rekey_percent = 75;
  uint32_t isakmp_rekey_percent = 75;
  // After a failed Main Mode (no answer, refused, wrong key), the next attempt waits this
  // long, doubling up to retry_max.
  std::chrono::seconds retry_initial{10};
  std::chrono::seconds retry_max{120};
};

struct ResponderConfig {
  PolicyTable policies;
  ResponderLimits limits;
  std::vector<Connection> connections;
  uint16_t l2tp_port = 1701;  // `ipsec transport ... udp 1701`: what Quick Mode IDs may name
};

}  // namespace l2tpgw::cp::ike
