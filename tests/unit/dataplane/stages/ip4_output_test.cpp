// SPDX-License-Identifier: Apache-2.0
// Stage tests for ICMP errors and fragmentation on synthesized mbufs (in-process EAL, --no-huge):
// what ip4_forward, lan_classify and l2tp_encap do with packets over the MTU or out of TTL,
// where the spawned packets go, the rate limit and the counters.
#include "dataplane/stages/ip4_output.hpp"

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/punt.hpp"
#include "common/tables/table_writer.hpp"
#include "common/wire/ipv4.hpp"
#include "dataplane/mbuf_meta.hpp"
#include "dataplane/stages/icmp_error.hpp"
#include "dataplane/stages/stage_util.hpp"
#include "dataplane/worker/worker.hpp"

namespace l2tpgw::dp {
namespace {

using Bytes = std::vector<uint8_t>;

class EalEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    const char* argv[] = {"test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
                          "--no-telemetry", "--file-prefix=l2tpgw-unit-ip4out", "-l", "0",
                          "--log-level=lib.eal:error"};
    int argc = static_cast<int>(std::size(argv));
    if (rte_eal_init(argc, const_cast<char**>(argv)) < 0) {
      fprintf(stderr, "rte_eal_init failed\n");
      std::abort();
    }
  }
  void TearDown() override { rte_eal_cleanup(); }
};
testing::Environment* const kEal = testing::AddGlobalTestEnvironment(new EalEnvironment);

constexpr uint32_t kWanAddr = 0xcb007101;   // 203.0.113.1
constexpr uint32_t kPeerAddr = 0xcb00710a;  // 203.0.113.10
constexpr uint32_t kLanAddr = 0xc0000201;   // 192.0.2.1
constexpr uint32_t kLanHost = 0xc000020a;   // 192.0.2.10
constexpr uint32_t kPool = 0xc6336400;      // 198.51.100.0/24
constexpr uint32_t kClient = kPool + 10;
constexpr uint32_t kSmallClient = kPool + 11;  // session MTU 576
constexpr uint32_t kRemoteClient = kPool + 12;  // owned by the other worker
constexpr uint16_t kSessionMtu = 1400;
constexpr uint16_t kL2tpOverhead = 8 + 6 + 4;  // UDP + L2TPv2 data header + PPP (FF 03 00 21)
const rte_ether_addr kHostMac{{0x02, 0, 0, 0, 1, 0x0a}};
const rte_ether_addr kLanMac{{0x02, 0, 0, 0, 1, 0x01}};

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// An IPv4/UDP packet of `total` bytes.
Bytes ipv4(uint32_t src, uint32_t dst, uint16_t total, uint16_t flags_frag, uint8_t ttl = 64,
           uint8_t proto = wire::kIpProtoUdp) {
  Bytes p(total);
  p[0] = 0x45;
  store_be16(&p[2], total);
  store_be16(&p[4], 0x3131);
  store_be16(&p[6], flags_frag);
  p[8] = ttl;
  p[9] = proto;
  store_be32(&p[12], src);
  store_be32(&p[16], dst);
  store_be16(&p[10], wire::fold_checksum(wire::ones_sum(p.data(), 20)));
  for (size_t i = 20; i < total; ++i) p[i] = static_cast<uint8_t>(i * 13);
  if (proto == wire::kIpProtoUdp) store_be16(&p[24], static_cast<uint16_t>(total - 20));
  return p;
}

