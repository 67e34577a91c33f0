// SPDX-License-Identifier: Apache-2.0
// bridge-bench: bridged Ethernet on one worker with the real stages, in fastpath-bench's form.
// Bridge 1 is the LAN port and 1..8 L2TPv3 Ethernet pseudowires (RFC 3931 over UDP, RFC 4719),
// each to its own peer, plain (`tunnel encapsulation l2tpv3-raw`) or in ESP transport mode
// with AES-128-CBC + HMAC-SHA1-96 (`l2tpv3`, seed 001's `ipsec sa policy ... esp aes-cbc
// sha-hmac`), as the controlplane installs them (TableWriter::add_pseudowire, add_sa).
//
// lan-wan: a LAN station's frame to a station learned behind a pseudowire -> lan_classify,
//          bridge, pw_encap[, esp_encrypt] -> L2TPv3/UDP[/ESP]/IPv4 to the peer.
// wan-lan: L2TPv3 data [in ESP, encrypted by the peer's side] -> wan_classify[, esp_decrypt],
//          l2tp_decap, bridge -> the frame out of the LAN port to a learned LAN station.
// The size is the bridged Ethernet frame's (header + payload, no FCS: what the pseudowire
// carries). Only run_pipeline() is timed (rdtsc around each burst); frames are built, and for
// wan-lan encrypted, outside the timed region (bench_harness.hpp). Before each case one
// untimed round each way lets the bridge learn every station, so the timed frames are all
// known unicast. Every case checks its counters (each frame encapsulated or decapsulated, sent
// once, nothing flooded or dropped) and the run fails when one does not add up.
//
// Reference, measured in the same run: for `l2tpv3`, raw IPsec-MB doing the same cipher and
// ICV on the same ESP payload lengths at the same cache-line offset (raw_imb.hpp); for
// `l2tpv3-raw`, what a DPDK l2fwd does per frame — rewrite the Ethernet addresses and hand the
// mbuf on (here to the same freeing sink) — over the very frames the case sends in.
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_harness.hpp"
#include "common/tables/table_writer.hpp"
#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "common/wire/l2tp.hpp"
#include "dataplane/bridge/mac_table.hpp"
#include "dataplane/stages/stage_util.hpp"
#include "dataplane/worker/worker.hpp"
#include "raw_imb.hpp"

