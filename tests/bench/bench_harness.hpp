// SPDX-License-Identifier: Apache-2.0
// What fastpath-bench and bridge-bench share: frame writers, client-side ESP, the EAL and
// worker set-up for one benchmark worker, and the timed loop (rdtsc around each burst only).
#pragma once

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/tables/shared_tables.hpp"
#include "common/tables/table_writer.hpp"
#include "dataplane/crypto/imb_engine.hpp"
#include "dataplane/dp_config.hpp"
#include "dataplane/neighbor.hpp"
#include "dataplane/worker/worker.hpp"

namespace l2tpgw::bench {

struct Figures {
  double mpps, gbps, cycles_per_packet;
  uint64_t packets;  // timed (whole rounds: at least what was asked)
  // The fastest round's cycles per packet: on a shared machine the mean carries every
  // preemption, the best round carries almost none.
  double best_cycles_per_packet = 0;
  // time_bursts(..., alternate): the fastest odd round's (best_cycles_per_packet is then the
  // fastest even round's): two kinds of traffic, built by round parity, measured in turns.
  double best_odd_cycles_per_packet = 0;
};

// Documentation addresses: our WAN and LAN addresses, and the first peer's WAN address.
inline constexpr uint32_t kWanAddr = 0xCB007101;   // 203.0.113.1
inline constexpr uint32_t kPeerAddr = 0xCB00710A;  // 203.0.113.10 (+i for peer i)
inline constexpr uint32_t kLanAddr = 0xC0000201;   // 192.0.2.1
inline constexpr uint32_t kLanHost = 0xC000020A;   // 192.0.2.10

void write_ipv4(uint8_t* p, uint16_t total, uint8_t proto, uint32_t src, uint32_t dst);
void write_ether(uint8_t* p, const rte_ether_addr& dst, const rte_ether_addr& src, uint16_t type);
// An IPv4/UDP packet of `size` (>= 28) bytes from `src` to `dst`.
void write_inner(uint8_t* p, uint16_t size, uint32_t src, uint32_t dst);
// The MAC address of WAN peer `i` (peer_mac(0) answers for kPeerAddr).
rte_ether_addr peer_mac(uint32_t i);

// A client's ESP (transport mode, no NAT-T) around a UDP datagram, as the remote end sends it:
// write the `udp_len`-byte datagram at esp_udp_at(sa, frame), then esp_seal() writes the
// Ethernet, IPv4 and ESP headers, the trailer, and encrypts with `client` (IPsec-MB).
// Returns the frame's length.
inline uint8_t* esp_udp_at(const tables::SaRecord& sa, uint8_t* frame) {
  return frame + RTE_ETHER_HDR_LEN + 20 + 8 + sa.crypto.iv_len;
}
uint16_t esp_seal(dp::ImbEngine& client, const tables::SaRecord& sa, uint32_t seq, uint32_t src,
                  const rte_ether_addr& src_mac, const rte_ether_addr& dst_mac, uint32_t udp_len,
                  uint8_t* frame);

// EAL on hugepages (as in production: 4 KiB pages would measure TLB misses), one lcore, no
// ports. False with a message on stderr.
bool eal_init(const char* prog);
std::vector<std::string> split(const std::string& s);
// Parses the command line into `desc`'s variables. Returns the exit status when the program
// is done (2 on a bad option, 0 after --help, which `desc` must offer), else nullopt.
std::optional<int> parse_options(const char* prog, const boost::program_options::options_description& desc,
                                 int argc, char** argv);

// One benchmark worker over the real tables and stages, its TX a counting sink
// (SinkMode::Bench). make() creates the tables once; cfg may change between cases only in
// what the stages read per packet.
struct Harness {
  rte_mempool* pool = nullptr;
  dp::DataplaneConfig cfg;
  dp::DataplaneShared shared;
  std::unique_ptr<dp::NeighborTable> wan_neigh, lan_neigh;
  std::unique_ptr<dp::WorkerCtx> w;
  dp::ImbEngine client_crypto;  // the remote side's, to build inbound ESP traffic
  // Creates the mbuf pool, tables, rings, neighbours (peers 0..n_peers-1 and kLanHost) and
  // the worker from `cfg`. False with `err`.
  bool make(const dp::DataplaneConfig& cfg, uint32_t n_peers, std::string* err);
  const tables::WorkerStats& stats() const { return *w->stats; }
};

// Removes everything installed (sessions, tunnels, pseudowires, SAs) and waits for the slots.
void clear_tables(tables::TableWriter& wr);
// Installs an inbound SA (SPI chosen by the writer) and an outbound one (`out_spi`) of IPsec
// peering `peer_index` between kWanAddr and `peer`, with fixed keys. False with `err`.
bool add_sa_pair(tables::TableWriter& wr, uint32_t peer_index, uint32_t peer, EspCipher cipher,
                 EspAuth auth, uint32_t out_spi, uint32_t* in, uint32_t* out, std::string* err);

// Drops recorded in `now` but not in `before`, printed to stderr as `prog: what: drop X: n`;
// returns how many reasons moved.
int report_drops(const char* prog, const std::string& what, const tables::WorkerStats& before,
                 const tables::WorkerStats& now);

// Times `packets` packets (rounded up to whole rounds of kRound): builds kRound frames with
// build(k, frame) -> {length, counted bytes} outside the timed region, copies each burst into
// fresh mbufs entering at `entry`, and reads the TSC around run(burst) only. Gbit/s counts the
// builder's "counted bytes" (what the benchmark calls the packet's size). With `alternate`,
// the builder makes even and odd rounds (k / kRound) of two kinds of traffic, and the fastest
// round of each is reported: on a machine whose speed swings between minutes, two cases run
// one after the other cannot be compared, two run in turns can.
struct Built {
  uint16_t len;
  uint32_t bytes;
};
inline constexpr uint32_t kRound = 2048;
inline constexpr uint32_t kFrameMax = 1600;

template <class Build, class Run>
Figures time_bursts(rte_mempool* pool, dp::Next entry, uint64_t packets, Build&& build, Run&& run,
                    bool alternate = false) {
  std::vector<std::array<uint8_t, kFrameMax>> frames(kRound);
  std::vector<uint16_t> lens(kRound);
  uint64_t cycles = 0, done = 0, bytes = 0, k = 0, best[2] = {UINT64_MAX, UINT64_MAX};
  dp::Burst burst;
  while (done < packets) {
    for (uint32_t i = 0; i < kRound; ++i, ++k) {
      const Built f = build(k, frames[i].data());
      lens[i] = f.len;
      bytes += f.bytes;
    }
    const uint64_t round_start = cycles;
    for (uint32_t i = 0; i < kRound; i += dp::kMaxBurst) {
      if (rte_pktmbuf_alloc_bulk(pool, burst.pkts.data(), dp::kMaxBurst) != 0) return {0, 0, 0, done};
      for (uint16_t j = 0; j < dp::kMaxBurst; ++j) {
        rte_mbuf* m = burst.pkts[j];
        std::memcpy(rte_pktmbuf_append(m, lens[i + j]), frames[i + j].data(), lens[i + j]);
        burst.next[j] = entry;
      }
      burst.n = dp::kMaxBurst;
      const uint64_t t0 = rte_rdtsc_precise();
      run(burst);
      cycles += rte_rdtsc_precise() - t0;
    }
    const bool odd = alternate && (done / kRound) % 2 == 1;
    done += kRound;
    best[odd] = std::min(best[odd], cycles - round_start);
  }
  const double secs = static_cast<double>(cycles) / rte_get_tsc_hz();
  return {done / secs / 1e6, bytes * 8 / secs / 1e9, static_cast<double>(cycles) / done, done,
          static_cast<double>(best[0]) / kRound, alternate ? static_cast<double>(best[1]) / kRound : 0};
}

}  // namespace l2tpgw::bench
