// SPDX-License-Identifier: Apache-2.0
// AddressPool: the client addresses of one `pp select` section. `ip pp remote address pool
// FIRST-LAST ...` ranges hand out addresses; fixed addresses (`ip pp remote address A`, or a
// `pp auth username NAME PASSWORD A`) are reserved through the same object, so that no
// address is ever held by two sessions, whichever way it was chosen.
//
// The pool index of an address is its offset across the ranges in the order given, which is
// how the dataplane's pool-index table numbers them (common/tables: PoolRange::first is the
// running sum of the earlier ranges' sizes, SharedTables::pool_slot() the first range that
// holds the address): the dataplane must be started with the same ranges in the same order
// (`l2tpgw-dataplane --pool FIRST-LAST ...`).
//
// Allocation is next-fit: after the last address handed out, so that an address just given
// back is the last to be reused (the dataplane frees its pool-index entry only after an RCU
// grace period, and the client's old ARP and connection state fade meanwhile); the first
// client still gets the first address, as on an RTX.
//
// Thread context: the controlplane loop.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

namespace l2tpgw::cp::ppp {

struct AddressRange {
  uint32_t first = 0, last = 0;  // host order, inclusive
};

class AddressPool {
 public:
  AddressPool() = default;
  // Ranges with first > last are ignored. An address in several ranges belongs to the first.
  explicit AddressPool(std::vector<AddressRange> ranges);

  // A free pool address, or nullopt when every one is held (the pool is exhausted).
  std::optional<uint32_t> allocate();
  // Holds `addr` (in a range or not); false when it is already held.
  bool reserve(uint32_t addr);
  // Gives `addr` back; releasing an address not held does nothing.
  void release(uint32_t addr);
  // Never hands `addr` out (the appliance's own address inside a range, 0, 255.255.255.255).
  void exclude(uint32_t addr);

  bool held(uint32_t addr) const;
  // The dataplane's pool index of `addr`: its offset across the ranges; nullopt outside them.
  std::optional<uint32_t> pool_index(uint32_t addr) const;
  uint64_t capacity() const { return total_; }
  uint64_t in_use() const { return in_use_pool_ + fixed_.size(); }
  const std::vector<AddressRange>& ranges() const { return ranges_; }

 private:
  struct Range {
    AddressRange r;
    uint64_t first_index;  // offset of r.first across the ranges
  };
  std::optional<uint64_t> canonical_index(uint32_t addr) const;
  uint32_t address_at(uint64_t index) const;
  bool bit(uint64_t i) const { return (used_[i / 64] >> (i % 64)) & 1; }
  void set_bit(uint64_t i, bool v);

  std::vector<AddressRange> ranges_;
  std::vector<Range> index_;
  std::vector<uint64_t> used_;       // one bit per pool index: held or excluded
  std::vector<uint64_t> excluded_;   // one bit per pool index
  uint64_t total_ = 0;
  uint64_t in_use_pool_ = 0;         // held pool indexes (not excluded ones)
  uint64_t cursor_ = 0;              // next index to try
  std::set<uint32_t> fixed_;         // held addresses outside every range
};

}  // namespace l2tpgw::cp::ppp