namespace {

using namespace l2tpgw;
using namespace l2tpgw::dp;
using namespace l2tpgw::bench;
namespace po = boost::program_options;

constexpr uint32_t kMaxPw = 8;
constexpr uint32_t kMaxMacs = 256;  // per side; kMaxPw × kMaxMacs fits one warm-up round
static_assert(kMaxPw * kMaxMacs <= kRound);
constexpr uint8_t kCookieIn[4] = {0xb1, 0xb2, 0xb3, 0xb4};  // the peers send, we check
constexpr uint8_t kCookieOut[4] = {0xa1, 0xa2, 0xa3, 0xa4};  // we send
// UDP + L2TPv3 data header over UDP (RFC 3931 §4.1.2.1) + 4-byte cookie, no L2-Specific Sublayer.
constexpr uint16_t kPwOverhead = 8 + wire::kL2tpv3DataHeaderLen + sizeof(kCookieIn);
// The largest frame that crosses a 1,500-byte WAN MTU unfragmented in ESP (AES-CBC, SHA1-96):
// 20 + 8 + 16 + (kPwOverhead + frame + 2 rounded up to 16) + 12 <= 1500.
constexpr uint16_t kMaxFrame = 1422;

struct Encap {
  const char* name;
  bool esp;
};
constexpr Encap kEncaps[] = {{"l2tpv3-raw", false}, {"l2tpv3", true}};
constexpr EspCipher kCipher = EspCipher::AesCbc128;
constexpr EspAuth kAuth = EspAuth::HmacSha1_96;

struct Bridge {
  Harness h;
  std::unique_ptr<MacTable> macs;
  uint32_t n_pw = 0, n_macs = 0;
  std::vector<uint32_t> pw;      // our Session IDs, one per peer
  std::vector<uint32_t> sa_in, sa_out;  // per pseudowire, `l2tpv3` only
  std::vector<uint32_t> seq;     // the peers' next ESP sequence numbers
};

rte_ether_addr lan_station(uint32_t i) {
  return {{0x02, 0x4c, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}};
}
rte_ether_addr remote_station(uint32_t pw, uint32_t i) {
  return {{0x02, 0x52, 0, static_cast<uint8_t>(pw), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}};
}

// Which pseudowire and which stations the k-th frame is between: every (pseudowire, remote
// station) pair within n_pw × n_macs frames, the LAN stations in a stride of their own.
struct Flow {
  uint32_t pw, remote, local;
};
Flow flow(const Bridge& b, uint64_t k) {
  return {static_cast<uint32_t>(k % b.n_pw), static_cast<uint32_t>((k / b.n_pw) % b.n_macs),
          static_cast<uint32_t>((k * 7919) % b.n_macs)};
}

// An Ethernet frame of `size` bytes carrying IPv4/UDP between two stations of 192.0.2.0/24.
void write_frame(uint8_t* p, const rte_ether_addr& dst, const rte_ether_addr& src, uint16_t size,
                 uint32_t src_ip, uint32_t dst_ip) {
  write_ether(p, dst, src, RTE_ETHER_TYPE_IPV4);
  write_inner(p + RTE_ETHER_HDR_LEN, static_cast<uint16_t>(size - RTE_ETHER_HDR_LEN), src_ip, dst_ip);
}

bool setup(Bridge& b, uint32_t n_pw, uint32_t n_macs, const Encap& e, std::string* err) {
  static bool made = false;
  if (!made) {
    DataplaneConfig cfg;
    cfg.wan = {kWanAddr, 24};
    cfg.lan = {kLanAddr, 24};
    cfg.bridge_lan = true;  // `bridge member bridge1 lan1 tunnel1 ...`
    cfg.sizes.max_sessions = 16;
    cfg.sizes.max_pseudowires = 64;
    cfg.sizes.n_workers = 1;
    if (!b.h.make(cfg, kMaxPw, err)) return false;
    made = true;
  }
  // A fresh learning table per case: slots of the pseudowires reinstalled below are reused.
  b.macs = std::make_unique<MacTable>(b.h.cfg.mac_table_buckets);
  b.h.shared.macs = b.macs.get();
  b.n_pw = n_pw;
  b.n_macs = n_macs;
  tables::TableWriter wr(b.h.shared.tables, 12345);
  clear_tables(wr);
  b.pw.clear();
  b.sa_in.assign(n_pw, 0);
  b.sa_out.assign(n_pw, 0);
  b.seq.assign(n_pw, 1);
  for (uint32_t i = 0; i < n_pw; ++i) {
    tables::PseudowireParams pp;
    pp.peer_session_id = 0x1000 + i;
    pp.local_addr = kWanAddr;
    pp.peer_addr = kPeerAddr + i;
    pp.local_cookie = kCookieIn;
    pp.peer_cookie = kCookieOut;
    if (e.esp) {
      if (!add_sa_pair(wr, i + 1, kPeerAddr + i, kCipher, kAuth, 0x20000 + i, &b.sa_in[i], &b.sa_out[i], err))
        return false;
      pp.peer_index = i + 1;
      pp.sa_out = b.sa_out[i];
    }
    const uint32_t id = wr.add_pseudowire(pp, err);
    if (!id) return false;
    b.pw.push_back(id);
  }
  return true;
}

// The k-th frame from the LAN: a LAN station to a station behind a pseudowire.
Built lan_frame(const Bridge& b, uint64_t k, uint16_t size, uint8_t* out) {
  const Flow f = flow(b, k);
  write_frame(out, remote_station(f.pw, f.remote), lan_station(f.local), size, kLanHost + f.local,
              kLanHost + kMaxMacs + f.remote);
  return {size, size};
}

// The k-th frame from the WAN: a peer's L2TPv3 data message [in ESP] carrying a remote
// station's frame to a LAN station.
Built wan_frame(Bridge& b, uint64_t k, uint16_t size, bool esp, uint8_t* out) {
  const Flow f = flow(b, k);
  const uint32_t udp_len = kPwOverhead + size;
  uint8_t* u = esp ? esp_udp_at(b.h.shared.tables.sa(b.sa_in[f.pw]), out) : out + RTE_ETHER_HDR_LEN + 20;
  store_be16(u, 1701);
  store_be16(u + 2, 1701);
  store_be16(u + 4, static_cast<uint16_t>(udp_len));
  store_be16(u + 6, 0);
  store_be16(u + 8, wire::kL2tpv3DataFlags);
  store_be16(u + 10, 0);
  store_be32(u + 12, b.pw[f.pw]);
  std::memcpy(u + 16, kCookieIn, sizeof(kCookieIn));
  write_frame(u + kPwOverhead, lan_station(f.local), remote_station(f.pw, f.remote), size,
              kLanHost + kMaxMacs + f.remote, kLanHost + f.local);
  if (esp) {
    const uint16_t len = esp_seal(b.h.client_crypto, b.h.shared.tables.sa(b.sa_in[f.pw]), b.seq[f.pw]++,
                                  kPeerAddr + f.pw, peer_mac(f.pw), b.h.shared.wan_mac, udp_len, out);
    return {len, size};
  }
  write_ether(out, b.h.shared.wan_mac, peer_mac(f.pw), RTE_ETHER_TYPE_IPV4);
  write_ipv4(out + RTE_ETHER_HDR_LEN, static_cast<uint16_t>(20 + udp_len), wire::kIpProtoUdp,
             kPeerAddr + f.pw, kWanAddr);
  return {static_cast<uint16_t>(RTE_ETHER_HDR_LEN + 20 + udp_len), size};
}

// What a case's counters must show: moved by exactly `n` frames one way, nothing else.
struct Snapshot {
  tables::WorkerStats st;
  uint64_t tx_wan, tx_lan, pw_rx, pw_tx, sa_packets;
};
Snapshot snapshot(const Bridge& b, bool to_wan) {
  const tables::SharedTables& t = b.h.shared.tables;
  Snapshot s{t.worker_stats(0), b.h.w->bench_tx_wan, b.h.w->bench_tx_lan, 0, 0, 0};
  for (uint32_t i = 0; i < b.n_pw; ++i) {
    const tables::SessionCounters& pc = t.pw_counters(tables::pw_slot(b.pw[i]));
    s.pw_rx += pc.rx_packets;
    s.pw_tx += pc.tx_packets;
    const uint32_t sa = to_wan ? b.sa_out[i] : b.sa_in[i];
    if (sa) s.sa_packets += t.sa_counters(sa).packets;
  }
  return s;
}

int check(const Bridge& b, const Snapshot& before, bool to_wan, bool esp, uint64_t n, const std::string& what) {
  const Snapshot now = snapshot(b, to_wan);
  auto moved = [&](Counter c) {
    return now.st.counters[static_cast<size_t>(c)] - before.st.counters[static_cast<size_t>(c)];
  };
  struct {
    const char* name;
    uint64_t got, want;
  } const rows[] = {
      {"sent out of the WAN port", now.tx_wan - before.tx_wan, to_wan ? n : 0},
      {"sent out of the LAN port", now.tx_lan - before.tx_lan, to_wan ? 0 : n},
      {"L2tpv3DataTx", moved(Counter::L2tpv3DataTx), to_wan ? n : 0},
      {"L2tpv3DataRx", moved(Counter::L2tpv3DataRx), to_wan ? 0 : n},
      {"pseudowire tx_packets", now.pw_tx - before.pw_tx, to_wan ? n : 0},
      {"pseudowire rx_packets", now.pw_rx - before.pw_rx, to_wan ? 0 : n},
      {"ESP packets of the pseudowires' SAs", now.sa_packets - before.sa_packets, esp ? n : 0},
      {"BridgeFlooded", moved(Counter::BridgeFlooded), 0},
      {"BridgeLearned", moved(Counter::BridgeLearned), 0},
      {"BridgeMacMoved", moved(Counter::BridgeMacMoved), 0},
  };
  int bad = report_drops("bridge-bench", what + ": ", before.st, now.st);
  for (const auto& r : rows)
    if (r.got != r.want) {
      ++bad;
      std::fprintf(stderr, "bridge-bench: %s: %s: %llu, expected %llu\n", what.c_str(), r.name,
                   (unsigned long long)r.got, (unsigned long long)r.want);
    }
  return bad;
}

// Where the ESP header sits past a cache line (raw_imb.hpp): wan-lan as received, behind
// Ethernet and IPv4; lan-wan the frame stays where it was received and pw_encap and
// esp_encrypt prepend UDP + L2TPv3 + cookie and ESP + IV in front of it.
uint32_t esp_offset(bool to_wan) {
  const uint32_t off = to_wan ? RTE_PKTMBUF_HEADROOM - kPwOverhead - 8 - info(kCipher).iv_len
                              : RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN + 20;
  return off % 64;
}

// DPDK l2fwd's work per frame (examples/l2fwd's l2fwd_mac_updating): the Ethernet addresses
// rewritten, then the burst handed on, here to the sink the pipeline's TX uses.
void l2fwd_burst(Burst& burst) {
  for (uint16_t i = 0; i < burst.n; ++i) {
    auto* eth = rte_pktmbuf_mtod(burst.pkts[i], rte_ether_hdr*);
    const rte_ether_addr src = eth->src_addr;
    eth->src_addr = eth->dst_addr;
    eth->dst_addr = src;
  }
  rte_pktmbuf_free_bulk(burst.pkts.data(), burst.n);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc(
      "bridge-bench: bridged Ethernet over L2TPv3 pseudowires on one worker\nOptions");
  bool csv = false, stage_cycles = false;
  double raw_seconds = 0.3;
  uint64_t packets = 200000;
  uint32_t n_macs = 16;
  std::string pws_s = "1,4", sizes_s = "64,1400", encaps_s = "l2tpv3-raw,l2tpv3", dirs_s = "lan-wan,wan-lan";
  desc.add_options()("help,h", "show this help")("csv", po::bool_switch(&csv), "one CSV row per case")(
      "packets", po::value<uint64_t>(&packets)->default_value(packets), "packets per case")(
      "pseudowires", po::value<std::string>(&pws_s)->default_value(pws_s), "comma list (1..8), one peer each")(
      "macs", po::value<uint32_t>(&n_macs)->default_value(n_macs),
      "stations per side: on the LAN, and behind each pseudowire (1..256)")(
      "sizes", po::value<std::string>(&sizes_s)->default_value(sizes_s),
      "bridged Ethernet frame sizes without FCS, comma list (64..1422)")(
      "encaps", po::value<std::string>(&encaps_s)->default_value(encaps_s),
      "l2tpv3-raw (plain) and/or l2tpv3 (ESP AES-128-CBC + HMAC-SHA1-96)")(
      "directions", po::value<std::string>(&dirs_s)->default_value(dirs_s), "lan-wan and/or wan-lan")(
      "stage-cycles", po::bool_switch(&stage_cycles),
      "also run each case with the TSC read around every stage and print cycles per packet per stage")(
      "raw-seconds", po::value<double>(&raw_seconds)->default_value(raw_seconds, "0.3"),
      "time per raw IPsec-MB measurement");
  if (const auto done = parse_options("bridge-bench", desc, argc, argv)) return *done;
  if (n_macs == 0 || n_macs > kMaxMacs) {
    std::fprintf(stderr, "bridge-bench: --macs must be 1..%u\n", kMaxMacs);
    return 2;
  }
  std::vector<uint32_t> pws;
  std::vector<uint16_t> sizes;
  for (const std::string& s : split(pws_s)) pws.push_back(static_cast<uint32_t>(std::stoul(s)));
  for (const std::string& s : split(sizes_s)) sizes.push_back(static_cast<uint16_t>(std::stoul(s)));
  for (uint32_t n : pws)
    if (n == 0 || n > kMaxPw) {
      std::fprintf(stderr, "bridge-bench: --pseudowires must be 1..%u\n", kMaxPw);
      return 2;
    }
  const std::vector<std::string> encaps = split(encaps_s), dirs = split(dirs_s);
  for (const std::string& s : encaps)
    if (s != kEncaps[0].name && s != kEncaps[1].name) {
      std::fprintf(stderr, "bridge-bench: unknown encapsulation %s\n", s.c_str());
      return 2;
    }
  for (const std::string& s : dirs)
    if (s != "lan-wan" && s != "wan-lan") {
      std::fprintf(stderr, "bridge-bench: unknown direction %s\n", s.c_str());
      return 2;
    }
  for (uint16_t z : sizes)
    if (z < 64 || z > kMaxFrame) {
      std::fprintf(stderr, "bridge-bench: --sizes must be 64..%u\n", kMaxFrame);
      return 2;
    }
  if (!eal_init("bridge-bench")) return 1;

  if (csv) {
    std::printf("direction,encapsulation,frame_size,pseudowires,macs,mpps,gbps,cycles_per_packet,reference,ref_mpps,ratio\n");
  } else {
    std::printf("# one worker; size = bridged Ethernet frame without FCS; Gbit/s of those frames;\n"
                "# reference, same run: raw-imb = IPsec-MB alone on the same ESP payloads,"
                " l2fwd = MAC rewrite + free of the same input frames\n");
    std::printf("%-8s %-10s %5s %4s %5s %8s %8s %8s %-8s %8s %6s\n", "dir", "encap", "frame", "pws", "macs",
                "Mpps", "Gbit/s", "cyc/pkt", "ref", "ref Mpps", "ratio");
  }
  Bridge b;
  int failures = 0;
  for (const Encap& e : kEncaps) {
    if (std::find(encaps.begin(), encaps.end(), e.name) == encaps.end()) continue;
    for (uint32_t n_pw : pws) {
      for (uint16_t size : sizes) {
        for (bool to_wan : {true, false}) {
          if (std::find(dirs.begin(), dirs.end(), to_wan ? "lan-wan" : "wan-lan") == dirs.end()) continue;
          std::string err;
          if (!setup(b, n_pw, n_macs, e, &err)) {
            std::fprintf(stderr, "bridge-bench: cannot install %u pseudowires: %s\n", n_pw, err.c_str());
            return 1;
          }
          WorkerCtx& w = *b.h.w;
          auto build = [&](bool wan_side) {
            return [&b, size, wan_side, esp = e.esp](uint64_t k, uint8_t* out) {
              return wan_side ? wan_frame(b, k, size, esp, out) : lan_frame(b, k, size, out);
            };
          };
          auto pipeline = [&](Burst& burst) { run_pipeline(w, burst); };
          const Next entry = to_wan ? Next::LanClassify : Next::WanClassify;
          // Untimed: the remote stations speak first (flooded: the LAN's are unknown yet), then
          // the LAN's, so that the bridge has learned every station on its port.
          time_bursts(b.h.pool, Next::WanClassify, 1, build(true), pipeline);
          time_bursts(b.h.pool, Next::LanClassify, 1, build(false), pipeline);
          const std::string what = std::string(to_wan ? "lan-wan " : "wan-lan ") + e.name + " " +
                                   std::to_string(size) + " B " + std::to_string(n_pw) + " pw";
          Snapshot before = snapshot(b, to_wan);
          const Figures f = time_bursts(b.h.pool, entry, packets, build(!to_wan), pipeline);
          failures += check(b, before, to_wan, e.esp, f.packets, what);
          double ref_pps = 0;
          if (e.esp) {
            const uint32_t udp = kPwOverhead + size;
            const uint32_t ct = udp + wire::esp_pad_length(udp, info(kCipher).block_align) + 2;
            ref_pps = measure_raw_imb(kCipher, kAuth, to_wan, ct, 64, raw_seconds, esp_offset(to_wan)).pps;
          } else {
            ref_pps = time_bursts(b.h.pool, entry, packets, build(!to_wan), l2fwd_burst).mpps * 1e6;
          }
          const char* ref = e.esp ? "raw-imb" : "l2fwd";
          const double ratio = f.mpps * 1e6 / ref_pps;
          if (csv)
            std::printf("%s,%s,%u,%u,%u,%.3f,%.3f,%.0f,%s,%.3f,%.3f\n", to_wan ? "lan-wan" : "wan-lan", e.name,
                        size, n_pw, n_macs, f.mpps, f.gbps, f.cycles_per_packet, ref, ref_pps / 1e6, ratio);
          else
            std::printf("%-8s %-10s %5u %4u %5u %8.3f %8.3f %8.0f %-8s %8.3f %6.2f\n", to_wan ? "lan-wan" : "wan-lan",
                        e.name, size, n_pw, n_macs, f.mpps, f.gbps, f.cycles_per_packet, ref, ref_pps / 1e6, ratio);
          if (stage_cycles) {
            // A second, instrumented run: its total is a little above the figures above.
            uint64_t cyc[kStageCount] = {};
            before = snapshot(b, to_wan);
            const Figures g = time_bursts(b.h.pool, entry, packets, build(!to_wan),
                                          [&](Burst& burst) { run_pipeline_profiled(w, burst, cyc); });
            failures += check(b, before, to_wan, e.esp, g.packets, what + " (stage cycles)");
            std::printf(csv ? "# stage cycles/packet:" : "  stage cycles/packet:");
            for (size_t s = 0; s < kStageCount; ++s)
              if (cyc[s] / g.packets) std::printf(" %s %.0f", kStageNames[s], double(cyc[s]) / g.packets);
            std::printf("\n");
          }
          std::fflush(stdout);
        }
      }
    }
  }
  if (failures) std::fprintf(stderr, "bridge-bench: FAILED: the pipeline did not forward what it was given\n");
  return failures ? 1 : 0;
}
