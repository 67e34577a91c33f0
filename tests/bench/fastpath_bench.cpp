// SPDX-License-Identifier: Apache-2.0
// fastpath-bench: the real fastpath stages on one worker over synthetic traffic, against the
// raw Intel IPsec-MB burst doing the same crypto on the same sizes, measured in the same run.
//
// Upstream: ESP(transport)/UDP 1701/L2TPv2/PPP/IPv4 frames from clients -> LAN frames.
// Downstream: LAN IPv4 frames -> PPP/L2TP/UDP/ESP/IPv4 frames to clients.
// Only run_pipeline() is timed (rdtsc around each burst). Packets are built and, upstream,
// encrypted by the client side outside the timed region, then copied into fresh mbufs just
// before each burst: they are cache-warm, as after a NIC's DDIO write, and the TX stage
// frees them instead of handing them to a port (SinkMode::Bench).
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/tables/table_writer.hpp"
#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/mbuf_meta.hpp"
#include "dataplane/stages/stage_util.hpp"
#include "dataplane/worker/worker.hpp"
#include "raw_imb.hpp"

namespace {

using namespace l2tpgw;
using namespace l2tpgw::dp;
namespace po = boost::program_options;

// RFC 2544 benchmark range for client addresses; documentation ranges for the rest.
constexpr uint32_t kPoolBase = 0xC6120000;   // 198.18.0.0/15
constexpr uint32_t kWanAddr = 0xCB007101;    // 203.0.113.1
constexpr uint32_t kPeerAddr = 0xCB00710A;   // 203.0.113.10
constexpr uint32_t kLanAddr = 0xC0000201;    // 192.0.2.1
constexpr uint32_t kLanHost = 0xC000020A;    // 192.0.2.10
constexpr uint32_t kMaxSessionsBench = 64000;
constexpr uint16_t kL2tpOverhead = 8 + 6 + 4;  // UDP + L2TPv2 data header + PPP (FF 03 00 21)

struct Algo {
  const char* name;
  EspCipher cipher;
  EspAuth auth;
};
constexpr Algo kAlgos[] = {
    {"aes128cbc-sha1", EspCipher::AesCbc128, EspAuth::HmacSha1_96},
    {"aes256cbc-sha256", EspCipher::AesCbc256, EspAuth::HmacSha256_128},
    {"aes128gcm", EspCipher::AesGcm128, EspAuth::None},
};

struct Figures {
  double mpps, gbps, cycles_per_packet;
};

struct Bench {
  rte_mempool* pool = nullptr;
  DataplaneConfig cfg;
  DataplaneShared shared;
  std::unique_ptr<NeighborTable> wan_neigh, lan_neigh;
  std::unique_ptr<WorkerCtx> w;
  ImbEngine client_crypto;  // the clients' side, to build upstream traffic
  std::vector<uint16_t> sessions;
  std::vector<uint32_t> sa_in;
  std::vector<uint32_t> seq;  // next sequence number per session (upstream)
};

void put16(uint8_t* p, uint16_t v) { store_be16(p, v); }
void put32(uint8_t* p, uint32_t v) { store_be32(p, v); }

void write_ipv4(uint8_t* p, uint16_t total, uint8_t proto, uint32_t src, uint32_t dst) {
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, total);
  put32(p + 4, 0);
  p[8] = 64;
  p[9] = proto;
  put16(p + 10, 0);
  put32(p + 12, src);
  put32(p + 16, dst);
  put16(p + 10, wire::fold_checksum(wire::ones_sum(p, 20)));
}

void write_ether(uint8_t* p, const rte_ether_addr& dst, const rte_ether_addr& src, uint16_t type) {
  std::memcpy(p, dst.addr_bytes, 6);
  std::memcpy(p + 6, src.addr_bytes, 6);
  put16(p + 12, type);
}

// An inner IPv4/UDP packet of `size` bytes from `src` to `dst`.
void write_inner(uint8_t* p, uint16_t size, uint32_t src, uint32_t dst) {
  write_ipv4(p, size, wire::kIpProtoUdp, src, dst);
  put16(p + 20, 5000);
  put16(p + 22, 5001);
  put16(p + 24, static_cast<uint16_t>(size - 20));
  put16(p + 26, 0);
  for (uint16_t i = 28; i < size; ++i) p[i] = static_cast<uint8_t>(i);
}

