// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/ike/ike_service: punted IKE frames in (as the punt channel hands them
// over), Ethernet frames out on worker 0's inject ring for the WAN port. A whole Main Mode and
// Quick Mode runs through real mbufs, rings and the punt classifier, with the NAT-T float to
// port 4500 and its non-ESP marker, ending in both ESP SAs installed.
#include "controlplane/ike/ike_service.hpp"

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <gtest/gtest.h>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "common/wire/ipv4.hpp"
#include "common/wire/udp.hpp"
#include "controlplane/cli/show.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/install/fake_installer.hpp"
#include "controlplane/punt/classify.hpp"
#include "controlplane/punt/injector.hpp"
#include "test_initiator.hpp"
#include "tests/unit/controlplane/eal_env.hpp"
#include "tests/unit/controlplane/tables_fixture.hpp"

L2TPGW_CP_TEST_EAL();

namespace l2tpgw::cp::ike {
namespace {

constexpr uint32_t kWanAddr = 0xc0000201;      // 192.0.2.1
constexpr uint32_t kClientAddr = 0xc0a8010a;   // 192.168.1.10, behind a NAT
constexpr uint32_t kClientPublic = 0xcb007107; // 203.0.113.7
const LinkAddrs kRouterToUs{{0x02, 0, 0, 0, 0, 0x01}, {0x02, 0, 0, 0, 0, 0x99}};

class IkeServiceTest : public cp::test::TablesFixture {
 protected:
  void SetUp() override {
    TablesFixture::SetUp();
    pool_ = rte_pktmbuf_pool_create("ike_svc_test", 255, 0, kPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    for (uint32_t w = 0; w < 2; ++w) {
      rings_[w] = rte_ring_create(("ike_svc_test_" + std::to_string(w)).c_str(), 64, SOCKET_ID_ANY,
                                  RING_F_SC_DEQ);
      ASSERT_NE(rings_[w], nullptr);
    }
    injector_ = std::make_unique<Injector>(pool_, rings_, tables_);
    services_.emplace(DaemonServices{loop_, installer_, *injector_});
    configure(
        "ipsec ike pre-shared-key 1 text svc-secret\n"
        "ipsec ike remote address 1 any\n"
        "ipsec ike nat-traversal 1 on\n");
  }
  void TearDown() override {
    svc_.detach();
    injector_.reset();
    for (rte_ring* r : rings_) {
      if (!r) continue;
      void* m;
      while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
      rte_ring_free(r);
    }
    rte_mempool_free(pool_);
    TablesFixture::TearDown();
  }

  // The service's running configuration becomes `text`.
  void configure(const char* text) {
    auto cfg = config::load_config(text);
    ASSERT_TRUE(cfg.ok()) << cfg.diagnostics[0].message;
    svc_.set_config(*cfg.config);
  }

  // Hands `message` to the service as the punt channel would: a frame from the router, from
  // the client's public endpoint to ours.
  void punt(const Endpoint& from, const Endpoint& to, const Bytes& message,
            PuntVerdict expect = PuntVerdict::Consumed) {
    const LinkAddrs from_router{kRouterToUs.theirs, kRouterToUs.ours};
    const Bytes frame = build_ike_frame(from_router, from, to, message, 1);
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
    PktMeta& md = meta(m);
    md = PktMeta{};
    md.punt_kind = PuntKind::Ike;
    const PuntInfo info = classify_punt(md, std::span<const uint8_t>(frame));
    ASSERT_TRUE(info.cls == PuntClass::Ike || info.cls == PuntClass::IkeNatT);
    PuntedPacket p{m, md, info,
                   std::span<const uint8_t>(rte_pktmbuf_mtod(m, const uint8_t*) + info.payload_off,
                                            info.payload_len)};
    EXPECT_EQ(svc_.punt_handler()(p), expect);  // either way the channel frees it
    rte_pktmbuf_free(m);
  }

  struct OutFrame {
    Endpoint from, to;
    bool marker = false;
    bool routed = false;  // a UDP datagram for the dataplane to route (InjectNext::UdpWan)
    Bytes message;
  };
  // What the service injected, for worker 0: whole frames for the WAN port, back along the
  // router's link, IPv4/UDP with valid checksums (the wire decoders check them); or, to a peer
  // not heard from yet, UDP datagrams (checksum over the pseudo-header of the meta's
  // addresses) for the dataplane to route. On 4500, the non-ESP marker.
  std::vector<OutFrame> sent() {
    std::vector<OutFrame> out;
    void* obj;
    EXPECT_EQ(rte_ring_count(rings_[1]), 0u);
    while (rte_ring_dequeue(rings_[0], &obj) == 0) {
      rte_mbuf* m = static_cast<rte_mbuf*>(obj);
      const std::span<const uint8_t> f(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
      OutFrame o;
      size_t off = 0;
      if (meta(m).resume == static_cast<uint8_t>(InjectNext::UdpWan)) {
        o.routed = true;
        Bytes pseudo(12, 0);
        ByteWriter pw(pseudo);
        pw.be32(meta(m).outer_src);
        pw.be32(meta(m).outer_dst);
        pw.be16(wire::kIpProtoUdp);
        pw.be16(static_cast<uint16_t>(f.size()));
        EXPECT_EQ(wire::fold_checksum(wire::ones_sum(f.data(), f.size(), wire::ones_sum(pseudo.data(), 12))), 0u);
        ByteReader r(f);
        auto udp = wire::decode_udp(r);
        EXPECT_TRUE(udp);
        if (!udp) continue;
        o.from = {meta(m).outer_src, udp->src_port};
        o.to = {meta(m).outer_dst, udp->dst_port};
        off = kUdpHeaderLen;
      } else {
        EXPECT_EQ(meta(m).resume, static_cast<uint8_t>(InjectNext::TxWan));
        EXPECT_TRUE(std::equal(kRouterToUs.theirs.begin(), kRouterToUs.theirs.end(), f.begin()));
        EXPECT_TRUE(std::equal(kRouterToUs.ours.begin(), kRouterToUs.ours.end(), f.begin() + 6));
        ByteReader r(f.subspan(kEtherHeaderLen));
        auto ip = wire::decode_ipv4(r);
        EXPECT_TRUE(ip);
        if (!ip) continue;
        auto udp = wire::decode_udp(ByteReader(f.subspan(kEtherHeaderLen + ip->ihl_bytes)));
        EXPECT_TRUE(udp);
        if (!udp) continue;
        o.from = {ip->src, udp->src_port};
        o.to = {ip->dst, udp->dst_port};
        off = kEtherHeaderLen + ip->ihl_bytes + kUdpHeaderLen;
      }
      if (needs_non_esp_marker(o.from, o.to)) {
        o.marker = f[off] == 0 && f[off + 1] == 0 && f[off + 2] == 0 && f[off + 3] == 0;
        off += kNonEspMarkerLen;
      }
      o.message.assign(f.begin() + static_cast<long>(off), f.end());
      out.push_back(o);
      rte_pktmbuf_free(m);
    }
    return out;
  }

  // The client behind its NAT runs Main Mode, floats to 4500 and runs Quick Mode through the
  // service; every reply is checked as it comes back.
  void establish_client() {
    test::TestInitiator ini({kClientAddr, 500}, {kWanAddr, 500}, "svc-secret");
    const Endpoint pub500{kClientPublic, 40500}, pub4500{kClientPublic, 44500};
    punt(pub500, {kWanAddr, 500}, ini.mm1());
    EXPECT_GE(loop_.timers_armed(), 1u);  // the half-open timeout
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].from, (Endpoint{kWanAddr, 500}));
    EXPECT_EQ(out[0].to, pub500);
    ASSERT_TRUE(ini.take_mm2(out[0].message));
    punt(pub500, {kWanAddr, 500}, ini.mm3());
    out = sent();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(ini.take_mm4(out[0].message));
    ASSERT_TRUE(ini.nat_detected);
    ini.self.port = kNatTPort;
    ini.responder.port = kNatTPort;
    punt(pub4500, {kWanAddr, kNatTPort}, ini.mm5(true));
    out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].from, (Endpoint{kWanAddr, kNatTPort}));
    EXPECT_EQ(out[0].to, pub4500);
    EXPECT_TRUE(out[0].marker);  // RFC 3948 §2.2
    ASSERT_TRUE(ini.take_mm6(out[0].message));