class Ip4OutputTest : public testing::Test {
 protected:
  void SetUp() override {
    pool_ = rte_pktmbuf_pool_create("ip4out_test", 4095, 0, kPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    cfg_.wan = {kWanAddr, 24};
    cfg_.lan = {kLanAddr, 24};
    cfg_.lan_mtu = 1500;
    cfg_.sizes.max_sessions = 16;
    cfg_.sizes.n_workers = 2;  // this test is worker 0; worker 1 only owns kRemoteClient
    cfg_.sizes.n_pools = 1;
    cfg_.sizes.pools[0] = {kPool, 256, 0};
    std::string err;
    ASSERT_TRUE(tables::SharedTables::create(cfg_.sizes, shared_.tables, &err)) << err;
    shared_.cfg = &cfg_;
    shared_.sa_runtime = sa_runtimes(shared_.tables);
    shared_.punt = rte_ring_create("ip4out_punt", 1024, 0, 0);
    shared_.slowpath = rte_ring_create("ip4out_slow", 1024, 0, 0);
    shared_.arp_hold = rte_ring_create("ip4out_hold", 1024, 0, 0);
    shared_.events = rte_ring_create_elem("ip4out_ev", 8, 1024, 0, 0);
    shared_.n_workers = 2;
    shared_.handoff[0][1] = rte_ring_create("ip4out_ho01", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    wan_neigh_ = std::make_unique<NeighborTable>(cfg_.wan);
    lan_neigh_ = std::make_unique<NeighborTable>(cfg_.lan);
    wan_neigh_->learn(kPeerAddr, rte_ether_addr{{0x02, 0, 0, 0, 0, 0x0a}});
    lan_neigh_->learn(kLanHost, kHostMac);
    shared_.wan_neigh = wan_neigh_.get();
    shared_.lan_neigh = lan_neigh_.get();
    shared_.wan_mac = {{0x02, 0, 0, 0, 0, 1}};
    shared_.lan_mac = kLanMac;
    w_ = std::make_unique<WorkerCtx>();
    w_->dp = &shared_;
    w_->stats = &shared_.tables.worker_stats(0);
    w_->sink = SinkMode::Bench;
    ASSERT_TRUE(w_->crypto.init(&err)) << err;
    w_->icmp_limit.configure(1000, 50, rte_get_tsc_hz());
    // Owner = peer index mod 2.
    sid_ = install(kClient, kSessionMtu, 2);
    small_sid_ = install(kSmallClient, 576, 4);
    remote_sid_ = install(kRemoteClient, kSessionMtu, 1);
  }

  void TearDown() override {
    // Nothing may be left behind in the spawned burst.
    EXPECT_EQ(w_->spawned.n, 0);
    w_.reset();
    rte_ring_free(shared_.punt);
    rte_ring_free(shared_.slowpath);
    rte_ring_free(shared_.arp_hold);
    rte_ring_free(shared_.events);
    rte_mbuf* handed = nullptr;
    while (rte_ring_dequeue(shared_.handoff[0][1], reinterpret_cast<void**>(&handed)) == 0)
      rte_pktmbuf_free(handed);
    rte_ring_free(shared_.handoff[0][1]);
    if (const rte_memzone* mz = rte_memzone_lookup(tables::kShmZoneName)) rte_memzone_free(mz);
    // Every mbuf came back: nothing leaked, nothing freed twice.
    EXPECT_EQ(rte_mempool_avail_count(pool_), 4095u);
    rte_mempool_free(pool_);
  }

  // An outbound SA (AES-128-CBC+SHA1, fixed keys) of IPsec peering `peer`, with the peer's SPI.
  uint32_t add_outbound_sa(tables::TableWriter& wr, uint32_t peer, uint32_t spi) {
    static const uint8_t ek[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t ak[20] = {7};
    std::string err;
    tables::SaParams sp;
    sp.direction = tables::SaDirection::Outbound;
    sp.spi = spi;
    sp.peer_index = peer;
    sp.local_addr = kWanAddr;
    sp.peer_addr = kPeerAddr;
    sp.enc_key = ek;
    sp.auth_key = ak;
    const uint32_t out = wr.add_sa(sp, &err);
    EXPECT_NE(out, 0u) << err;
    return out;
  }

  uint16_t install(uint32_t client, uint16_t mtu, uint32_t peer) {
    tables::TableWriter wr(shared_.tables, 7);
    std::string err;
    const uint32_t out = add_outbound_sa(wr, peer, 0x1000 + peer);
    tables::TunnelParams tp;
    tp.peer_index = peer;
    tp.sa_out = out;
    tp.peer_tunnel_id = 40;
    const uint16_t tid = wr.add_tunnel(tp, &err);
    EXPECT_NE(tid, 0) << err;
    tables::SessionParams ss;
    ss.tunnel_id = tid;
    ss.peer_session_id = 41;
    ss.client_addr = client;
    ss.mtu = mtu;
    const uint16_t sid = wr.add_session(ss, &err);
    EXPECT_NE(sid, 0) << err;
    EXPECT_EQ(shared_.tables.session(sid).owner_worker, peer % 2);
    return sid;
  }

  rte_mbuf* mbuf(const Bytes& bytes) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    EXPECT_NE(m, nullptr);
    auto* p = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
    EXPECT_NE(p, nullptr);
    std::memcpy(p, bytes.data(), bytes.size());
    meta(m) = PktMeta{};
    return m;
  }
  // A LAN frame (Ethernet to our MAC, or to `dst_mac`) carrying `ip`.
  rte_mbuf* lan_frame(const Bytes& ip, const rte_ether_addr& dst_mac = kLanMac) {
    Bytes f(14);
    std::memcpy(&f[0], dst_mac.addr_bytes, 6);
    std::memcpy(&f[6], kHostMac.addr_bytes, 6);
    store_be16(&f[12], 0x0800);
    f.insert(f.end(), ip.begin(), ip.end());
    return mbuf(f);
  }
  // A client's decrypted packet as it reaches ip4_forward.
  rte_mbuf* client_packet(const Bytes& ip, uint16_t sid) {
    rte_mbuf* m = mbuf(ip);
    meta(m).session_id = sid;
    return m;
  }

  uint64_t counter(Counter c) const { return w_->stats->counters[static_cast<size_t>(c)]; }
  uint64_t drops(DropReason r) const { return w_->stats->drops[static_cast<size_t>(r)]; }

  void add(Burst& b, rte_mbuf* m, Next n) {
    b.pkts[b.n] = m;
    b.next[b.n] = n;
    ++b.n;
  }

  rte_mempool* pool_ = nullptr;
  DataplaneConfig cfg_;
  DataplaneShared shared_;
  std::unique_ptr<NeighborTable> wan_neigh_, lan_neigh_;
  std::unique_ptr<WorkerCtx> w_;
  uint16_t sid_ = 0, small_sid_ = 0, remote_sid_ = 0;
};

TEST_F(Ip4OutputTest, DownstreamDfOverSessionMtuSendsFragNeededToTheLanHost) {
  const Bytes orig = ipv4(kLanHost, kClient, 1500, wire::kIpv4FlagDf);
  Burst b;
  add(b, lan_frame(orig), Next::LanClassify);
  lan_classify(*w_, b);
  l2tp_encap(*w_, b);
  ASSERT_EQ(b.next[0], Next::Drop);
  EXPECT_EQ(b.why[0], DropReason::Ipv4TooBig);
  ASSERT_EQ(w_->spawned.n, 1);
  EXPECT_EQ(w_->spawned.next[0], Next::TxLan);
  rte_mbuf* icmp = w_->spawned.pkts[0];
  EXPECT_EQ(icmp->nb_segs, 1);
  const uint8_t* e = rte_pktmbuf_mtod(icmp, const uint8_t*);
  EXPECT_EQ(0, std::memcmp(e, kHostMac.addr_bytes, 6));
  EXPECT_EQ(0, std::memcmp(e + 6, kLanMac.addr_bytes, 6));
  const uint8_t* ip = e + 14;
  auto h = wire::decode_ipv4(ByteReader(ip, icmp->data_len - 14u));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->src, kLanAddr);
  EXPECT_EQ(h->dst, kLanHost);
  EXPECT_EQ(h->protocol, wire::kIpProtoIcmp);
  EXPECT_EQ(ip[20], kIcmpDestUnreachable);
  EXPECT_EQ(ip[21], kIcmpCodeFragNeeded);
  EXPECT_EQ(be16(ip + 26), kSessionMtu);
  // The quoted header is the packet as routed (TTL already decremented by lan_classify).
  EXPECT_EQ(be32(ip + 28 + 12), kLanHost);
  EXPECT_EQ(be32(ip + 28 + 16), kClient);
  EXPECT_EQ(be16(ip + 28 + 4), 0x3131);
  EXPECT_EQ(ip[28 + 8], 63);
  dispatch(*w_, b);
  flush_spawned(*w_);
  EXPECT_EQ(w_->bench_tx_lan, 1u);
  EXPECT_EQ(counter(Counter::IcmpErrorSent), 1u);
  EXPECT_EQ(drops(DropReason::Ipv4TooBig), 1u);
}

TEST_F(Ip4OutputTest, DownstreamWithoutDfIsFragmentedAndEachFragmentEncrypted) {
  const Bytes orig = ipv4(kLanHost, kClient, 1500, 0);
  Burst b;
  add(b, lan_frame(orig), Next::LanClassify);
  lan_classify(*w_, b);
  l2tp_encap(*w_, b);
  ASSERT_EQ(b.next[0], Next::EspEncrypt);
  ASSERT_EQ(w_->spawned.n, 1);
  EXPECT_EQ(w_->spawned.next[0], Next::L2tpEncap);
  rte_mbuf* f1 = w_->spawned.pkts[0];
  // A direct, one-segment mbuf with the pool's headroom, so that ESP can prepend in place.
  EXPECT_EQ(f1->nb_segs, 1);
  EXPECT_TRUE(RTE_MBUF_DIRECT(f1));
  EXPECT_EQ(rte_pktmbuf_headroom(f1), RTE_PKTMBUF_HEADROOM);
  EXPECT_TRUE(meta(f1).flags & kMetaSpawned);
  EXPECT_EQ(meta(f1).session_id, sid_);
  // Reassemble the two fragments: fragment 0 behind the L2TP/PPP headers in the burst.
  const uint8_t* f0 = rte_pktmbuf_mtod_offset(b.pkts[0], const uint8_t*, kL2tpOverhead);
  const uint8_t* f1ip = rte_pktmbuf_mtod(f1, const uint8_t*);
  ASSERT_TRUE(wire::decode_ipv4(ByteReader(f0, b.pkts[0]->data_len - kL2tpOverhead)));
  ASSERT_TRUE(wire::decode_ipv4(ByteReader(f1ip, f1->data_len)));
  EXPECT_EQ(be16(f0 + 2), 1396);  // 20 + (1400 - 20 rounded down to 8)
  EXPECT_EQ(be16(f0 + 6), wire::kIpv4FlagMf);
  EXPECT_EQ(be16(f1ip + 6), 1376 / 8);
  Bytes data(f0 + 20, f0 + be16(f0 + 2));
  data.insert(data.end(), f1ip + 20, f1ip + be16(f1ip + 2));
  EXPECT_EQ(data, Bytes(orig.begin() + 20, orig.end()));

  esp_encrypt(*w_, b);
  // The outer header esp_encrypt wrote: decode_ipv4 checks its checksum (RFC 791).
  ASSERT_EQ(b.next[0], Next::TxWan);
  auto outer = wire::decode_ipv4(ByteReader(rte_pktmbuf_mtod_offset(b.pkts[0], const uint8_t*, 14),
                                            b.pkts[0]->data_len - 14u));
  ASSERT_TRUE(outer);
  EXPECT_EQ(outer->total_length, b.pkts[0]->data_len - 14u);
  dispatch(*w_, b);
  flush_spawned(*w_);
  EXPECT_EQ(w_->bench_tx_wan, 2u);
  EXPECT_EQ(counter(Counter::EspEncrypted), 2u);
  EXPECT_EQ(counter(Counter::Ipv4Fragmented), 1u);
  EXPECT_EQ(counter(Counter::Ipv4FragmentsCreated), 2u);
  EXPECT_EQ(shared_.tables.session_counters(sid_).tx_packets, 2u);
  // The SA's counters, as the controlplane reads them for lifetimes (tables::SaOwnerArea):
  // both fragments, each its whole ESP payload (inner packet, PPP, L2TP, UDP, padding).
  const uint32_t sa_out = shared_.tables.tunnel(shared_.tables.session(sid_).tunnel_id).sa_out;
  EXPECT_EQ(shared_.tables.sa_counters(sa_out).packets, 2u);
  EXPECT_GT(shared_.tables.sa_counters(sa_out).octets, 1400u);
  for (size_t r = 1; r < kDropReasonCount; ++r) EXPECT_EQ(w_->stats->drops[r], 0u) << r;
}

// A rekey (make-before-break) points the tunnel at a new outbound SA: the next downstream
// packet goes out through it, with the L2TP ids and ports the session was installed with.
TEST_F(Ip4OutputTest, DownstreamFollowsTheTunnelToItsNewSaOnARekey) {
  const tables::SessionRecord& s = shared_.tables.session(sid_);
  const uint32_t old_out = shared_.tables.tunnel(s.tunnel_id).sa_out;
  // The SPI of the one frame a downstream packet becomes (Ethernet, IPv4, ESP), 0 if none.
  auto send = [&] {
    Burst b;
    add(b, lan_frame(ipv4(kLanHost, kClient, 100, wire::kIpv4FlagDf)), Next::LanClassify);
    lan_classify(*w_, b);
    l2tp_encap(*w_, b);
    esp_encrypt(*w_, b);
    const bool one = b.n == 1 && b.next[0] == Next::TxWan;
    const uint32_t spi = one ? load_be32(rte_pktmbuf_mtod_offset(b.pkts[0], const uint8_t*, 14 + 20)) : 0;
    dispatch(*w_, b);
    return spi;
  };
  EXPECT_EQ(send(), shared_.tables.sa(old_out).spi);

  tables::TableWriter wr(shared_.tables, 7);
  const uint32_t next = add_outbound_sa(wr, 2, 0x7002);  // peering 2: sid_'s
  ASSERT_NE(next, 0u);
  ASSERT_TRUE(wr.set_tunnel_sa_out(s.tunnel_id, next));
  EXPECT_EQ(send(), 0x7002u);
  EXPECT_EQ(shared_.tables.sa_counters(old_out).packets, 1u);
  EXPECT_EQ(shared_.tables.sa_counters(next).packets, 1u);
  EXPECT_EQ(shared_.tables.session_counters(sid_).tx_packets, 2u);
  for (size_t r = 1; r < kDropReasonCount; ++r) EXPECT_EQ(w_->stats->drops[r], 0u) << r;
}

// RFC 4303 §3.3.3: the outbound sequence number never cycles. At kEspSeqSoftLimit the worker
// tells the controlplane once (SeqSoft) and goes on sending; at 2^32-1 the SA stops (dropped,
// SeqExhausted once).
TEST_F(Ip4OutputTest, SequenceNumbersRaiseSoftThenExhaustedEventsOnce) {
  const uint32_t slot = shared_.tables.tunnel(shared_.tables.session(sid_).tunnel_id).sa_out;
  uint32_t gen = 0;
  ASSERT_TRUE(tables::published(shared_.tables.sa(slot), &gen));
  auto send = [&] {
    Burst b;
    add(b, lan_frame(ipv4(kLanHost, kClient, 100, wire::kIpv4FlagDf)), Next::LanClassify);
    run_pipeline(*w_, b);
  };
  auto events = [&] {
    std::vector<DpEvent> out;
    uint64_t ev;
    while (rte_ring_dequeue_elem(shared_.events, &ev, sizeof(ev)) == 0) out.push_back(decode_dp_event(ev));
    return out;
  };
  sa_runtime(shared_, slot, gen).seq_out = kEspSeqSoftLimit - 2;
  send();
  EXPECT_TRUE(events().empty());
  send();  // this one carries kEspSeqSoftLimit
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, DpEventKind::SeqSoft);
  EXPECT_EQ(ev[0].arg, slot);
  send();
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(counter(Counter::EspEncrypted), 3u);
  sa_runtime(shared_, slot, gen).seq_out = UINT32_MAX - 1;
  send();  // the last number
  send();
  send();
  ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, DpEventKind::SeqExhausted);
  EXPECT_EQ(counter(Counter::EspEncrypted), 4u);
  EXPECT_EQ(drops(DropReason::EspSeqExhausted), 2u);
}

