// SPDX-License-Identifier: Apache-2.0
// The responder's state: one IkeSa per ISAKMP SA (its Main Mode and the Quick Modes running on
// it) and one ChildSa per installed pair of ESP SAs. States carry the names of STYLE.md's
// tasks (strongSwan's ikev1 tasks): MainMode {Init, Sa, Ke, Auth}, QuickMode {Init, Negotiated}.
//
// Thread context: owned by IkeResponder on the controlplane loop.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "controlplane/ike/crypto.hpp"
#include "controlplane/ike/policy.hpp"
#include "controlplane/ike/proposal.hpp"
#include "controlplane/ike/wire.hpp"
#include "controlplane/loop/timer_queue.hpp"

namespace l2tpgw::cp::ike {

// An IPv4 address and UDP port, host order.
struct Endpoint {
  uint32_t addr = 0;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

inline constexpr uint16_t kIkePort = 500;
inline constexpr uint16_t kNatTPort = 4500;  // RFC 3947 §4: IKE after the NAT-T float

// Which NAT-T the peer and we agreed on in MM1/MM2 (RFC 3947 §3.1 and its drafts): it picks
// the NAT-D/NAT-OA payload numbers and the UDP-encapsulated mode numbers.
enum class NatT : uint8_t { None, Draft02, Draft02n, Draft03, Rfc3947 };
constexpr PayloadType natd_payload(NatT v) {
  return v == NatT::Rfc3947 ? PayloadType::NatD : PayloadType::NatDDraft;
}
constexpr PayloadType natoa_payload(NatT v) {
  return v == NatT::Rfc3947 ? PayloadType::NatOa : PayloadType::NatOaDraft;
}
constexpr std::string_view to_string(NatT v) {
  switch (v) {
    case NatT::None: return "none";
    case NatT::Draft02: return "draft-02";
    case NatT::Draft02n: return "draft-02n";
    case NatT::Draft03: return "draft-03";
    case NatT::Rfc3947: return "RFC 3947";
  }
  return "?";
}

// RFC 2409 §5 Main Mode, responder side. Each state names what has been done:
//   Init  nothing yet (MM1 not processed)
//   Sa    MM1 (HDR, SA) answered with MM2 (HDR, SA): waiting for MM3 (HDR, KE, Ni)
//   Ke    MM3 answered with MM4 (HDR, KE, Nr): waiting for MM5 (HDR*, IDii, HASH_I)
//   Auth  MM5 verified, MM6 (HDR*, IDir, HASH_R) sent: the ISAKMP SA is established
//
// Initiator side (IkeSa::initiator), the same names for the same progress:
//   Init  MM1 (HDR, SA) sent: waiting for MM2
//   Sa    MM2 verified (the choice is one we offered), MM3 (HDR, KE, Ni, NAT-D...) sent
//   Ke    MM4 taken, keys derived, MM5 (HDR*, IDii, HASH_I) sent
//   Auth  MM6's HASH_R verified: the ISAKMP SA is established
enum class MainModeState : uint8_t { Init, Sa, Ke, Auth };
constexpr std::string_view to_string(MainModeState s) {
  switch (s) {
    case MainModeState::Init: return "Init";
    case MainModeState::Sa: return "Sa";
    case MainModeState::Ke: return "Ke";
    case MainModeState::Auth: return "Auth";
  }
  return "?";
}

// RFC 2409 §5.5 Quick Mode, responder side:
//   Init        QM1 (HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr]) answered with QM2, our
//               inbound ESP SA installed: waiting for QM3 (HDR*, HASH(3))
//   Negotiated  QM3 verified and the outbound ESP SA installed too (kept a while to drop
//               duplicates)
//
// Initiator side (QuickMode::initiator):
//   Init        QM1 sent (our inbound SPI reserved): waiting for QM2
//   Negotiated  QM2 verified, our inbound SA installed, QM3 sent, then the outbound SA
//               installed (kept a while to answer a duplicate QM2 with QM3 again)
enum class QuickModeState : uint8_t { Init, Negotiated };

struct QuickMode {
  uint32_t message_id = 0;
  QuickModeState state = QuickModeState::Init;
  Bytes iv;             // the CBC IV for the exchange's next message (RFC 2409 App. B)
  Bytes ni, nr;         // Ni_b, Nr_b
  SecretBytes gqm_xy;   // PFS: g(qm)^xy; empty without
  EspSuite suite;
  uint32_t spi_in = 0;  // ours, reserved with Installer::alloc_spi
  uint32_t slot_in = 0; // the inbound SA keyed with spi_in, installed before QM2 went out
  uint32_t spi_out = 0; // the initiator's
  std::optional<uint32_t> nat_oa_peer;   // the peer's original address (RFC 3947 §5.2)
  Bytes last_in;        // digest of the last message we processed (duplicate detection)
  Bytes last_reply;     // QM2 as sent (initiator: QM1, then QM3)
  int duplicate_replies = 0;
  int retransmits = 0;
  TimerToken timer;
  // Initiator side.
  bool initiator = false;
  std::vector<EspSuite> offered;  // QM1's proposals, to check QM2's choice against
  std::optional<DhKey> dh;        // PFS: our g^x (RFC 2409 §5.5)
  uint64_t replaces = 0;          // a rekey: the ChildSa this Quick Mode succeeds
};

struct IkeSa {
  uint64_t serial = 0;  // our handle ("ISAKMP SA[serial]" in logs); never reused
  Cookie cky_i{}, cky_r{};
  MainModeState state = MainModeState::Init;
  std::shared_ptr<const PeerPolicy> policy;
  Endpoint local, peer;  // where the last authenticated message came from and went to
  Endpoint mm1_peer;     // where MM1 came from (the duplicate-MM1 index key)
  TimePoint created{}, established{}, last_seen{};
  uint64_t heard = 0;    // authenticated messages from the peer (DPD's proof of life)