    test::TestInitiator::Qm q;
    test::EspOffer esp;
    esp.encap = kEncapUdpTransport;
    punt(pub4500, {kWanAddr, kNatTPort},
         ini.qm1(q, {esp}, std::make_pair(ipv4_id(kClientAddr, 17, 1701), ipv4_id(kWanAddr, 17, 1701)),
                 true));
    out = sent();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(ini.take_qm2(q, out[0].message));
    punt(pub4500, {kWanAddr, kNatTPort}, ini.qm3(q));
    EXPECT_TRUE(sent().empty());
  }

  rte_mempool* pool_ = nullptr;
  std::array<rte_ring*, tables::kMaxWorkers> rings_{};
  std::unique_ptr<Injector> injector_;
  EventLoop loop_;
  FakeInstaller installer_{64};
  std::optional<DaemonServices> services_;
  IkeService svc_;
};

TEST_F(IkeServiceTest, DetachedPacketsAreCountedNotHandled) {
  test::TestInitiator ini({kClientAddr, 500}, {kWanAddr, 500}, "svc-secret");
  punt({kClientPublic, 40500}, {kWanAddr, 500}, ini.mm1(), PuntVerdict::Declined);
  EXPECT_EQ(svc_.counters().detached, 1u);
  EXPECT_TRUE(sent().empty());
}