TEST_F(Ip4OutputTest, UpstreamNextHopsOfOneBurstEachGetTheirOwnMac) {
  // ip4_forward keeps the last next hop's Ethernet header for the burst (EtherOutputRun): a
  // packet to another hop between two to the same one, and one whose hop is unresolved, must
  // not take it.
  constexpr uint32_t kOtherHost = kLanHost + 1;
  constexpr uint32_t kUnknownHost = kLanHost + 2;
  const rte_ether_addr other_mac{{0x02, 0, 0, 0, 1, 0x0b}};
  lan_neigh_->learn(kOtherHost, other_mac);
  Burst b;
  for (uint32_t dst : {kLanHost, kLanHost, kOtherHost, kUnknownHost, kLanHost, kOtherHost})
    add(b, client_packet(ipv4(kClient, dst, 100, 0), sid_), Next::Ip4Forward);
  ip4_forward(*w_, b);
  const rte_ether_addr* want[] = {&kHostMac, &kHostMac, &other_mac, nullptr, &kHostMac, &other_mac};
  for (uint16_t i = 0; i < b.n; ++i) {
    SCOPED_TRACE(i);
    if (want[i] == nullptr) {
      EXPECT_EQ(b.next[i], Next::Consumed);  // held until ARP answers
      continue;
    }
    ASSERT_EQ(b.next[i], Next::TxLan);
    const uint8_t* e = rte_pktmbuf_mtod(b.pkts[i], const uint8_t*);
    EXPECT_EQ(0, std::memcmp(e, want[i]->addr_bytes, 6));
    EXPECT_EQ(0, std::memcmp(e + 6, kLanMac.addr_bytes, 6));
    EXPECT_EQ(be16(e + 12), 0x0800);
    EXPECT_EQ(b.pkts[i]->data_len, 14 + 100);
    EXPECT_EQ(b.pkts[i]->pkt_len, 14u + 100);
  }
  rte_mbuf* held = nullptr;
  ASSERT_EQ(rte_ring_dequeue(shared_.arp_hold, reinterpret_cast<void**>(&held)), 0);
  EXPECT_EQ(meta(held).next_hop, kUnknownHost);
  rte_pktmbuf_free(held);
  dispatch(*w_, b);
  EXPECT_EQ(w_->bench_tx_lan, 5u);
}

