// SPDX-License-Identifier: Apache-2.0
// Worker counters that are not drops: what came in, what went out, what was punted.
#pragma once

#include <cstdint>
#include <string_view>

namespace l2tpgw {

#define L2TPGW_COUNTERS(X)                                             \
  X(WanRxPackets) X(WanRxOctets) X(WanTxPackets) X(WanTxOctets)        \
  X(LanRxPackets) X(LanRxOctets) X(LanTxPackets) X(LanTxOctets)        \
  X(EspDecrypted) X(EspEncrypted) X(NatTEspRx)                          \
  X(L2tpDataRx) X(L2tpDataTx)                                           \
  X(PuntIke) X(PuntL2tpControl) X(PuntPppControl) X(PuntToSelf)         \
  X(PuntArp) X(InjectRaw) X(InjectEncrypted)                            \
  X(HandoffOut) X(HandoffIn)                                            \
  X(Ipv4Reassembled) X(Ipv4Fragmented) X(IcmpSent) X(TcpMssClamped)     \
  X(NatTPeerMoved) X(Hairpin)

enum class Counter : uint8_t {
#define X(n) n,
  L2TPGW_COUNTERS(X)
#undef X
  Count
};

inline constexpr size_t kCounterCount = static_cast<size_t>(Counter::Count);

constexpr std::string_view to_string(Counter c) {
  switch (c) {
#define X(n) \
  case Counter::n: return #n;
    L2TPGW_COUNTERS(X)
#undef X
    case Counter::Count: break;
  }
  return "?";
}

}  // namespace l2tpgw
