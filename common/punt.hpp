// SPDX-License-Identifier: Apache-2.0
// The punt / inject / event contract between the dataplane and the controlplane: what a punted
// mbuf holds, how an injected mbuf says where it goes, and the dataplane-events ring format.
//
// Both processes include this header and nothing of each other (STYLE.md "Layout"). The
// dataplane's own node numbers (dataplane/worker/burst.hpp `Next`) are checked against
// `InjectNext` there with static_asserts.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <string_view>

namespace l2tpgw {

// Why a packet was punted to the controlplane; travels in PktMeta::punt_kind. The mbuf's data
// starts at a different header for each kind:
//   Ike           the whole Ethernet frame: IPv4 / UDP 500, or UDP 4500 with the four-byte
//                 non-ESP marker (RFC 3948 §2.2) before the IKE header.
//   L2tpControl   the inner UDP header of the ESP-protected datagram (ESP header, IV, trailer
//                 and ICV removed): UDP / L2TPv2 control message. sa_slot is the inbound SA,
//                 outer_src/outer_sport the peer's current address.
//   PppControl    as L2tpControl, an L2TP data message whose PPP protocol is not IPv4
//                 (l2tp_ppp_proto); session_id and tunnel_id are ours, from the L2TP header.
//                 The session may not be installed yet (PPP negotiates before IPCP opens):
//                 the controlplane checks the ids against the inbound SA sa_slot.
//   ToSelf        the whole Ethernet frame of a LAN packet to one of our addresses.
//   ToSelfTunnel  the inner IPv4 packet (PPP removed) a client sent to one of our addresses;
//                 session_id and tunnel_id are ours.
enum class PuntKind : uint8_t { None = 0, Ike, L2tpControl, PppControl, ToSelf, ToSelfTunnel };

constexpr std::string_view to_string(PuntKind k) {
  switch (k) {
    case PuntKind::None: return "None";
    case PuntKind::Ike: return "Ike";
    case PuntKind::L2tpControl: return "L2tpControl";
    case PuntKind::PppControl: return "PppControl";
    case PuntKind::ToSelf: return "ToSelf";
    case PuntKind::ToSelfTunnel: return "ToSelfTunnel";
  }
  return "?";
}

// The typed mbuf private area (STYLE.md "Typed mbuf private area"). The area is not cleared
// when an mbuf is allocated: a field is meaningful only where the stage that reached the
// packet's node set it (listed per PuntKind above), and an injector sets every field.
struct PktMeta {
  uint32_t sa_slot;       // inbound SA that carried it (upstream) / outbound (inject)
  uint32_t outer_src;     // host order: outer IPv4 source (peer's current address)
  uint32_t outer_dst;
  uint16_t outer_sport;   // UDP source port when NAT-T (peer's current port), else 0
  uint16_t outer_dport;
  uint16_t session_id;
  uint16_t tunnel_id;
  uint16_t esp_off;       // ESP header offset from the data start (EspIn)
  uint16_t l2tp_ppp_proto;
  uint8_t resume;        // the node a handed-off or injected packet resumes at (InjectNext)
  PuntKind punt_kind;
  uint8_t natt;
  uint8_t in_port;
  uint32_t next_hop;      // ARP hold queue: the neighbor the packet waits for (host order)
  uint8_t flags;          // dataplane-internal (kMeta* in dataplane/mbuf_meta.hpp); injectors set 0
  uint16_t pw_slot;       // dataplane-internal: the pseudowire a bridged frame came from / goes to
};

inline constexpr uint16_t kPrivSize = 64;
static_assert(sizeof(PktMeta) <= kPrivSize);

inline PktMeta& meta(rte_mbuf* m) { return *static_cast<PktMeta*>(rte_mbuf_to_priv(m)); }

// Where an mbuf on a worker's inject ring goes (PktMeta::resume). Values are the dataplane's
// node numbers; anything else is dropped as InjectMalformed.
//   EspEncrypt  data = a UDP datagram (header included) to carry in transport-mode ESP with
//               outbound SA sa_slot; the worker adds ESP, UDP 4500 when NAT-T, the outer
//               IPv4 header and Ethernet (resolving the next hop). Enqueue it on the SA's
//               owner worker's ring: another worker drops it as EspNoOutboundSa.
//   TxWan/TxLan data = a complete Ethernet frame, transmitted as it is.
//   UdpWan      data = a UDP datagram (header included) to send in the clear from outer_src
//               (0: the WAN address) to outer_dst (host order): the worker adds the IPv4
//               header and Ethernet (resolving the next hop) and sends it on the WAN port
//               (`l2tpv3-raw` control messages, which no received frame tells the way back
//               for: an always-on initiator speaks first). Not a node: the worker turns it
//               into TxWan when it dequeues it. Any worker's ring.
enum class InjectNext : uint8_t { EspEncrypt = 7, TxWan = 8, TxLan = 9, UdpWan = 64 };

// The dataplane-events ring (kEventRingName) carries 8-byte elements: kind << 32 | argument.
enum class DpEventKind : uint32_t {
  SeqExhausted = 1,  // argument: outbound SA slot whose sequence number reached 2^32-1
                     // (RFC 4303 §3.3.3): the SA stopped sending and needs a rekey
  SeqSoft = 2,       // argument: outbound SA slot whose sequence number reached
                     // kEspSeqSoftLimit: its soft lifetime in packets (RFC 4301 §4.4.2.1),
                     // time to rekey while it still sends
};

// 2^28 packets before the sequence number runs out: at 10 Mpps through one SA, 27 s for IKE.
inline constexpr uint32_t kEspSeqSoftLimit = 0xF0000000u;

struct DpEvent {
  DpEventKind kind;
  uint32_t arg;
};

constexpr uint64_t encode_dp_event(DpEventKind kind, uint32_t arg) {
  return (uint64_t{static_cast<uint32_t>(kind)} << 32) | arg;
}
constexpr DpEvent decode_dp_event(uint64_t v) {
  return DpEvent{static_cast<DpEventKind>(v >> 32), static_cast<uint32_t>(v)};
}

}  // namespace l2tpgw