TEST_F(Ip4OutputTest, DispatchSendsAWholeBurstToOnePortAndSortsAMixedOne) {
  Burst b;
  for (int k = 0; k < 3; ++k)
    add(b, client_packet(ipv4(kClient, kLanHost, 100, 0), sid_), Next::Ip4Forward);
  ip4_forward(*w_, b);
  b.mark_prefetched(1);
  dispatch(*w_, b);  // every packet to the LAN port: sent as the burst is
  EXPECT_EQ(w_->bench_tx_lan, 3u);
  EXPECT_EQ(w_->bench_tx_wan, 0u);
  EXPECT_EQ(b.n, 0);
  EXPECT_EQ(b.prefetched, 0u);  // the next burst starts with nothing asked for
  add(b, client_packet(ipv4(kClient, kLanHost, 100, 0), sid_), Next::TxLan);
  add(b, client_packet(ipv4(kClient, kLanHost, 100, 0), sid_), Next::TxWan);
  add(b, client_packet(ipv4(kClient, kLanHost, 100, 0), sid_), Next::Drop);
  b.why[2] = DropReason::Ipv4Spoofed;
  dispatch(*w_, b);
  EXPECT_EQ(w_->bench_tx_lan, 4u);
  EXPECT_EQ(w_->bench_tx_wan, 1u);
  EXPECT_EQ(drops(DropReason::Ipv4Spoofed), 1u);
}

