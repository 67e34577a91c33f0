// SPDX-License-Identifier: Apache-2.0
// What fastpath-bench and bridge-bench share (bench_harness.hpp).
#include "bench_harness.hpp"

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include <cstdio>
#include <sstream>

#include "common/wire/esp.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/mbuf_meta.hpp"
#include "dataplane/stages/stage_util.hpp"

namespace l2tpgw::bench {

using namespace l2tpgw::dp;

void write_ipv4(uint8_t* p, uint16_t total, uint8_t proto, uint32_t src, uint32_t dst) {
  p[0] = 0x45;
  p[1] = 0;
  store_be16(p + 2, total);
  store_be32(p + 4, 0);
  p[8] = 64;
  p[9] = proto;
  store_be16(p + 10, 0);
  store_be32(p + 12, src);
  store_be32(p + 16, dst);
  store_be16(p + 10, wire::fold_checksum(wire::ones_sum(p, 20)));
}

void write_ether(uint8_t* p, const rte_ether_addr& dst, const rte_ether_addr& src, uint16_t type) {
  std::memcpy(p, dst.addr_bytes, 6);
  std::memcpy(p + 6, src.addr_bytes, 6);
  store_be16(p + 12, type);
}

void write_inner(uint8_t* p, uint16_t size, uint32_t src, uint32_t dst) {
  write_ipv4(p, size, wire::kIpProtoUdp, src, dst);
  store_be16(p + 20, 5000);
  store_be16(p + 22, 5001);
  store_be16(p + 24, static_cast<uint16_t>(size - 20));
  store_be16(p + 26, 0);
  for (uint16_t i = 28; i < size; ++i) p[i] = static_cast<uint8_t>(i);
}

rte_ether_addr peer_mac(uint32_t i) { return {{0x02, 0, 0, 0, 0, static_cast<uint8_t>(0x0a + i)}}; }

uint16_t esp_seal(ImbEngine& client, const tables::SaRecord& sa, uint32_t seq, uint32_t src,
                  const rte_ether_addr& src_mac, const rte_ether_addr& dst_mac, uint32_t udp_len,
                  uint8_t* frame) {
  const SaCryptoParams& c = sa.crypto;
  const uint32_t pad = wire::esp_pad_length(udp_len, c.block_align);
  const uint32_t ct = udp_len + pad + 2;
  const uint16_t esp_len = static_cast<uint16_t>(8 + c.iv_len + ct + c.icv_len);
  write_ether(frame, dst_mac, src_mac, RTE_ETHER_TYPE_IPV4);
  write_ipv4(frame + RTE_ETHER_HDR_LEN, static_cast<uint16_t>(20 + esp_len), wire::kIpProtoEsp, src,
             sa.local_addr);
  uint8_t* esp = frame + RTE_ETHER_HDR_LEN + 20;
  store_be32(esp, sa.spi);
  store_be32(esp + 4, seq);
  uint8_t* u = esp + 8 + c.iv_len;
  for (uint32_t p = 0; p < pad; ++p) u[udp_len + p] = static_cast<uint8_t>(p + 1);  // RFC 4303 §2.4
  u[udp_len + pad] = static_cast<uint8_t>(pad);
  u[udp_len + pad + 1] = wire::kIpProtoUdp;
  CryptoOp op{&c, &sa.keys, esp, ct, esp + 8 + c.iv_len + ct, false};
  client.encrypt_burst(&op, 1);
  return static_cast<uint16_t>(RTE_ETHER_HDR_LEN + 20 + esp_len);
}

bool eal_init(const char* prog) {
  const char* eal[] = {prog, "--in-memory", "--no-pci", "-l", "0", "--log-level=lib.eal:error", "--no-telemetry"};
  if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
    std::fprintf(stderr, "%s: EAL init failed\n", prog);
    return false;
  }
  return true;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p <= s.size()) {
    size_t c = s.find(',', p);
    if (c == std::string::npos) c = s.size();
    if (c > p) out.push_back(s.substr(p, c - p));
    p = c + 1;
  }
  return out;
}