TEST_F(IkeServiceTest, MainModeAndQuickModeThroughFramesAndRings) {
  svc_.attach(*services_);
  ASSERT_NO_FATAL_FAILURE(establish_client());
  const auto sas = installer_.sas();
  ASSERT_EQ(sas.size(), 2u);
  for (const auto& sa : sas) {
    EXPECT_TRUE(sa.natt);
    EXPECT_EQ(sa.peer_addr, kClientPublic);
    EXPECT_EQ(sa.peer_port, 44500);
    EXPECT_EQ(sa.local_port, kNatTPort);
  }
  EXPECT_EQ(svc_.counters().received, 5u);
  EXPECT_EQ(svc_.counters().sent, 4u);
  ASSERT_NE(svc_.responder(), nullptr);
  EXPECT_EQ(svc_.responder()->counters()[IkeCounter::Phase2Established], 1u);

  // Detaching forgets the IKE state and its timers; the installed SAs stay.
  svc_.detach();
  EXPECT_EQ(svc_.responder(), nullptr);
  EXPECT_EQ(loop_.timers_armed(), 0u);
  EXPECT_EQ(installer_.sas().size(), 2u);
}

// `show ipsec sa` from IKE's state: the pair under the number of the ISAKMP SA that negotiated
// it and the gateway's `ipsec transport`, lifetimes counting down; once detached, the installed
// SAs alone.
TEST_F(IkeServiceTest, ShowIpsecSaComesFromIkeState) {
  ASSERT_NO_FATAL_FAILURE(configure(
      "tunnel select 1\n"
      " tunnel encapsulation l2tp\n"
      " ipsec tunnel 101\n"
      "  ipsec sa policy 101 1 esp aes-cbc sha-hmac\n"
      "  ipsec ike pre-shared-key 1 text svc-secret\n"
      "  ipsec ike remote address 1 any\n"
      "  ipsec ike nat-traversal 1 on\n"
      " ipsec transport 5 101 udp 1701\n"
      "tunnel enable 1\n"));
  svc_.attach(*services_);
  auto show_at = [&](TimePoint now) {
    ShowSnapshot s = take_snapshot(installer_, kWanAddr, 0, 0);
    svc_.annotate(s, now);
    return show_ipsec_sa(s);
  };
  EXPECT_EQ(show_at(EventLoop::now()), "");
  ASSERT_NO_FATAL_FAILURE(establish_client());
  const std::string head =
      "sa   sgw isakmp connection   dir  life[s] remote-id\n"
      "-----------------------------------------------------------------------------\n";
  // The client offered 28800 s for phase 1 and 3600 s for its pair.
  const TimePoint now = EventLoop::now();
  EXPECT_EQ(show_at(now),
            "Total: isakmp:1 send:1 recv:1\n\n" + head +
            "1     1   3      tra[0005]esp recv 3600    203.0.113.7\n"
            "2     1   3      tra[0005]esp send 3600    203.0.113.7\n"
            "3     1   -      isakmp       -    28800   203.0.113.7\n");
  EXPECT_EQ(show_at(now + std::chrono::seconds(100)),
            "Total: isakmp:1 send:1 recv:1\n\n" + head +
            "1     1   3      tra[0005]esp recv 3500    203.0.113.7\n"
            "2     1   3      tra[0005]esp send 3500    203.0.113.7\n"
            "3     1   -      isakmp       -    28700   203.0.113.7\n");
  svc_.detach();
  EXPECT_EQ(show_at(now),
            "Total: isakmp:0 send:1 recv:1\n\n" + head +
            "1     1   -      tra[0001]esp recv -       203.0.113.7\n"
            "2     1   -      tra[0001]esp send -       203.0.113.7\n");
}

