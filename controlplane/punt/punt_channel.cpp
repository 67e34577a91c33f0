// SPDX-License-Identifier: Apache-2.0
// PuntChannel: dequeue in bursts, classify, count, dispatch, free.
#include "controlplane/punt/punt_channel.hpp"

#include <algorithm>

namespace l2tpgw::cp {
namespace {
constexpr unsigned kBurst = 32;
}

const PuntHandler* handler_for(const PuntHandlers& h, PuntClass c) {
  switch (c) {
    case PuntClass::Ike:
    case PuntClass::IkeNatT: return &h.ike;
    case PuntClass::L2tpControl: return &h.l2tp_control;
    case PuntClass::PppLcp:
    case PuntClass::PppAuth:
    case PuntClass::PppIpcp:
    case PuntClass::PppCcp:
    case PuntClass::PppOther: return &h.ppp_control;
    case PuntClass::ToSelf: return &h.to_self;
    case PuntClass::Malformed:
    case PuntClass::Unknown:
    case PuntClass::Count: break;
  }
  return nullptr;
}

void PuntChannel::dispatch(rte_mbuf* m) {
  const PktMeta& md = meta(m);
  PuntInfo info;
  // The dataplane punts single segments; a chain is linearised into its first segment.
  if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
    counters_.linearize_failed++;
    info.cls = PuntClass::Malformed;
  } else {
    info = classify_punt(md, std::span<const uint8_t>(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len));
  }
  const size_t c = static_cast<size_t>(info.cls);
  counters_.packets[c]++;
  counters_.octets[c] += m->pkt_len;
  // The outer source of what the dataplane decrypted (its ICV checked) is the peer's now.
  const bool decrypted = md.punt_kind == PuntKind::L2tpControl || md.punt_kind == PuntKind::PppControl;
  if (decrypted && md.natt && md.sa_slot != 0 && handlers_.natt_source)
    handlers_.natt_source(md.sa_slot, md.outer_src, md.outer_sport);
  const PuntHandler* h = handler_for(handlers_, info.cls);
  if (h && *h) {
    PuntedPacket p{m, md, info,
                   std::span<const uint8_t>(rte_pktmbuf_mtod(m, const uint8_t*) + info.payload_off,
                                            info.payload_len)};
    const PuntVerdict v = (*h)(p);
    if (v != PuntVerdict::Declined) {
      counters_.handled++;
      if (v == PuntVerdict::Kept) return;
      rte_pktmbuf_free(m);
      return;
    }
  }
  counters_.unhandled++;
  rte_pktmbuf_free(m);
}

size_t PuntChannel::drain(size_t budget) {
  size_t total = 0;
  rte_mbuf* pkts[kBurst];
  while (total < budget) {
    const unsigned want = static_cast<unsigned>(std::min<size_t>(kBurst, budget - total));
    const unsigned n = rte_ring_sc_dequeue_burst(ring_, reinterpret_cast<void**>(pkts), want, nullptr);
    for (unsigned i = 0; i < n; ++i) dispatch(pkts[i]);
    total += n;
    if (n < want) break;
  }
  return total;
}

}  // namespace l2tpgw::cp