std::optional<int> parse_options(const char* prog, const boost::program_options::options_description& desc,
                                 int argc, char** argv) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::printf("%s\n", (std::ostringstream() << desc).str().c_str());
    return 0;
  }
  return std::nullopt;
}

bool Harness::make(const DataplaneConfig& c, uint32_t n_peers, std::string* err) {
  cfg = c;
  pool = rte_pktmbuf_pool_create("bench_mbufs", 8191, 256, kPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  if (!pool) {
    *err = "no mbuf pool";
    return false;
  }
  if (!tables::SharedTables::create(cfg.sizes, shared.tables, err)) return false;
  shared.cfg = &cfg;
  shared.sa_runtime = sa_runtimes(shared.tables);
  shared.punt = rte_ring_create("bench_punt", 1024, 0, 0);
  shared.slowpath = rte_ring_create("bench_slow", 1024, 0, 0);
  shared.arp_hold = rte_ring_create("bench_hold", 1024, 0, 0);
  shared.events = rte_ring_create_elem("bench_ev", 8, 1024, 0, 0);
  wan_neigh = std::make_unique<NeighborTable>(cfg.wan);
  lan_neigh = std::make_unique<NeighborTable>(cfg.lan);
  for (uint32_t i = 0; i < n_peers; ++i) wan_neigh->learn(kPeerAddr + i, peer_mac(i));
  lan_neigh->learn(kLanHost, rte_ether_addr{{0x02, 0, 0, 0, 1, 0x0a}});
  shared.wan_neigh = wan_neigh.get();
  shared.lan_neigh = lan_neigh.get();
  shared.wan_mac = {{0x02, 0, 0, 0, 0, 1}};
  shared.lan_mac = {{0x02, 0, 0, 0, 1, 1}};
  shared.n_workers = 1;
  w = std::make_unique<WorkerCtx>();
  w->dp = &shared;
  w->stats = &shared.tables.worker_stats(0);
  w->sink = SinkMode::Bench;
  return w->crypto.init(err) && client_crypto.init(err);
}

void clear_tables(tables::TableWriter& wr) {
  for (uint16_t s : wr.installed_sessions()) wr.del_session(s);
  for (uint16_t t : wr.installed_tunnels()) wr.del_tunnel(t);
  for (uint32_t p : wr.installed_pseudowires()) wr.del_pseudowire(p);
  for (uint32_t s : wr.installed_sas()) wr.del_sa(s);
  wr.reclaim(true);
}

bool add_sa_pair(tables::TableWriter& wr, uint32_t peer_index, uint32_t peer, EspCipher cipher,
                 EspAuth auth, uint32_t out_spi, uint32_t* in, uint32_t* out, std::string* err) {
  uint8_t ek[36], ak[32];
  for (int i = 0; i < 36; ++i) ek[i] = static_cast<uint8_t>(i * 7 + 1);
  for (int i = 0; i < 32; ++i) ak[i] = static_cast<uint8_t>(i * 3 + 2);
  tables::SaParams sp;
  sp.peer_index = peer_index;
  sp.replay_window = 64;
  sp.local_addr = kWanAddr;
  sp.peer_addr = peer;
  sp.cipher = cipher;
  sp.auth = auth;
  sp.enc_key = {ek, esp_enc_keymat_len(cipher)};
  sp.auth_key = {ak, info(auth).key_len};
  sp.direction = tables::SaDirection::Inbound;
  *in = wr.add_sa(sp, err);
  sp.direction = tables::SaDirection::Outbound;
  sp.spi = out_spi;
  *out = wr.add_sa(sp, err);
  return *in && *out;
}

int report_drops(const char* prog, const std::string& what, const tables::WorkerStats& before,
                 const tables::WorkerStats& now) {
  int moved = 0;
  for (size_t i = 1; i < kDropReasonCount; ++i)
    if (now.drops[i] != before.drops[i]) {
      ++moved;
      std::fprintf(stderr, "%s: %sdrop %s: %llu\n", prog, what.c_str(),
                   std::string(to_string(static_cast<DropReason>(i))).c_str(),
                   (unsigned long long)(now.drops[i] - before.drops[i]));
    }
  return moved;
}

}  // namespace l2tpgw::bench