TEST_F(Ip4OutputTest, UpstreamOverLanMtu) {
  // DF: frag-needed (MTU 1500) back into the client's own session; no DF: two LAN frames.
  Burst b;
  add(b, client_packet(ipv4(kClient, kLanHost, 1600, wire::kIpv4FlagDf), sid_), Next::Ip4Forward);
  add(b, client_packet(ipv4(kClient, kLanHost, 1600, 0), sid_), Next::Ip4Forward);
  ip4_forward(*w_, b);
  EXPECT_EQ(b.next[0], Next::Drop);
  EXPECT_EQ(b.why[0], DropReason::Ipv4TooBig);
  EXPECT_EQ(b.next[1], Next::TxLan);
  ASSERT_EQ(w_->spawned.n, 2);
  // The ICMP error, for the client's session.
  EXPECT_EQ(w_->spawned.next[0], Next::L2tpEncap);
  rte_mbuf* icmp = w_->spawned.pkts[0];
  EXPECT_EQ(meta(icmp).session_id, sid_);
  const uint8_t* ip = rte_pktmbuf_mtod(icmp, const uint8_t*);
  EXPECT_EQ(be32(ip + 12), kLanAddr);
  EXPECT_EQ(be32(ip + 16), kClient);
  EXPECT_EQ(be16(ip + 26), 1500);
  // The second fragment, out of the LAN port with an Ethernet header.
  EXPECT_EQ(w_->spawned.next[1], Next::TxLan);
  const uint8_t* e1 = rte_pktmbuf_mtod(w_->spawned.pkts[1], const uint8_t*);
  EXPECT_EQ(0, std::memcmp(e1, kHostMac.addr_bytes, 6));
  EXPECT_EQ(be16(e1 + 14 + 6), 1480 / 8);
  EXPECT_EQ(be16(rte_pktmbuf_mtod(b.pkts[1], const uint8_t*) + 14 + 2), 1500);
  l2tp_encap(*w_, b);
  esp_encrypt(*w_, b);
  dispatch(*w_, b);
  flush_spawned(*w_);
  EXPECT_EQ(w_->bench_tx_lan, 2u);  // two fragments
  EXPECT_EQ(w_->bench_tx_wan, 1u);  // the ICMP error, encrypted
  EXPECT_EQ(counter(Counter::IcmpErrorSent), 1u);
  EXPECT_EQ(counter(Counter::Ipv4FragmentsCreated), 2u);
}

