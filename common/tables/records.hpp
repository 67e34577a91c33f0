// SPDX-License-Identifier: Apache-2.0
// Shared-memory records: the SA, L2TP tunnel and L2TP session tables and the pool index.
//
// Plain data, fixed size, no pointers (the two processes map memory at different addresses).
// Each record starts with a `state` word: bit 0 = published, bits 31..1 = generation. The
// single writer (the controlplane, through TableWriter) fills an unpublished slot completely,
// then publishes it with a release store; readers (dataplane workers) load `state` with acquire
// and ignore unpublished slots. A slot is reused only after an RCU grace period
// (rte_rcu_qsbr) following its unpublication, so a reader never sees it rewritten under it.
// Per-packet mutable state lives elsewhere (SaRuntime, the stats area), but for a session's
// counters: they share the session's line, which every packet of the session reads anyway.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/crypto/esp_alg.hpp"
#include "common/crypto/sa_crypto.hpp"
#include "common/tables/stats.hpp"

namespace l2tpgw::tables {

inline constexpr uint32_t kStatePublished = 1;
constexpr uint32_t state_generation(uint32_t state) { return state >> 1; }
constexpr bool state_published(uint32_t state) { return (state & kStatePublished) != 0; }

// Inbound SPIs are ours (we choose them in Quick Mode): SPI = tag << kSaSlotBits | slot, with a
// random non-zero tag so that a stale or forged SPI misses the slot's current SA. The tag being
// non-zero keeps every SPI above the reserved range 1..255 (RFC 4303 §2.1).
inline constexpr uint32_t kSaSlotBits = 18;
inline constexpr uint32_t kSaSlotMask = (1u << kSaSlotBits) - 1;
inline constexpr uint32_t kMaxSaSlots = 1u << kSaSlotBits;
constexpr uint32_t spi_slot(uint32_t spi) { return spi & kSaSlotMask; }
constexpr uint32_t make_spi(uint32_t tag, uint32_t slot) { return (tag << kSaSlotBits) | slot; }

// L2TPv2 ids are 16 bits and 0 is reserved (RFC 2661 §3.1): our tunnel id is the tunnel slot and
// our session id the session slot, so at most 65,535 of each.
inline constexpr uint32_t kMaxTunnels = 65535;
inline constexpr uint32_t kMaxSessions = 65535;
inline constexpr uint32_t kMaxWorkers = 32;
inline constexpr uint32_t kMaxPools = 16;
inline constexpr uint8_t kNoWorker = 0xff;

enum class SaDirection : uint8_t { Inbound = 1, Outbound = 2 };

// One ESP SA (RFC 4303), one direction, transport mode.
// writer: CP (TableWriter); readers: workers (RCU). The first line holds everything a packet
// reads before the key schedule: with thousands of clients each line is a cache miss.
struct alignas(64) SaRecord {
  std::atomic<uint32_t> state;
  uint32_t spi;             // inbound: ours (slot-encoded); outbound: the peer's
  uint32_t peer_index;      // the IPsec peering (IKE SA) this SA belongs to; binds L2TP tunnels
  SaDirection direction;
  uint8_t owner_worker;     // the worker that owns this SA's runtime (seq, replay window)
  uint8_t natt;             // 1: UDP-encapsulated ESP (RFC 3948)
  uint8_t reserved0;
  uint16_t replay_window;   // inbound: window size in packets (RFC 4303 §3.4.3), 0 = off
  uint16_t reserved1;
  uint32_t local_addr;      // host order; outbound: our source address
  uint32_t peer_addr;       // host order; inbound: expected source; outbound: destination
  uint16_t local_port;      // NAT-T: 4500
  uint16_t peer_port;       // NAT-T: the peer's (possibly translated) port
  SaCryptoHotLines hot;     // the lines of `keys` this SA's jobs read (worker prefetch)
  SaCryptoParams crypto;    // algorithms, lengths, GCM salt
  SaCryptoKeys keys;        // expanded keys, HMAC pads (from the second line)
};

// One L2TPv2 control connection (tunnel), indexed by our tunnel id.
// writer: CP; readers: the CP, tools. Workers read what they need of it from its sessions'
// records, where the writer copies it. `sa_out` is written in place (a rekey switches it, and
// its sessions' copies, with atomic stores: both the old and the new SA are valid meanwhile).
// A tunnel is removed only after its sessions (TableWriter::del_tunnel), so a worker holding
// a published session may rely on the session's tunnel being there.
struct alignas(64) TunnelRecord {
  std::atomic<uint32_t> state;
  uint32_t peer_index;       // the IPsec peering whose SAs carry it (no cross-client injection)
  std::atomic<uint32_t> sa_out;  // SA slot for downstream traffic; 0 = none (plain L2TP)
  uint16_t peer_tunnel_id;   // the id the peer assigned (we send it in data messages)
  uint16_t local_port;       // our UDP port (1701)
  uint16_t peer_port;        // the peer's L2TP UDP source port (1701 on most clients)
  uint8_t owner_worker;
  uint8_t reserved0;
  uint32_t local_addr;       // host order (plain L2TP only; IPsec uses the SA's)
  uint32_t peer_addr;
  uint32_t sessions;         // writer's bookkeeping: published sessions that name this tunnel
};

inline constexpr uint8_t kPppTxAcfc = 0x01;  // omit FF 03 (Address-and-Control-Field-Compression)
inline constexpr uint8_t kPppTxPfc = 0x02;   // one-byte protocol (Protocol-Field-Compression)
inline constexpr uint8_t kL2tpTxLength = 0x01;  // send the Length field in data messages

// One L2TPv2 session carrying one PPP link, indexed by our session id.
// writer: CP; readers: workers (RCU). With thousands of clients each packet's session line is
// a cache miss, so the line holds all a packet of the session reads, in both directions:
// - `counters`, written after publication by the owner worker alone (on a line of their own
//   they were a second miss, about 4 cycles a packet at 10,000 sessions, scripts/bench.sh);
//   the writer zeroes them before it publishes the record;
// - what downstream would otherwise read from the tunnel (its peer's id and port and its
//   outbound SA), copied at install; `sa_out` is switched with the tunnel's on a rekey
//   (TableWriter::set_tunnel_sa_out), the other two never change.
// What only the controlplane reads (the install time) is in SharedTables::session_installed_at.
struct alignas(64) SessionRecord {
  std::atomic<uint32_t> state;
  uint16_t tunnel_id;        // our tunnel id (the TunnelRecord slot)
  uint16_t peer_session_id;  // the id the peer assigned
  uint32_t client_addr;      // host order: the PPP peer's IPCP address (anti-spoofing key)
  uint16_t mtu;              // PPP/IP MTU towards the client
  uint16_t tcp_mss;          // clamp value, 0 = no clamping (`ip tunnel tcp mss limit`)
  uint8_t owner_worker;
  uint8_t ppp_tx_flags;      // kPppTx*
  uint8_t l2tp_tx_flags;     // kL2tpTx*
  uint8_t reserved0;
  std::atomic<uint32_t> sa_out;  // its tunnel's outbound SA slot (0 = none), switched with it
  uint32_t peer_index;       // its tunnel's, copied at install: upstream checks the inbound SA's
                             // peering against it without reading the tunnel
  uint16_t peer_tunnel_id;   // its tunnel's: the id downstream data messages carry
  uint16_t peer_port;        // its tunnel's: the peer's L2TP UDP port
  SessionCounters counters;  // writer: the owner worker (plain stores); readers: CP, tools
};

// L2TPv3 Session IDs are 32 bits and 0 is reserved (RFC 3931 §4.1): ours name the pseudowire
// slot in the low bits under a random non-zero tag, as SPIs do, so a stale or forged id misses.
inline constexpr uint32_t kPwSlotBits = 16;
inline constexpr uint32_t kPwSlotMask = (1u << kPwSlotBits) - 1;
inline constexpr uint32_t kMaxPseudowires = 4096;
constexpr uint32_t pw_slot(uint32_t session_id) { return session_id & kPwSlotMask; }
constexpr uint32_t make_pw_session_id(uint32_t tag, uint32_t slot) { return (tag << kPwSlotBits) | slot; }
inline constexpr uint8_t kMaxCookieLen = 8;  // RFC 3931 §4.1: 0, 4 or 8 octets

// RFC 3931 §4.6 Default L2-Specific Sublayer, per direction: an LCCE negotiates each one on
// its own (§5.4.4, the L2-Specific Sublayer AVP says what the sender of the AVP wants to
// receive), so the data messages we send may carry it while those we receive do not.
inline constexpr uint8_t kPwTxSublayer = 0x01;  // we put it in the data messages we send
inline constexpr uint8_t kPwRxSublayer = 0x02;  // the peer puts it in those it sends us
inline constexpr uint8_t kPwDefaultSublayer = kPwTxSublayer | kPwRxSublayer;  // both ways

// One L2TPv3 session carrying an Ethernet pseudowire (RFC 3931 §4.1.2.1 over UDP, RFC 4719),
// indexed by the slot in our Session ID. writer: CP; readers: workers (RCU). `sa_out` is
// switched in place on a rekey, as TunnelRecord's.
struct alignas(64) PseudowireRecord {
  std::atomic<uint32_t> state;
  uint32_t local_session_id;     // ours: make_pw_session_id(tag, slot)
  uint32_t peer_session_id;      // the peer's, sent in every data message
  uint32_t peer_index;           // the IPsec peering whose SAs must carry it; 0 = plain L2TPv3
  std::atomic<uint32_t> sa_out;  // SA slot for traffic to the peer; 0 = plain (l2tpv3-raw)
  uint32_t local_addr;           // host order: our outer source address
  uint32_t peer_addr;            // host order: the peer (plain: the only accepted source)
  uint16_t local_port;           // UDP (1701)
  uint16_t peer_port;
  uint8_t local_cookie_len;      // the cookie the peer must send us (RFC 3931 §4.1)
  uint8_t peer_cookie_len;       // the cookie we send
  uint8_t owner_worker;
  uint8_t bridge;                // `bridge member bridgeN ... tunnelM`: N
  uint8_t flags;                 // kPwTxSublayer, kPwRxSublayer
  uint8_t reserved0[3];
  uint8_t local_cookie[kMaxCookieLen];
  uint8_t peer_cookie[kMaxCookieLen];
};

// The pseudowire ports of bridge 1. Flooding reads the list for every group or unknown frame,
// and it changes only when a pseudowire is added or removed, so the writer builds it then and
// publishes it whole: it fills the list no reader is using (one grace period after the last
// switch) and switches `active` with a release store.
inline constexpr uint32_t kMaxBridgePseudowires = 64;
struct BridgePorts {
  uint32_t n;
  uint16_t slots[kMaxBridgePseudowires];  // pseudowire slots, in slot order
};
struct BridgeMembership {
  std::atomic<uint32_t> active;  // 0 or 1: the list readers use
  uint32_t reserved0;
  BridgePorts lists[2];
};

// A range of client addresses indexed directly: entry[addr - base] = session id (0 = none).
struct PoolRange {
  uint32_t base;   // host order
  uint32_t size;   // number of addresses
  uint32_t first;  // index of base's entry in the pool index array
};

static_assert(sizeof(TunnelRecord) == 64);
static_assert(sizeof(SessionRecord) == 64 && offsetof(SessionRecord, counters) == 32);
static_assert(sizeof(PseudowireRecord) == 64);
static_assert(offsetof(SaRecord, crypto) + sizeof(SaCryptoParams) <= 64 && offsetof(SaRecord, keys) == 64);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

}  // namespace l2tpgw::tables