  // Negotiated in MM1/MM2.
  Phase1Suite suite;
  NatT natt = NatT::None;
  bool peer_dpd = false;        // the peer sent RFC 3706's vendor ID
  Bytes sai_b;                  // the initiator's SA payload body (HASH_I/HASH_R input)
  // MM3/MM4.
  std::optional<DhKey> dh;
  Bytes gxi, gxr, ni, nr;
  bool nat_local = false, nat_peer = false;  // RFC 3947 §3.2: who is behind a NAT
  Phase1Keys keys;
  Bytes iv;                      // Main Mode: the IV for the next message
  // MM5/MM6.
  Identification peer_id;
  Bytes p1_last_block;           // the last CBC block of phase 1 (MM6): base of phase-2 IVs
  uint32_t peer_index = 0;       // the IPsec peering its IPsec SAs are installed under
  uint32_t lifetime = 0;         // seconds from `established`: the suite's, ours if shorter
  // RFC 2407 §4.5 / RFC 2409 App. A Life Type kilobytes: the octets of the Quick Mode and
  // Informational messages it protected, both ways, against the suite's life_kilobytes.
  uint64_t protected_octets = 0;

  // Duplicate detection and retransmission of Main Mode replies.
  Bytes last_in;                 // digest of the last Main Mode message we processed
  Bytes last_reply;              // MM2, MM4 or MM6 as sent
  int duplicate_replies = 0;
  int retransmits = 0;
  TimerToken timer;              // half-open timeout, MM4 retransmission, or lifetime

  // Dead Peer Detection we initiate (RFC 3706 §5.3).
  TimerToken dpd_timer;
  uint32_t dpd_seq = 0;          // the last R-U-THERE's sequence number (random start, §7)
  int dpd_outstanding = 0;       // R-U-THEREs sent since the peer was last heard from
  uint64_t dpd_heard = 0;        // `heard` at the last check
  uint64_t dpd_esp_packets = 0;  // inbound ESP packets of the peering at the last check

  // Initiator side (RFC 2409 §5: we sent MM1).
  bool initiator = false;
  std::vector<Phase1Suite> p1_offered;  // MM1's transforms, to check MM2's choice against
  bool rekeying = false;         // a successor ISAKMP SA has been started (soft lifetime)
  TimerToken rekey_timer;

  std::map<uint32_t, QuickMode> quick;  // by Message ID
  // Message IDs of Quick Modes already finished or abandoned (the last kRecentMids): a replayed
  // QM1 must not start a new exchange (RFC 2408 §3.1: Message IDs are unique per exchange).
  static constexpr size_t kRecentMids = 64;
  std::deque<uint32_t> recent_mids;

  bool half_open() const { return state != MainModeState::Auth; }
  bool nat() const { return nat_local || nat_peer; }
};

// One installed IPsec SA pair (RFC 2401 bundles are not used: one ESP SA per direction).
struct ChildSa {
  uint64_t serial = 0;
  uint64_t ike_serial = 0;  // the ISAKMP SA that negotiated it (it may be gone: IKEv1 SAs live on)
  uint32_t peer_index = 0;
  Endpoint local, peer;
  Identification peer_id;  // the ISAKMP SA's peer identity (INITIAL-CONTACT matches on it)
  uint32_t spi_in = 0, spi_out = 0;
  uint32_t slot_in = 0, slot_out = 0;
  EspSuite suite;
  bool natt = false;
  std::optional<uint32_t> nat_oa_peer;
  // RFC 3948 §4: the ISAKMP SA's NAT-D found us behind a NAT; NAT-keepalives every
  // keepalive_interval in which the outbound SA carried nothing (its packet count unchanged).
  bool nat_local = false;
  std::chrono::seconds keepalive_interval{0};
  TimerToken keepalive_timer;
  uint64_t keepalive_out_packets = 0;
  uint32_t gateway_id = 0;  // the policy's security gateway (`show ipsec sa`'s sgw)
  uint32_t lifetime = 0;  // seconds we keep it
  TimePoint installed{};
  TimerToken timer;
  // Rekeys (make-before-break): the soft-lifetime timer starts a new Quick Mode; the pair that
  // replaces this one, once established, and this one's removal after the new one carries
  // traffic.
  TimerToken soft_timer;
  TimerToken usage_timer;  // the kilobyte lifetime's poll
  bool initiator = false;  // we started the Quick Mode
  bool rekey_due = false;  // the soft lifetime passed; a successor is being negotiated
  uint64_t replaced_by = 0;
  uint64_t replaces = 0;
  TimePoint retire_deadline{};
};

}  // namespace l2tpgw::cp::ike