bool setup(Bench& b, uint32_t n_sessions, const Algo& a, std::string* err) {
  b.cfg = DataplaneConfig{};
  b.cfg.wan = {kWanAddr, 24};
  b.cfg.lan = {kLanAddr, 24};
  b.cfg.sizes.max_sessions = kMaxSessionsBench;
  b.cfg.sizes.n_workers = 1;
  b.cfg.sizes.n_pools = 1;
  b.cfg.sizes.pools[0] = {kPoolBase, 1u << 17, 0};
  static bool tables_made = false;
  if (!tables_made) {
    if (!tables::SharedTables::create(b.cfg.sizes, b.shared.tables, err)) return false;
    b.shared.sa_runtime = static_cast<SaRuntime*>(
        rte_zmalloc("bench_sa_rt", sizeof(SaRuntime) * b.shared.tables.sa_slots(), 64));
    b.shared.punt = rte_ring_create("bench_punt", 1024, 0, 0);
    b.shared.slowpath = rte_ring_create("bench_slow", 1024, 0, 0);
    b.shared.arp_hold = rte_ring_create("bench_hold", 1024, 0, 0);
    b.shared.events = rte_ring_create_elem("bench_ev", 8, 1024, 0, 0);
    b.wan_neigh = std::make_unique<NeighborTable>(b.cfg.wan);
    b.lan_neigh = std::make_unique<NeighborTable>(b.cfg.lan);
    const rte_ether_addr peer_mac{{0x02, 0, 0, 0, 0, 0x0a}}, host_mac{{0x02, 0, 0, 0, 1, 0x0a}};
    b.wan_neigh->learn(kPeerAddr, peer_mac);
    b.lan_neigh->learn(kLanHost, host_mac);
    b.shared.wan_neigh = b.wan_neigh.get();
    b.shared.lan_neigh = b.lan_neigh.get();
    b.shared.wan_mac = {{0x02, 0, 0, 0, 0, 1}};
    b.shared.lan_mac = {{0x02, 0, 0, 0, 1, 1}};
    b.shared.n_workers = 1;
    b.w = std::make_unique<WorkerCtx>();
    b.w->dp = &b.shared;
    b.w->stats = &b.shared.tables.worker_stats(0);
    b.w->sink = SinkMode::Bench;
    if (!b.w->crypto.init(err) || !b.client_crypto.init(err)) return false;
    tables_made = true;
  }
  b.shared.cfg = &b.cfg;
  // (Re)install n sessions with this algorithm, all through the install API.
  tables::TableWriter wr(b.shared.tables, 12345);
  for (uint16_t s : wr.installed_sessions()) wr.del_session(s);
  for (uint16_t t : wr.installed_tunnels()) wr.del_tunnel(t);
  for (uint32_t s : wr.installed_sas()) wr.del_sa(s);
  wr.reclaim(true);
  b.sessions.clear();
  b.sa_in.clear();
  b.seq.assign(n_sessions, 1);
  uint8_t ek[36], ak[32];
  for (int i = 0; i < 36; ++i) ek[i] = static_cast<uint8_t>(i * 7 + 1);
  for (int i = 0; i < 32; ++i) ak[i] = static_cast<uint8_t>(i * 3 + 2);
  const size_t ekl = esp_enc_keymat_len(a.cipher), akl = info(a.auth).key_len;
  for (uint32_t i = 0; i < n_sessions; ++i) {
    tables::SaParams sp;
    sp.peer_index = i + 1;
    sp.replay_window = 64;
    sp.local_addr = kWanAddr;
    sp.peer_addr = kPeerAddr;
    sp.cipher = a.cipher;
    sp.auth = a.auth;
    sp.enc_key = {ek, ekl};
    sp.auth_key = {ak, akl};
    sp.direction = tables::SaDirection::Inbound;
    const uint32_t in = wr.add_sa(sp, err);
    sp.direction = tables::SaDirection::Outbound;
    sp.spi = 0x10000 + i;
    const uint32_t out = wr.add_sa(sp, err);
    if (!in || !out) return false;
    tables::TunnelParams tp;
    tp.peer_index = i + 1;
    tp.sa_out = out;
    tp.peer_tunnel_id = static_cast<uint16_t>(i + 1);
    const uint16_t tid = wr.add_tunnel(tp, err);
    tables::SessionParams ss;
    ss.tunnel_id = tid;
    ss.peer_session_id = static_cast<uint16_t>(i + 1);
    ss.client_addr = kPoolBase + i;
    ss.mtu = 1500;
    const uint16_t sid = tid ? wr.add_session(ss, err) : 0;
    if (!sid) return false;
    b.sessions.push_back(sid);
    b.sa_in.push_back(in);
  }
  return true;
}

