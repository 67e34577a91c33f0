// SPDX-License-Identifier: Apache-2.0
// EventChannel: 8-byte events in, listener calls out.
#include "controlplane/punt/event_channel.hpp"

#include <algorithm>

namespace l2tpgw::cp {

void EventChannel::dispatch(uint64_t encoded) {
  const DpEvent ev = decode_dp_event(encoded);
  ExpireReason why;
  uint64_t* counter;
  switch (ev.kind) {
    case DpEventKind::SeqExhausted:
      why = ExpireReason::SeqExhausted;
      counter = &counters_.seq_exhausted;
      break;
    case DpEventKind::SeqSoft:
      why = ExpireReason::SoftLifetime;
      counter = &counters_.seq_soft;
      break;
    default:
      counters_.unknown++;
      return;
  }
  if (ev.arg == 0 || ev.arg >= tables_.sa_slots() || !tables::published(tables_.sa(ev.arg))) {
    counters_.stale++;
    return;
  }
  ++*counter;
  listener_.expire(ev.arg, tables_.sa(ev.arg).spi, why);
}

size_t EventChannel::drain(size_t budget) {
  size_t total = 0;
  uint64_t buf[32];
  while (total < budget) {
    const unsigned want = static_cast<unsigned>(std::min<size_t>(32, budget - total));
    const unsigned n = rte_ring_sc_dequeue_burst_elem(ring_, buf, sizeof(uint64_t), want, nullptr);
    for (unsigned i = 0; i < n; ++i) dispatch(buf[i]);
    total += n;
    if (n < want) break;
  }
  return total;
}

}  // namespace l2tpgw::cp
