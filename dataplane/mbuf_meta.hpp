// SPDX-License-Identifier: Apache-2.0
// PktMeta: the typed mbuf private area carried between stages, workers and the controlplane.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace l2tpgw::dp {

// Why a packet was punted to the controlplane (PuntKind) travels in `punt_kind`.
enum class PuntKind : uint8_t { None = 0, Ike, L2tpControl, PppControl, ToSelf };

// PktMeta::flags. Set by the classify stages (which clear them first) and by the stages that
// create packets.
inline constexpr uint8_t kMetaSpawned = 0x01;      // made by a stage (ICMP error, fragment): never
                                                   // fragmented again nor the cause of an ICMP error
inline constexpr uint8_t kMetaL2Multicast = 0x02;  // arrived in an Ethernet broadcast/multicast frame

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
  uint8_t resume;        // the Next node a handed-off or injected packet resumes at
  PuntKind punt_kind;
  uint8_t natt;
  uint8_t in_port;
  uint32_t next_hop;      // ARP hold queue: the neighbor the packet waits for (host order)
  uint8_t flags;          // kMeta*
};

inline constexpr uint16_t kPrivSize = 64;
static_assert(sizeof(PktMeta) <= kPrivSize);

inline PktMeta& meta(rte_mbuf* m) { return *static_cast<PktMeta*>(rte_mbuf_to_priv(m)); }

}  // namespace l2tpgw::dp