// The initiator role from the configuration: a reload adds an L2TPv3/IPsec tunnel to
// 198.51.100.20 and Main Mode starts at once. Nothing has come from that peer yet, so MM1 is a
// UDP datagram for the dataplane to route (ARP); once the peer's MM2 has arrived, the rest go
// back along its link. The peer, played by a second responder, answers, and the service
// completes Main Mode and Quick Mode by itself.
TEST_F(IkeServiceTest, ConfiguredL2tpv3TunnelIsInitiated) {
  constexpr uint32_t kPeer = 0xc6336414;  // 198.51.100.20
  std::vector<ChildSaEvent> ups;
  IkeHooks hooks;
  hooks.child_up = [&](const ChildSaEvent& e) { ups.push_back(e); };
  svc_.set_hooks(hooks);
  svc_.attach(*services_);
  const Endpoint peer_ep{kPeer, kIkePort}, wan{kWanAddr, kIkePort};
  // Another peer's frame through the router (a plain Informational outside any SA, counted and
  // ignored): its link is not the new peer's.
  {
    Notification n;
    n.type = static_cast<uint16_t>(NotifyType::InvalidCookie);
    PayloadChain c;
    c.add(PayloadType::Notification, encode_notification(n));
    IsakmpHeader h;
    h.icookie = Cookie{1, 2, 3, 4, 5, 6, 7, 8};
    h.exchange = ExchangeType::Informational;
    punt(Endpoint{0xcb007101, kIkePort}, wan, build_plain_message(h, c));
  }
  EXPECT_TRUE(sent().empty());

  ASSERT_NO_FATAL_FAILURE(configure(
      "tunnel select 1\n"
      " tunnel encapsulation l2tpv3\n"
      " tunnel endpoint address 192.0.2.1 198.51.100.20\n"
      " ipsec tunnel 100\n"
      "  ipsec sa policy 100 2 esp aes-cbc sha-hmac\n"
      "  ipsec ike local address 2 192.0.2.1\n"
      "  ipsec ike pre-shared-key 2 text svc-secret\n"
      "  ipsec ike remote address 2 198.51.100.20\n"
      "  ipsec ike encryption 2 aes-cbc\n"
      "  ipsec ike group 2 modp1024\n"
      " ipsec transport 1 100 udp 1701\n"
      "tunnel enable 1\n"
      "ipsec ike pre-shared-key 1 text svc-secret\n"
      "ipsec ike remote address 1 any\n"));
  ASSERT_NE(svc_.responder(), nullptr);
  EXPECT_EQ(svc_.responder()->counters()[IkeCounter::InitiatorStarted], 1u);

  FakeInstaller peer_inst{64};
  ResponderConfig pc;
  PeerPolicy pp = PeerPolicy::all_supported();
  pp.psk = "svc-secret";
  pc.policies.set_any(pp);
  IkeResponder peer(pc, peer_inst);
  size_t frames = 0, routed = 0;
  for (int round = 0; round < 10; ++round) {
    auto out = sent();
    if (out.empty()) break;
    for (const OutFrame& f : out) {
      ASSERT_EQ(f.to.addr, kPeer);
      EXPECT_EQ(f.from, wan);
      routed += f.routed;
      EXPECT_EQ(f.routed, frames == 0);  // MM1 only
      ++frames;
      peer.on_datagram(f.to, f.from, f.message, EventLoop::now());
      for (const Datagram& d : peer.take_outbox()) punt(d.local, d.peer, d.message);
    }
  }
  EXPECT_EQ(frames, 5u);  // MM1, MM3, MM5, QM1, QM3
  EXPECT_EQ(routed, 1u);
  EXPECT_EQ(svc_.counters().routed, 1u);
  ASSERT_EQ(ups.size(), 1u);
  EXPECT_TRUE(ups[0].initiator);
  EXPECT_EQ(ups[0].peer, peer_ep);
  EXPECT_EQ(installer_.sas().size(), 2u);
  EXPECT_EQ(peer.counters()[IkeCounter::Phase2Established], 1u);
}

}  // namespace
}  // namespace l2tpgw::cp::ike
