// SPDX-License-Identifier: Apache-2.0
// Worker counters that are not drops: what came in, what went out, what was punted.
#pragma once

#include <cstdint>
#include <string_view>

namespace l2tpgw {

// Ipv4Fragmented counts packets cut to an MTU (RFC 791), Ipv4FragmentsCreated the fragments
// they became (the first included). IcmpError*: router errors (RFC 792/1191) sent, refused by
// the per-worker rate limit, not sent because RFC 1812 §4.3.2.7 forbids it, or not built for
// want of an mbuf; the packet that caused each is counted under its own drop reason.
#define L2TPGW_COUNTERS(X)                                             \
  X(WanRxPackets) X(WanRxOctets) X(WanTxPackets) X(WanTxOctets)        \
  X(LanRxPackets) X(LanRxOctets) X(LanTxPackets) X(LanTxOctets)        \
  X(EspDecrypted) X(EspEncrypted) X(NatTEspRx)                          \
  X(L2tpDataRx) X(L2tpDataTx)                                           \
  X(PuntIke) X(PuntL2tpControl) X(PuntPppControl) X(PuntToSelf)         \
  X(PuntArp) X(InjectRaw) X(InjectEncrypted)                            \
  X(HandoffOut) X(HandoffIn)                                            \
  X(Ipv4Reassembled) X(TcpMssClamped) X(NatTPeerMoved) X(Hairpin)       \
  X(Ipv4Fragmented) X(Ipv4FragmentsCreated)                             \
  X(IcmpErrorSent) X(IcmpErrorRateLimited) X(IcmpErrorSuppressed)       \
  X(IcmpErrorNoMbuf)                                                    \
  X(L2tpv3DataRx) X(L2tpv3DataTx)                                       \
  X(BridgeFlooded) X(BridgeFloodCopies) X(BridgeLearned) X(BridgeMacMoved) \
  X(BridgeToSelf)

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
