// SPDX-License-Identifier: Apache-2.0
// PuntChannel: drains the dataplane's punt ring on the controlplane loop, classifies each
// packet, counts it and hands it to the protocol machine that owns its class.
//
// Thread context: the controlplane loop only (the punt ring is single-consumer).
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <functional>
#include <span>

#include "common/punt.hpp"
#include "controlplane/punt/classify.hpp"

namespace l2tpgw::cp {

// One punted packet as a handler sees it. The payload span points into the mbuf.
struct PuntedPacket {
  rte_mbuf* m;
  const PktMeta& meta;
  const PuntInfo& info;
  std::span<const uint8_t> payload;  // info.payload_off / payload_len, already bounds-checked
};

// What a protocol machine did with a punted packet.
enum class PuntVerdict {
  Declined,  // not its packet (or it is detached): counted unhandled, the channel frees it
  Consumed,  // processed; it kept no pointer into the mbuf, so the channel frees it
  Kept,      // processed and kept: it frees or injects the mbuf itself
};

// A protocol machine's entry point.
using PuntHandler = std::function<PuntVerdict(PuntedPacket&)>;

// The hooks later issues fill in (IKE, L2TP control, PPP, to-self). An empty hook counts the
// packet as unhandled and frees it.
struct PuntHandlers {
  PuntHandler ike;           // Ike and IkeNatT
  PuntHandler l2tp_control;  // L2tpControl
  PuntHandler ppp_control;   // PppLcp, PppAuth, PppIpcp, PppCcp, PppOther
  PuntHandler to_self;       // ToSelf
  // Any punted packet that an ESP-in-UDP SA authenticated (meta natt, inbound sa_slot):
  // its outer source now, before its handler runs, so that IKE follows a peer whose NAT
  // mapping changed (RFC 3947 §4, RFC 7296 §2.23), whichever protocol the packet is.
  std::function<void(uint32_t sa_slot, uint32_t addr, uint16_t port)> natt_source;
};

struct PuntCounters {
  std::array<uint64_t, kPuntClassCount> packets{};
  std::array<uint64_t, kPuntClassCount> octets{};
  uint64_t handled = 0;      // consumed or kept by a handler
  uint64_t unhandled = 0;    // no hook, or the hook declined: freed
  uint64_t linearize_failed = 0;  // counted as Malformed too
};

class PuntChannel {
 public:
  explicit PuntChannel(rte_ring* ring) : ring_(ring) {}
  void set_handlers(PuntHandlers h) { handlers_ = std::move(h); }

  // Dequeues and dispatches up to `budget` packets. Returns how many were dequeued, so the
  // caller can poll faster while traffic is flowing. Every mbuf is consumed.
  size_t drain(size_t budget);
  // Dispatches one packet as if it had come from the ring (what drain() does per packet).
  void dispatch(rte_mbuf* m);

  const PuntCounters& counters() const { return counters_; }

 private:
  rte_ring* ring_;
  PuntHandlers handlers_;
  PuntCounters counters_;
};

// The handler a class goes to, or nullptr for Malformed/Unknown.
const PuntHandler* handler_for(const PuntHandlers& h, PuntClass c);

}  // namespace l2tpgw::cp