// Session index of the k-th packet: a stride that visits every session before repeating.
// Where the ESP header of the benchmark's packets sits relative to a cache line: the raw
// reference runs on buffers laid out the same way (see raw_imb.hpp). mbuf data areas are
// cache-line aligned and the data starts RTE_PKTMBUF_HEADROOM in.
//   upstream: as received, Ethernet + outer IPv4 (no NAT-T in this bench) before the ESP;
//   downstream: the LAN frame's IPv4 packet stays where it was received (behind its
//   Ethernet header) and l2tp_encap / esp_encrypt prepend UDP + L2TP + PPP and ESP + IV.
uint32_t esp_offset(bool upstream, const Algo& a) {
  const uint32_t off = upstream
      ? RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN + 20
      : RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN - kL2tpOverhead - 8 - info(a.cipher).iv_len;
  return off % 64;
}

uint32_t pick(uint64_t k, uint32_t n) { return static_cast<uint32_t>((k * 7919) % n); }

constexpr uint16_t kImix[12] = {64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1400};
uint16_t size_of(uint16_t size, uint64_t k) { return size ? size : kImix[k % 12]; }

// Builds one upstream frame for session index s into `out` (client-side encryption).
uint16_t build_upstream(Bench& b, uint32_t s, uint16_t inner, uint8_t* out) {
  const tables::SaRecord& sa = b.shared.tables.sa(b.sa_in[s]);
  const SaCrypto& c = sa.crypto;
  const tables::SessionRecord& rec = b.shared.tables.session(b.sessions[s]);
  const uint32_t udp_len = kL2tpOverhead + inner;
  const uint32_t pad = wire::esp_pad_length(udp_len, c.block_align);
  const uint32_t ct = udp_len + pad + 2;
  const uint16_t esp_len = static_cast<uint16_t>(8 + c.iv_len + ct + c.icv_len);
  write_ether(out, b.shared.wan_mac, rte_ether_addr{{0x02, 0, 0, 0, 0, 0x0a}}, RTE_ETHER_TYPE_IPV4);
  write_ipv4(out + 14, static_cast<uint16_t>(20 + esp_len), wire::kIpProtoEsp, kPeerAddr, kWanAddr);
  uint8_t* esp = out + 34;
  put32(esp, sa.spi);
  put32(esp + 4, b.seq[s]++);
  uint8_t* u = esp + 8 + c.iv_len;
  put16(u, 1701);
  put16(u + 2, 1701);
  put16(u + 4, static_cast<uint16_t>(udp_len));
  put16(u + 6, 0);
  put16(u + 8, 0x0002);
  put16(u + 10, rec.tunnel_id);
  put16(u + 12, b.sessions[s]);
  u[14] = 0xff;
  u[15] = 0x03;
  put16(u + 16, 0x0021);
  write_inner(u + 18, inner, rec.client_addr, kLanHost);
  for (uint32_t p = 0; p < pad; ++p) u[udp_len + p] = static_cast<uint8_t>(p + 1);
  u[udp_len + pad] = static_cast<uint8_t>(pad);
  u[udp_len + pad + 1] = wire::kIpProtoUdp;
  CryptoOp op{&c, esp, ct, esp + 8 + c.iv_len + ct, false};
  b.client_crypto.encrypt_burst(&op, 1);
  return static_cast<uint16_t>(34 + esp_len);
}

uint16_t build_downstream(Bench& b, uint32_t s, uint16_t inner, uint8_t* out) {
  write_ether(out, b.shared.lan_mac, rte_ether_addr{{0x02, 0, 0, 0, 1, 0x0a}}, RTE_ETHER_TYPE_IPV4);
  write_inner(out + 14, inner, kLanHost, b.shared.tables.session(b.sessions[s]).client_addr);
  return static_cast<uint16_t>(14 + inner);
}

