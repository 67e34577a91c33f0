// SPDX-License-Identifier: Apache-2.0
// MacTable: the learning table of a transparent bridge (IEEE 802.1D §7.8, the Filtering
// Database), shared by every worker without locks.
//
// Each entry is one 64-bit word, the MAC address in the high 48 bits and the bridge port in
// the low 16, written and read atomically, and a 32-bit "last seen" second beside it. A
// bucket holds kWays entries in one cache line. Workers learn concurrently: two that learn
// the same address at once may both store it (a lookup takes the first match, and aging
// removes the spare), and a station that moves is re-pointed by whoever sees it first. No
// per-packet allocation, lock or syscall; the table never grows.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace l2tpgw::dp {

// Bridge ports: the LAN port, or a pseudowire by its slot (1..kMaxPseudowires).
using BridgePort = uint16_t;
inline constexpr BridgePort kBridgePortLan = 0xffff;
inline constexpr BridgePort kBridgePortNone = 0;

inline uint64_t mac_to_u64(const uint8_t* mac) {
  return (uint64_t{mac[0]} << 40) | (uint64_t{mac[1]} << 32) | (uint64_t{mac[2]} << 24) |
         (uint64_t{mac[3]} << 16) | (uint64_t{mac[4]} << 8) | mac[5];
}
// The I/G bit: a group (broadcast or multicast) address, never learned as a source.
inline bool mac_is_group(const uint8_t* mac) { return (mac[0] & 0x01) != 0; }

class MacTable {
 public:
  static constexpr uint32_t kWays = 8;                // 8 × 8 bytes: one line of keys
  static constexpr uint32_t kDefaultAgeSeconds = 300;  // 802.1D's default Ageing Time

  // `buckets` is rounded up to a power of two.
  explicit MacTable(uint32_t buckets = 1024, uint32_t age_seconds = kDefaultAgeSeconds)
      : mask_(round_pow2(buckets) - 1),
        age_(age_seconds),
        keys_(new Keys[mask_ + 1]),
        seen_(new Seen[mask_ + 1]) {}

  enum class Learned : uint8_t { Known, New, Moved };

  // The port `mac` was last seen on, or kBridgePortNone (unknown or aged out).
  BridgePort lookup(uint64_t mac, uint32_t now) const {
    const uint32_t b = bucket(mac);
    for (uint32_t i = 0; i < kWays; ++i) {
      const uint64_t e = keys_[b].e[i].load(std::memory_order_relaxed);
      if (e != 0 && (e >> 16) == mac) {
        if (now - seen_[b].s[i].load(std::memory_order_relaxed) > age_) return kBridgePortNone;
        return static_cast<BridgePort>(e);
      }
    }
    return kBridgePortNone;
  }

  // Records that `mac` (a unicast source) arrived on `port` at second `now`.
  Learned learn(uint64_t mac, BridgePort port, uint32_t now) {
    const uint32_t b = bucket(mac);
    const uint64_t want = (mac << 16) | port;
    uint32_t victim = 0;
    uint32_t victim_age = 0;
    for (uint32_t i = 0; i < kWays; ++i) {
      const uint64_t e = keys_[b].e[i].load(std::memory_order_relaxed);
      if (e != 0 && (e >> 16) == mac) {
        // Written only when it changes: a busy station costs no store per frame.
        if (seen_[b].s[i].load(std::memory_order_relaxed) != now)
          seen_[b].s[i].store(now, std::memory_order_relaxed);
        if (e == want) return Learned::Known;
        keys_[b].e[i].store(want, std::memory_order_relaxed);
        return Learned::Moved;
      }
      // The slot to take if the address is new: an empty one, else the longest unseen.
      const uint32_t age = e == 0 ? UINT32_MAX : now - seen_[b].s[i].load(std::memory_order_relaxed);
      if (age > victim_age || i == 0) {
        victim = i;
        victim_age = age;
      }
    }
    seen_[b].s[victim].store(now, std::memory_order_relaxed);
    keys_[b].e[victim].store(want, std::memory_order_relaxed);
    return Learned::New;
  }

  // Forgets every address learned on `port` (a pseudowire that went away).
  void flush_port(BridgePort port) {
    for (uint32_t b = 0; b <= mask_; ++b)
      for (uint32_t i = 0; i < kWays; ++i) {
        const uint64_t e = keys_[b].e[i].load(std::memory_order_relaxed);
        if (e != 0 && static_cast<BridgePort>(e) == port) keys_[b].e[i].store(0, std::memory_order_relaxed);
      }
  }

  uint32_t capacity() const { return (mask_ + 1) * kWays; }
  static size_t bytes_for(uint32_t buckets) {
    return size_t{round_pow2(buckets)} * (sizeof(Keys) + sizeof(Seen));
  }

 private:
  struct alignas(64) Keys {
    std::atomic<uint64_t> e[kWays] = {};
  };
  struct Seen {
    std::atomic<uint32_t> s[kWays] = {};
  };
  static constexpr uint32_t round_pow2(uint32_t v) {
    uint32_t p = 1;
    while (p < v) p <<= 1;
    return p;
  }
  uint32_t bucket(uint64_t mac) const {
    // The low 24 bits (the NIC-specific part) vary most; mix in the OUI.
    uint64_t h = mac * 0x9e3779b97f4a7c15ULL;
    return static_cast<uint32_t>(h >> 40) & mask_;
  }

  uint32_t mask_;
  uint32_t age_;
  std::unique_ptr<Keys[]> keys_;
  std::unique_ptr<Seen[]> seen_;
};

}  // namespace l2tpgw::dp