TEST_F(Ip4OutputTest, ErrorForAClientOfAnotherWorkerIsHandedOff) {
  // Client to client: a DF packet from worker 1's client, handed to us (the destination
  // session's owner), is over our session's MTU; the error goes back to worker 1's ring.
  const Bytes orig = ipv4(kRemoteClient, kClient, 1500, wire::kIpv4FlagDf);
  Burst b;
  rte_mbuf* m = client_packet(orig, sid_);
  add(b, m, Next::L2tpEncap);
  l2tp_encap(*w_, b);
  EXPECT_EQ(b.why[0], DropReason::Ipv4TooBig);
  ASSERT_EQ(w_->spawned.n, 1);
  EXPECT_EQ(w_->spawned.next[0], Next::Handoff);
  EXPECT_EQ(w_->spawned.target[0], 1);
  rte_mbuf* icmp = w_->spawned.pkts[0];
  EXPECT_EQ(meta(icmp).resume, static_cast<uint8_t>(Next::L2tpEncap));
  EXPECT_EQ(meta(icmp).session_id, remote_sid_);
  dispatch(*w_, b);
  flush_spawned(*w_);
  EXPECT_EQ(counter(Counter::HandoffOut), 1u);
  EXPECT_EQ(rte_ring_count(shared_.handoff[0][1]), 1u);
}

