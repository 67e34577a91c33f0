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
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/tables/table_writer.hpp"
#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/mbuf_meta.hpp"
#include "dataplane/stages/stage_util.hpp"
#include "dataplane/worker/worker.hpp"
#include "bench_harness.hpp"
#include "raw_imb.hpp"

namespace {

using namespace l2tpgw;
using namespace l2tpgw::dp;
using namespace l2tpgw::bench;
namespace po = boost::program_options;

// RFC 2544 benchmark range for client addresses; documentation ranges for the rest.
constexpr uint32_t kPoolBase = 0xC6120000;   // 198.18.0.0/15
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

struct Bench {
  Harness h;
  std::vector<uint16_t> sessions;
  std::vector<uint32_t> sa_in;
  std::vector<uint32_t> seq;  // next sequence number per session (upstream)
};

bool setup(Bench& b, uint32_t n_sessions, const Algo& a, std::string* err) {
  static bool made = false;
  if (!made) {
    DataplaneConfig cfg;
    cfg.wan = {kWanAddr, 24};
    cfg.lan = {kLanAddr, 24};
    cfg.sizes.max_sessions = kMaxSessionsBench;
    cfg.sizes.n_workers = 1;
    cfg.sizes.n_pools = 1;
    cfg.sizes.pools[0] = {kPoolBase, 1u << 17, 0};
    if (!b.h.make(cfg, 1, err)) return false;
    made = true;
  }
  // (Re)install n sessions with this algorithm, all through the install API.
  tables::TableWriter wr(b.h.shared.tables, 12345);
  clear_tables(wr);
  b.sessions.clear();
  b.sa_in.clear();
  b.seq.assign(n_sessions, 1);
  for (uint32_t i = 0; i < n_sessions; ++i) {
    uint32_t in = 0, out = 0;
    if (!add_sa_pair(wr, i + 1, kPeerAddr, a.cipher, a.auth, 0x10000 + i, &in, &out, err)) return false;
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
  const tables::SaRecord& sa = b.h.shared.tables.sa(b.sa_in[s]);
  const tables::SessionRecord& rec = b.h.shared.tables.session(b.sessions[s]);
  const uint32_t udp_len = kL2tpOverhead + inner;
  uint8_t* u = esp_udp_at(sa, out);
  store_be16(u, 1701);
  store_be16(u + 2, 1701);
  store_be16(u + 4, static_cast<uint16_t>(udp_len));
  store_be16(u + 6, 0);
  store_be16(u + 8, 0x0002);
  store_be16(u + 10, rec.tunnel_id);
  store_be16(u + 12, b.sessions[s]);
  u[14] = 0xff;
  u[15] = 0x03;
  store_be16(u + 16, 0x0021);
  write_inner(u + 18, inner, rec.client_addr, kLanHost);
  return esp_seal(b.h.client_crypto, sa, b.seq[s]++, kPeerAddr, peer_mac(0), b.h.shared.wan_mac, udp_len, out);
}

uint16_t build_downstream(Bench& b, uint32_t s, uint16_t inner, uint8_t* out) {
  write_ether(out, b.h.shared.lan_mac, rte_ether_addr{{0x02, 0, 0, 0, 1, 0x0a}}, RTE_ETHER_TYPE_IPV4);
  write_inner(out + 14, inner, kLanHost, b.h.shared.tables.session(b.sessions[s]).client_addr);
  return static_cast<uint16_t>(14 + inner);
}

// Runs `packets` packets of one case and returns the fastpath's figures. `of_one`: even rounds
// carry the first session's traffic alone and odd rounds all n sessions' (time_bursts'
// `alternate`), so that n sessions are compared with one in the same minutes.
Figures run_case(Bench& b, bool upstream, uint16_t size, uint32_t n_sessions, uint64_t packets,
                 uint64_t* forwarded, uint64_t (*stage_cycles)[kStageCount],
                 uint64_t (*stage_best)[kStageCount] = nullptr, bool of_one = false) {
  WorkerCtx& w = *b.h.w;
  const uint64_t tx_before = upstream ? w.bench_tx_lan : w.bench_tx_wan;
  const Figures f = time_bursts(
      b.h.pool, upstream ? Next::WanClassify : Next::LanClassify, packets,
      [&](uint64_t k, uint8_t* out) {
        const uint32_t s = of_one && (k / kRound) % 2 == 0 ? 0 : pick(k, n_sessions);
        const uint16_t inner = size_of(size, k);
        return Built{upstream ? build_upstream(b, s, inner, out) : build_downstream(b, s, inner, out), inner};
      },
      [&](Burst& burst) {
        if (stage_cycles) {
          // Per stage, the burst's own figure too: its fastest burst is what the stage
          // costs without the preemptions of a shared machine.
          uint64_t one[kStageCount] = {};
          run_pipeline_profiled(w, burst, one);
          for (size_t s = 0; s < kStageCount; ++s) {
            (*stage_cycles)[s] += one[s];
            if (stage_best) (*stage_best)[s] = std::min((*stage_best)[s], one[s]);
          }
        } else {
          run_pipeline(w, burst);
        }
      },
      of_one);
  *forwarded = (upstream ? w.bench_tx_lan : w.bench_tx_wan) - tx_before;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc("fastpath-bench: the fastpath on one worker vs raw IPsec-MB\nOptions");
  bool csv = false;
  double raw_seconds = 0.3;
  uint64_t packets = 200000;
  std::string sessions_s = "1,1000,10000,64000", sizes_s = "64,512,1400,imix", algos_s = "all";
  std::string dirs_s = "up,down";
  bool stage_cycles = false, best = false, raw_checked = false;
  desc.add_options()("help,h", "show this help")("csv", po::bool_switch(&csv), "one CSV row per case")(
      "packets", po::value<uint64_t>(&packets)->default_value(200000), "packets per case")(
      "sessions", po::value<std::string>(&sessions_s)->default_value(sessions_s), "comma list")(
      "sizes", po::value<std::string>(&sizes_s)->default_value(sizes_s), "inner IPv4 sizes, comma list (imix = 7:4:1 of 64/576/1400)")(
      "algos", po::value<std::string>(&algos_s)->default_value(algos_s), "aes128cbc-sha1,aes256cbc-sha256,aes128gcm or all")(
      "directions", po::value<std::string>(&dirs_s)->default_value(dirs_s), "up, down or up,down")(
      "stage-cycles", po::bool_switch(&stage_cycles),
      "also run each case with the TSC read around every stage and print cycles per packet per stage")(
      "best", po::bool_switch(&best),
      "also print the fastest round's cycles per packet (and, with --stage-cycles, each stage's "
      "fastest burst): figures that a busy machine's preemptions barely move; with more than one "
      "session, also the crypto alone with as many SAs, and one session against all of them "
      "measured in turns, round by round (\"of one\")")(
      "raw-checked", po::bool_switch(&raw_checked),
      "the raw reference submits through IMB_SUBMIT_JOB, which validates every job's arguments "
      "(about 30 cycles a job); by default it submits as the fastpath's engine does (release "
      "builds: IMB_SUBMIT_JOB_NOCHECK), so that the ratio counts only what the fastpath adds")(
      "raw-seconds", po::value<double>(&raw_seconds)->default_value(0.3), "time per raw IPsec-MB measurement");
  if (const auto done = parse_options("fastpath-bench", desc, argc, argv)) return *done;
  if (!eal_init("fastpath-bench")) return 1;
  Bench b;
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
          // The raw reference: the same crypto on the same ESP payload lengths, whole bursts,
          // submitted as the fastpath's engine submits them (unless --raw-checked).
          const bool raw_nocheck = !raw_checked && !b.h.w->crypto.checked_submit();
          double raw_pps_inv = 0, raw_aligned_pps_inv = 0, raw_bits = 0, raw_best = 0, raw_n_best = 0;
          const int kinds = size ? 1 : 12;
          for (int k = 0; k < kinds; ++k) {
            const uint16_t inner = size ? size : kImix[k];
            const uint32_t udp = kL2tpOverhead + inner;
            const uint32_t align = info(a.cipher).block_align;
            const uint32_t ct = udp + wire::esp_pad_length(udp, align) + 2;
            const auto r = bench::measure_raw_imb(a.cipher, a.auth, !up, ct, 64, raw_seconds / kinds,
                                                  esp_offset(up, a), raw_nocheck);
            raw_pps_inv += 1.0 / r.pps;
            raw_best += r.best_cycles_per_packet / kinds;
            if (best && n > 1)  // the crypto alone with as many SAs as sessions
              raw_n_best += bench::measure_raw_imb(a.cipher, a.auth, !up, ct, 64, raw_seconds / kinds,
                                                   esp_offset(up, a), raw_nocheck, n)
                                .best_cycles_per_packet / kinds;
            if (!csv) {
              const auto r0 = bench::measure_raw_imb(a.cipher, a.auth, !up, ct, 64, raw_seconds / kinds, 0,
                                                     raw_nocheck);
              raw_aligned_pps_inv += 1.0 / r0.pps;
            }
            raw_bits += inner * 8.0;
          }
          const double raw_pps = kinds / raw_pps_inv;
          const double raw_gbps = raw_pps * (raw_bits / kinds) / 1e9;
          const double ratio = f.mpps * 1e6 / raw_pps;
          const std::string zname = size ? std::to_string(size) : "imix";
          // A run's packets must come out (to within a round).
          auto check_forwarded = [&](uint64_t out, const char* run) {
            if (out + kRound >= packets) return;
            ++failures;
            std::fprintf(stderr, "fastpath-bench: %s %s %s %u%s: only %llu of %llu packets forwarded\n",
                         up ? "upstream" : "downstream", a.name, zname.c_str(), n, run,
                         (unsigned long long)out, (unsigned long long)packets);
          };
          check_forwarded(fwd, "");
          if (csv)
            std::printf("%s,%s,%s,%u,%.3f,%.3f,%.0f,%.3f,%.3f\n", up ? "upstream" : "downstream", a.name,
                        zname.c_str(), n, f.mpps, f.gbps, f.cycles_per_packet, raw_gbps, ratio);
          else
            std::printf("%-10s %-17s %5s %8u %8.3f %8.3f %10.0f %9.3f %9.3f %6.2f %11.3f %6.2f\n",
                        up ? "upstream" : "downstream", a.name, zname.c_str(), n, f.mpps, f.gbps,
                        f.cycles_per_packet, raw_pps / 1e6, raw_gbps, ratio,
                        kinds / raw_aligned_pps_inv / 1e6, f.mpps * 1e6 * raw_aligned_pps_inv / kinds);
          if (best) {
            std::printf("%s best round: %.0f cyc/pkt, raw %.0f cyc/pkt, ratio %.3f", csv ? "#" : " ",
                        f.best_cycles_per_packet, raw_best, raw_best / f.best_cycles_per_packet);
            if (n > 1)
              std::printf("; raw with %u SAs %.0f cyc/pkt, ratio %.3f", n, raw_n_best,
                          raw_n_best / f.best_cycles_per_packet);
            std::printf("\n");
            if (n > 1) {
              // The 10,000-sessions target is a share of one session's throughput: both
              // measured in turns, round by round, rather than minutes apart.
              uint64_t fwd1 = 0;
              const Figures t = run_case(b, up, size, n, packets, &fwd1, nullptr, nullptr, true);
              check_forwarded(fwd1, ", alternated with one");
              std::printf("%s of one, alternated: 1 session %.0f cyc/pkt, %u sessions %.0f cyc/pkt, "
                          "throughput %.3f of one\n", csv ? "#" : " ", t.best_cycles_per_packet, n,
                          t.best_odd_cycles_per_packet, t.best_cycles_per_packet / t.best_odd_cycles_per_packet);
            }
          }
          if (stage_cycles) {
            // A second, instrumented run: its total is a little above the figures above.
            uint64_t cyc[kStageCount] = {};
            uint64_t cyc_best[kStageCount];
            std::fill(std::begin(cyc_best), std::end(cyc_best), UINT64_MAX);
            uint64_t fwd2 = 0;
            run_case(b, up, size, n, packets, &fwd2, &cyc, &cyc_best);
            check_forwarded(fwd2, ", stage cycles");
            std::printf(csv ? "# stage cycles/packet:" : "  stage cycles/packet:");
            for (size_t s = 0; s < kStageCount; ++s)
              if (cyc[s] / packets) std::printf(" %s %.0f", kStageNames[s], double(cyc[s]) / packets);
            std::printf("\n");
            if (best) {
              std::printf(csv ? "# stage cycles/packet, best burst:" : "  stage cycles/packet, best burst:");
              for (size_t s = 0; s < kStageCount; ++s)
                if (cyc[s] / packets) std::printf(" %s %.1f", kStageNames[s], double(cyc_best[s]) / kMaxBurst);
              std::printf("\n");
            }
          }
          std::fflush(stdout);
        }
      }
    }
  }
  // Drops are a bug in the benchmark's traffic, not a figure: show them.
  failures += report_drops("fastpath-bench", "", tables::WorkerStats{}, b.h.stats());
  return failures ? 1 : 0;
}