// Runs `packets` packets of one case and returns the fastpath's figures.
Figures run_case(Bench& b, bool upstream, uint16_t size, uint32_t n_sessions, uint64_t packets,
                 uint64_t* forwarded, uint64_t (*stage_cycles)[kStageCount]) {
  constexpr uint32_t kRound = 2048;  // packets built (untimed) before each timed round
  std::vector<std::array<uint8_t, 1600>> frames(kRound);
  std::vector<uint16_t> lens(kRound);
  uint64_t cycles = 0, done = 0, bytes = 0, k = 0;
  const uint64_t tx_before = upstream ? b.w->bench_tx_lan : b.w->bench_tx_wan;
  Burst burst;
  while (done < packets) {
    for (uint32_t i = 0; i < kRound; ++i, ++k) {
      const uint32_t s = pick(k, n_sessions);
      const uint16_t inner = size_of(size, k);
      lens[i] = upstream ? build_upstream(b, s, inner, frames[i].data())
                         : build_downstream(b, s, inner, frames[i].data());
      bytes += inner;
    }
    for (uint32_t i = 0; i < kRound; i += kMaxBurst) {
      if (rte_pktmbuf_alloc_bulk(b.pool, burst.pkts.data(), kMaxBurst) != 0) return {};
      for (uint16_t j = 0; j < kMaxBurst; ++j) {
        rte_mbuf* m = burst.pkts[j];
        std::memcpy(rte_pktmbuf_append(m, lens[i + j]), frames[i + j].data(), lens[i + j]);
        burst.next[j] = upstream ? Next::WanClassify : Next::LanClassify;
      }
      burst.n = kMaxBurst;
      const uint64_t t0 = rte_rdtsc_precise();
      if (stage_cycles) run_pipeline_profiled(*b.w, burst, *stage_cycles);
      else run_pipeline(*b.w, burst);
      cycles += rte_rdtsc_precise() - t0;
    }
    done += kRound;
  }
  *forwarded = (upstream ? b.w->bench_tx_lan : b.w->bench_tx_wan) - tx_before;
  const double secs = static_cast<double>(cycles) / rte_get_tsc_hz();
  return {done / secs / 1e6, bytes * 8 / secs / 1e9, static_cast<double>(cycles) / done};
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc("fastpath-bench: the fastpath on one worker vs raw IPsec-MB\nOptions");
  bool csv = false;
  double raw_seconds = 0.3;
  uint64_t packets = 200000;
  std::string sessions_s = "1,1000,10000,64000", sizes_s = "64,512,1400,imix", algos_s = "all";
  std::string dirs_s = "up,down";
  bool stage_cycles = false;
  desc.add_options()("help,h", "show this help")("csv", po::bool_switch(&csv), "one CSV row per case")(
      "packets", po::value<uint64_t>(&packets)->default_value(200000), "packets per case")(
      "sessions", po::value<std::string>(&sessions_s)->default_value(sessions_s), "comma list")(
      "sizes", po::value<std::string>(&sizes_s)->default_value(sizes_s), "inner IPv4 sizes, comma list (imix = 7:4:1 of 64/576/1400)")(
      "algos", po::value<std::string>(&algos_s)->default_value(algos_s), "aes128cbc-sha1,aes256cbc-sha256,aes128gcm or all")(
      "directions", po::value<std::string>(&dirs_s)->default_value(dirs_s), "up, down or up,down")(
      "stage-cycles", po::bool_switch(&stage_cycles),
      "also run each case with the TSC read around every stage and print cycles per packet per stage")(
      "raw-seconds", po::value<double>(&raw_seconds)->default_value(0.3), "time per raw IPsec-MB measurement");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "fastpath-bench: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::printf("%s\n", (std::ostringstream() << desc).str().c_str());
    return 0;
  }
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t p = 0;
    while (p <= s.size()) {
      size_t c = s.find(',', p);
      if (c == std::string::npos) c = s.size();
      if (c > p) out.push_back(s.substr(p, c - p));
      p = c + 1;
    }
    return out;
  };
  // Hugepages as in production (4 KiB pages would measure TLB misses on large tables).
  const char* eal[] = {"fastpath-bench", "--in-memory", "--no-pci",
                       "-l", "0", "--log-level=lib.eal:error", "--no-telemetry"};
  if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
    std::fprintf(stderr, "fastpath-bench: EAL init failed\n");
    return 1;
  }
  Bench b;
  b.pool = rte_pktmbuf_pool_create("bench_mbufs", 8191, 256, kPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  if (!b.pool) {
    std::fprintf(stderr, "fastpath-bench: no mbuf pool\n");
    return 1;
  }
  if (csv) std::printf("direction,algorithm,size,sessions,mpps,gbps,cycles_per_packet,raw_gbps,ratio\n");
  else std::printf("%-10s %-17s %5s %8s %8s %8s %10s %9s %9s %6s %11s %6s\n", "direction", "algorithm", "size",
                   "sessions", "Mpps", "Gbit/s", "cyc/pkt", "raw Mpps", "raw Gb/s", "ratio",
                   "aligned Mpps", "ratio");
  int failures = 0;
  for (const Algo& a : kAlgos) {
    if (algos_s != "all" && algos_s.find(a.name) == std::string::npos) continue;
    for (const std::string& ns : split(sessions_s)) {
      const uint32_t n = static_cast<uint32_t>(std::stoul(ns));
      std::string err;
      if (n == 0 || n > kMaxSessionsBench || !setup(b, n, a, &err)) {
        std::fprintf(stderr, "fastpath-bench: cannot install %s sessions: %s\n", ns.c_str(), err.c_str());
        return 1;
      }
      for (const std::string& zs : split(sizes_s)) {
        const uint16_t size = zs == "imix" ? 0 : static_cast<uint16_t>(std::stoul(zs));
        for (bool up : {true, false}) {
          if (dirs_s.find(up ? "up" : "down") == std::string::npos) continue;
          uint64_t fwd = 0;
          const Figures f = run_case(b, up, size, n, packets, &fwd, nullptr);
          // The raw reference: the same crypto on the same ESP payload lengths, whole bursts.
          double raw_pps_inv = 0, raw_aligned_pps_inv = 0, raw_bits = 0;
          const int kinds = size ? 1 : 12;
          for (int k = 0; k < kinds; ++k) {
            const uint16_t inner = size ? size : kImix[k];
            const uint32_t udp = kL2tpOverhead + inner;
            const uint32_t align = info(a.cipher).block_align;
            const uint32_t ct = udp + wire::esp_pad_length(udp, align) + 2;
            const auto r = bench::measure_raw_imb(a.cipher, a.auth, !up, ct, 64, raw_seconds / kinds,
                                                  esp_offset(up, a));
            raw_pps_inv += 1.0 / r.pps;
            if (!csv) {
              const auto r0 = bench::measure_raw_imb(a.cipher, a.auth, !up, ct, 64, raw_seconds / kinds, 0);
              raw_aligned_pps_inv += 1.0 / r0.pps;
            }
            raw_bits += inner * 8.0;
          }
          const double raw_pps = kinds / raw_pps_inv;
          const double raw_gbps = raw_pps * (raw_bits / kinds) / 1e9;
          const double ratio = f.mpps * 1e6 / raw_pps;
          const std::string zname = size ? std::to_string(size) : "imix";
          if (fwd != packets && fwd + 2048 < packets) {
            ++failures;
            std::fprintf(stderr, "fastpath-bench: %s %s %s %u: only %llu of %llu packets forwarded\n",
                         up ? "upstream" : "downstream", a.name, zname.c_str(), n,
                         (unsigned long long)fwd, (unsigned long long)packets);
          }
          if (csv)
            std::printf("%s,%s,%s,%u,%.3f,%.3f,%.0f,%.3f,%.3f\n", up ? "upstream" : "downstream", a.name,
                        zname.c_str(), n, f.mpps, f.gbps, f.cycles_per_packet, raw_gbps, ratio);
          else
            std::printf("%-10s %-17s %5s %8u %8.3f %8.3f %10.0f %9.3f %9.3f %6.2f %11.3f %6.2f\n",
                        up ? "upstream" : "downstream", a.name, zname.c_str(), n, f.mpps, f.gbps,
                        f.cycles_per_packet, raw_pps / 1e6, raw_gbps, ratio,
                        kinds / raw_aligned_pps_inv / 1e6, f.mpps * 1e6 * raw_aligned_pps_inv / kinds);
          if (stage_cycles) {
            // A second, instrumented run: its total is a little above the figures above.
            uint64_t cyc[kStageCount] = {};
            uint64_t fwd2 = 0;
            run_case(b, up, size, n, packets, &fwd2, &cyc);
            std::printf(csv ? "# stage cycles/packet:" : "  stage cycles/packet:");
            for (size_t s = 0; s < kStageCount; ++s)
              if (cyc[s] / packets) std::printf(" %s %.0f", kStageNames[s], double(cyc[s]) / packets);
            std::printf("\n");
          }
          std::fflush(stdout);
        }
      }
    }
  }
  // Drops are a bug in the benchmark's traffic, not a figure: show them.
  const tables::WorkerStats& st = b.shared.tables.worker_stats(0);
  for (size_t i = 1; i < kDropReasonCount; ++i)
    if (st.drops[i]) {
      ++failures;
      std::fprintf(stderr, "fastpath-bench: drop %s: %llu\n",
                   std::string(to_string(static_cast<DropReason>(i))).c_str(), (unsigned long long)st.drops[i]);
    }
  return failures ? 1 : 0;
}