TEST_F(Ip4OutputTest, TtlExpiryBothWays) {
  Burst b;
  add(b, client_packet(ipv4(kClient, kLanHost, 100, 0, 1), sid_), Next::Ip4Forward);
  add(b, lan_frame(ipv4(kLanHost, kClient, 100, 0, 1)), Next::LanClassify);
  lan_classify(*w_, b);
  ip4_forward(*w_, b);
  EXPECT_EQ(b.why[0], DropReason::Ipv4TtlExceeded);
  EXPECT_EQ(b.why[1], DropReason::Ipv4TtlExceeded);
  ASSERT_EQ(w_->spawned.n, 2);
  // lan_classify ran first: its error is spawned first, to the LAN host.
  EXPECT_EQ(w_->spawned.next[0], Next::TxLan);
  const uint8_t* ip0 = rte_pktmbuf_mtod_offset(w_->spawned.pkts[0], const uint8_t*, 14);
  EXPECT_EQ(ip0[20], kIcmpTimeExceeded);
  EXPECT_EQ(be32(ip0 + 16), kLanHost);
  EXPECT_EQ(w_->spawned.next[1], Next::L2tpEncap);
  const uint8_t* ip1 = rte_pktmbuf_mtod(w_->spawned.pkts[1], const uint8_t*);
  EXPECT_EQ(ip1[20], kIcmpTimeExceeded);
  EXPECT_EQ(ip1[21], kIcmpCodeTtlExceeded);
  EXPECT_EQ(be32(ip1 + 12), kLanAddr);
  EXPECT_EQ(be32(ip1 + 16), kClient);
  dispatch(*w_, b);
  flush_spawned(*w_);
  EXPECT_EQ(w_->bench_tx_lan, 1u);
  EXPECT_EQ(w_->bench_tx_wan, 1u);
  EXPECT_EQ(drops(DropReason::Ipv4TtlExceeded), 2u);
  EXPECT_EQ(counter(Counter::IcmpErrorSent), 2u);
}

