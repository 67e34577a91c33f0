// SPDX-License-Identifier: Apache-2.0
// EventChannel: drains the dataplane-events ring (common/punt.hpp DpEvent) on the controlplane
// loop and turns each event into an InstallerListener call (kernel_listener_t).
#pragma once

#include <rte_ring.h>

#include <cstdint>

#include "common/punt.hpp"
#include "common/tables/shared_tables.hpp"
#include "controlplane/install/installer.hpp"

namespace l2tpgw::cp {

struct EventCounters {
  uint64_t seq_exhausted = 0;
  uint64_t seq_soft = 0;
  uint64_t unknown = 0;     // a kind this controlplane does not know (newer dataplane)
  uint64_t stale = 0;       // names an SA slot that is no longer installed
  uint64_t total() const { return seq_exhausted + seq_soft + unknown + stale; }
};

class EventChannel {
 public:
  // `tables` resolves slots to SPIs for the listener; the listener must outlive the channel.
  EventChannel(rte_ring* ring, const tables::SharedTables& tables, InstallerListener& listener)
      : ring_(ring), tables_(tables), listener_(listener) {}

  // Dequeues and dispatches up to `budget` events; returns how many there were.
  size_t drain(size_t budget);
  // Dispatches one encoded event (what drain() does per element).
  void dispatch(uint64_t encoded);

  const EventCounters& counters() const { return counters_; }

 private:
  rte_ring* ring_;
  tables::SharedTables tables_;
  InstallerListener& listener_;
  EventCounters counters_;
};

}  // namespace l2tpgw::cp
