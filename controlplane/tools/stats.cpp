// SPDX-License-Identifier: Apache-2.0
// l2tpgw-stats: the dataplane's counters, drops and per-session counters, summed over workers,
// and each lcore's loop accounting (loops, busy loops, idle back-off sleeps).
#include <rte_eal.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "common/counters.hpp"
#include "common/drop_reason.hpp"
#include "common/tables/shared_tables.hpp"
#include "controlplane/tools/eal_secondary.hpp"

namespace po = boost::program_options;
using namespace l2tpgw;

int main(int argc, char** argv) {
  po::options_description desc("Usage: l2tpgw-stats [options]\nOptions");
  std::string prefix;
  desc.add_options()("help,h", "show this help")(
      "file-prefix", po::value<std::string>(&prefix), "the dataplane's EAL --file-prefix")(
      "json", "print one JSON object")("all", "also print zero counters");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "l2tpgw-stats: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  std::string err;
  if (!cp::eal_attach_secondary("l2tpgw-stats", prefix, &err)) {
    std::fprintf(stderr, "l2tpgw-stats: %s\n", err.c_str());
    return 1;
  }
  tables::SharedTables t;
  if (!tables::SharedTables::attach(t, &err)) {
    std::fprintf(stderr, "l2tpgw-stats: %s\n", err.c_str());
    return 1;
  }
  const bool json = vm.count("json"), all = vm.count("all");
  // Workers 0..n-1 and the slowpath (n).
  uint64_t counters[kCounterCount] = {}, drops[kDropReasonCount] = {};
  for (uint32_t w = 0; w <= t.n_workers(); ++w) {
    const tables::WorkerStats& s = t.worker_stats(w);
    for (size_t i = 0; i < kCounterCount; ++i) counters[i] += s.counters[i];
    for (size_t i = 0; i < kDropReasonCount; ++i) drops[i] += s.drops[i];
  }
  if (json) {
    std::printf("{\"counters\": {");
    for (size_t i = 0; i < kCounterCount; ++i)
      std::printf("%s\"%s\": %llu", i ? ", " : "", std::string(to_string(static_cast<Counter>(i))).c_str(),
                  static_cast<unsigned long long>(counters[i]));
    std::printf("}, \"drops\": {");
    for (size_t i = 1; i < kDropReasonCount; ++i)
      std::printf("%s\"%s\": %llu", i > 1 ? ", " : "", std::string(to_string(static_cast<DropReason>(i))).c_str(),
                  static_cast<unsigned long long>(drops[i]));
    std::printf("}, \"sessions\": [");
    bool first = true;
    for (uint32_t sid = 1; sid < t.session_slots(); ++sid) {
      if (!tables::published(t.session(sid))) continue;
      const tables::SessionCounters& c = t.session_counters(sid);
      std::printf("%s{\"session\": %u, \"rx_packets\": %llu, \"rx_octets\": %llu, \"tx_packets\": %llu, \"tx_octets\": %llu}",
                  first ? "" : ", ", sid, (unsigned long long)c.rx_packets, (unsigned long long)c.rx_octets,
                  (unsigned long long)c.tx_packets, (unsigned long long)c.tx_octets);
      first = false;
    }
    // Per lcore: loop accounting (idle back-off) and the counters that are not zero.
    std::printf("], \"lcores\": [");
    for (uint32_t w = 0; w <= t.n_workers(); ++w) {
      const tables::WorkerStats& s = t.worker_stats(w);
      std::printf("%s{\"lcore\": \"%s%s\", \"loops\": %llu, \"busy_loops\": %llu, \"idle_sleeps\": %llu, \"counters\": {",
                  w ? ", " : "", w == t.n_workers() ? "slowpath" : "worker",
                  w == t.n_workers() ? "" : std::to_string(w).c_str(), (unsigned long long)s.loops,
                  (unsigned long long)s.busy_loops, (unsigned long long)s.idle_sleeps);
      bool first_c = true;
      for (size_t i = 0; i < kCounterCount; ++i) {
        if (!s.counters[i]) continue;
        std::printf("%s\"%s\": %llu", first_c ? "" : ", ", std::string(to_string(static_cast<Counter>(i))).c_str(),
                    (unsigned long long)s.counters[i]);
        first_c = false;
      }
      std::printf("}}");
    }
    std::printf("]}\n");
    return 0;
  }
  for (size_t i = 0; i < kCounterCount; ++i)
    if (all || counters[i])
      std::printf("%-24s %llu\n", std::string(to_string(static_cast<Counter>(i))).c_str(), (unsigned long long)counters[i]);
  for (size_t i = 1; i < kDropReasonCount; ++i)
    if (all || drops[i])
      std::printf("drop %-19s %llu\n", std::string(to_string(static_cast<DropReason>(i))).c_str(), (unsigned long long)drops[i]);
  for (uint32_t w = 0; w <= t.n_workers(); ++w) {
    const tables::WorkerStats& s = t.worker_stats(w);
    const std::string name = w == t.n_workers() ? "slowpath" : "worker" + std::to_string(w);
    std::printf("lcore %-18s loops %llu busy %llu idle_sleeps %llu\n", name.c_str(),
                (unsigned long long)s.loops, (unsigned long long)s.busy_loops, (unsigned long long)s.idle_sleeps);
  }
  return 0;
}