TEST_F(Ip4OutputTest, NeverReplyCases) {
  Burst b;
  // An ICMP error (type 3) too big with DF, a later fragment with TTL 1, a broadcast frame
  // with TTL 1: each is dropped under its reason, no error is sent.
  Bytes icmp_err = ipv4(kLanHost, kClient, 1500, wire::kIpv4FlagDf, 64, wire::kIpProtoIcmp);
  icmp_err[20] = 3;
  store_be16(&icmp_err[10], 0);
  store_be16(&icmp_err[10], wire::fold_checksum(wire::ones_sum(icmp_err.data(), 20)));
  add(b, lan_frame(icmp_err), Next::LanClassify);
  add(b, lan_frame(ipv4(kLanHost, kClient, 100, 3, 1)), Next::LanClassify);
  add(b, lan_frame(ipv4(kLanHost, kClient, 100, 0, 1), rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}),
      Next::LanClassify);
  run_pipeline(*w_, b);
  EXPECT_EQ(drops(DropReason::Ipv4TooBig), 1u);
  EXPECT_EQ(drops(DropReason::Ipv4TtlExceeded), 2u);
  EXPECT_EQ(counter(Counter::IcmpErrorSuppressed), 3u);
  EXPECT_EQ(counter(Counter::IcmpErrorSent), 0u);
  EXPECT_EQ(w_->bench_tx_lan + w_->bench_tx_wan, 0u);
}

TEST_F(Ip4OutputTest, RateLimit) {
  w_->icmp_limit.configure(1, 3, rte_get_tsc_hz());  // 3 at once, then one a second
  Burst b;
  for (int i = 0; i < 5; ++i) add(b, lan_frame(ipv4(kLanHost, kClient, 100, 0, 1)), Next::LanClassify);
  run_pipeline(*w_, b);
  EXPECT_EQ(drops(DropReason::Ipv4TtlExceeded), 5u);
  EXPECT_EQ(counter(Counter::IcmpErrorSent), 3u);
  EXPECT_EQ(counter(Counter::IcmpErrorRateLimited), 2u);
  EXPECT_EQ(w_->bench_tx_lan, 3u);
  // A rate of 0 sends none.
  w_->icmp_limit.configure(0, 50, rte_get_tsc_hz());
  add(b, lan_frame(ipv4(kLanHost, kClient, 100, 0, 1)), Next::LanClassify);
  run_pipeline(*w_, b);
  EXPECT_EQ(counter(Counter::IcmpErrorSent), 3u);
  EXPECT_EQ(counter(Counter::IcmpErrorRateLimited), 3u);
}

TEST_F(Ip4OutputTest, SpawnedBurstOverflowsIntoTheMiddleOfAStage) {
  // 40 packets of 1500 bytes for a session of MTU 576: 3 fragments each, 80 spawned, more
  // than one burst holds, so the spawned burst is flushed from inside l2tp_encap.
  Burst b;
  for (int i = 0; i < 40; ++i) add(b, lan_frame(ipv4(kLanHost, kSmallClient, 1500, 0)), Next::LanClassify);
  run_pipeline(*w_, b);
  EXPECT_EQ(counter(Counter::Ipv4Fragmented), 40u);
  EXPECT_EQ(counter(Counter::Ipv4FragmentsCreated), 120u);
  EXPECT_EQ(counter(Counter::EspEncrypted), 120u);
  EXPECT_EQ(w_->bench_tx_wan, 120u);
  for (size_t r = 1; r < kDropReasonCount; ++r) EXPECT_EQ(w_->stats->drops[r], 0u) << r;
}

TEST_F(Ip4OutputTest, FragmentationFailures) {
  Burst b;
  // Options whose length runs past the header cannot be cut: dropped, not sent whole.
  Bytes bad = ipv4(kLanHost, kClient, 1500, 0);
  bad.insert(bad.begin() + 20, {0x83, 9, 4, 0});
  bad[0] = 0x46;
  store_be16(&bad[2], static_cast<uint16_t>(bad.size()));
  store_be16(&bad[10], 0);
  store_be16(&bad[10], wire::fold_checksum(wire::ones_sum(bad.data(), 24)));
  add(b, lan_frame(bad), Next::LanClassify);
  run_pipeline(*w_, b);
  EXPECT_EQ(drops(DropReason::Ipv4FragFailed), 1u);
  EXPECT_EQ(w_->bench_tx_wan, 0u);
}

}  // namespace
}  // namespace l2tpgw::dp
