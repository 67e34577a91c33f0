// SPDX-License-Identifier: Apache-2.0
// AddressPool: a bitmap over the ranges' pool indexes, next-fit allocation.
#include "controlplane/ppp/address_pool.hpp"

namespace l2tpgw::cp::ppp {

namespace {

// 16 Mi addresses (a 2 MiB bitmap): far past the 65,535 sessions the tables hold. Addresses
// of larger ranges past this are never handed out.
constexpr uint64_t kMaxPoolAddresses = uint64_t{1} << 24;

}  // namespace

AddressPool::AddressPool(std::vector<AddressRange> ranges) : ranges_(std::move(ranges)) {
  for (const AddressRange& r : ranges_) {
    if (r.first > r.last || total_ >= kMaxPoolAddresses) continue;
    uint64_t size = uint64_t{r.last} - r.first + 1;
    if (size > kMaxPoolAddresses - total_) size = kMaxPoolAddresses - total_;
    index_.push_back(Range{AddressRange{r.first, static_cast<uint32_t>(r.first + (size - 1))}, total_});
    total_ += size;
  }
  used_.assign((total_ + 63) / 64, 0);
  excluded_.assign((total_ + 63) / 64, 0);
  exclude(0);
  exclude(0xffffffff);
}

void AddressPool::set_bit(uint64_t i, bool v) {
  const uint64_t m = uint64_t{1} << (i % 64);
  if (v) used_[i / 64] |= m;
  else used_[i / 64] &= ~m;
}

std::optional<uint64_t> AddressPool::canonical_index(uint32_t addr) const {
  for (const Range& x : index_) {
    if (addr >= x.r.first && addr <= x.r.last) return x.first_index + (addr - x.r.first);
  }
  return std::nullopt;
}

std::optional<uint32_t> AddressPool::pool_index(uint32_t addr) const {
  const auto i = canonical_index(addr);
  if (!i) return std::nullopt;
  return static_cast<uint32_t>(*i);
}

uint32_t AddressPool::address_at(uint64_t index) const {
  for (const Range& x : index_) {
    const uint64_t size = uint64_t{x.r.last} - x.r.first + 1;
    if (index >= x.first_index && index - x.first_index < size)
      return static_cast<uint32_t>(x.r.first + (index - x.first_index));
  }
  return 0;
}

std::optional<uint32_t> AddressPool::allocate() {
  if (total_ == 0) return std::nullopt;
  uint64_t i = cursor_ % total_;
  for (uint64_t seen = 0; seen < total_;) {
    // A full word of held addresses is skipped whole.
    if (i % 64 == 0 && used_[i / 64] == ~uint64_t{0} && total_ - i >= 64) {
      i += 64;
      seen += 64;
    } else {
      if (!bit(i)) {
        const uint32_t addr = address_at(i);
        // An address of two ranges belongs to the first: its later index is never used.
        if (canonical_index(addr) == i) {
          set_bit(i, true);
          ++in_use_pool_;
          cursor_ = i + 1;
          return addr;
        }
      }
      ++i;
      ++seen;
    }
    if (i >= total_) i = 0;
  }
  return std::nullopt;
}

bool AddressPool::reserve(uint32_t addr) {
  if (const auto i = canonical_index(addr)) {
    if (bit(*i)) return false;
    set_bit(*i, true);
    ++in_use_pool_;
    return true;
  }
  return fixed_.insert(addr).second;
}

void AddressPool::release(uint32_t addr) {
  if (const auto i = canonical_index(addr)) {
    const bool excluded = (excluded_[*i / 64] >> (*i % 64)) & 1;
    if (bit(*i) && !excluded) {
      set_bit(*i, false);
      --in_use_pool_;
    }
    return;
  }
  fixed_.erase(addr);
}

void AddressPool::exclude(uint32_t addr) {
  const auto i = canonical_index(addr);
  if (!i) return;
  if (bit(*i)) {
    const bool excluded = (excluded_[*i / 64] >> (*i % 64)) & 1;
    if (!excluded) --in_use_pool_;  // held: it now stays held for good
  }
  set_bit(*i, true);
  excluded_[*i / 64] |= uint64_t{1} << (*i % 64);
}

bool AddressPool::held(uint32_t addr) const {
  if (const auto i = canonical_index(addr)) return bit(*i);
  return fixed_.contains(addr);
}

}  // namespace l2tpgw::cp::ppp
