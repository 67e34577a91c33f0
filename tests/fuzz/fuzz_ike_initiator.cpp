// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the IKE initiator as a state machine fed by the network (MM2, MM4, MM6 and
// QM2 handling, RFC 2409 §5 and §5.5, initiator.cpp). Our initiator runs against our responder
// in the process, so that the encrypted answers it waits for exist; the input is a sequence of
// records [flags][length:2][bytes] that decide, per step, whether the responder's next answer
// is delivered as sent, delivered with the record's bytes XORed into it at an offset, replaced
// by the record's bytes (cookies patched to the initiator's SA, so they reach it), or lost, and
// how far the clock moves before the timers run. Invariants after every step: every IPsec SA
// pair the initiator reports is installed (two SAs each) and nothing else is, and every
// datagram it sends decodes as ISAKMP; after shutdown nothing is installed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "controlplane/ike/responder.hpp"
#include "controlplane/install/fake_installer.hpp"
#include "controlplane/log/log.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace l2tpgw;
using namespace l2tpgw::cp;
using namespace l2tpgw::cp::ike;

namespace {

constexpr uint32_t kInit = 0xc6336401;  // 198.51.100.1
constexpr uint32_t kResp = 0xc0000201;  // 192.0.2.1

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = [] {
    log_init(LogSink::Stderr, "fuzz", LogLevel::Error);
    return true;
  }();
  (void)init;
  FuzzRandom ra, rb{0x2545f4914f6cdd1dull};
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = "fuzz-key";
  p.dpd_interval = std::chrono::seconds(10);
  p.dpd_tries = 2;
  ResponderConfig ca;
  ca.policies.set(kResp, p);
  Connection c;
  c.local_addr = kInit;
  c.peer_addr = kResp;
  c.ike_offers = {Phase1Suite{{CipherAlg::AesCbc, 128}, HashAlg::Sha1, DhGroup::Modp1024},
                  Phase1Suite{{CipherAlg::TdesCbc, 192}, HashAlg::Md5, DhGroup::Modp1024}};
  EspSuite e;
  c.esp_offers = {e};
  c.rekey_percent = 50;
  ca.connections = {c};
  ResponderConfig cb;
  p.ipsec_lifetime_max = 60;  // rekeys within a run
  cb.policies.set_any(p);
  FakeInstaller ia(16), ib(16);
  IkeResponder a(ca, ia, [&ra](std::span<uint8_t> out) { ra.fill(out); });
  IkeResponder b(cb, ib, [&rb](std::span<uint8_t> out) { rb.fill(out); });
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  a.initiate(kResp, now);
  std::deque<Datagram> to_a;
  Cookie ci{}, cr{};
  auto from_a = [&] {
    for (Datagram& d : a.take_outbox()) {
      auto h = decode_header(d.message);
      fuzz_check(h);
      ci = h->icookie;
      if (h->rcookie != Cookie{}) cr = h->rcookie;
      b.on_datagram(d.peer, d.local, d.message, now);
    }
    for (Datagram& d : b.take_outbox()) to_a.push_back(std::move(d));
  };
  from_a();
  FuzzRecords records{data, size};
  uint8_t flags = 0;
  Bytes rec;
  for (int steps = 0; steps < 24 && records.next(flags, rec); ++steps) {
    Endpoint local{kInit, kIkePort}, peer{kResp, kIkePort};
    switch (flags & 3) {
      case 0:
      case 1: {
        if (to_a.empty()) break;
        Datagram d = std::move(to_a.front());
        to_a.pop_front();
        if ((flags & 3) == 1 && rec.size() >= 2 && !d.message.empty()) {
          size_t off = (size_t{rec[0]} << 8 | rec[1]) % d.message.size();
          for (size_t i = 2; i < rec.size() && off < d.message.size(); ++i, ++off)
            d.message[off] ^= rec[i];
        }
        a.on_datagram(d.peer, d.local, d.message, now);
        break;
      }
      case 2:
        if (rec.size() >= 16) {
          std::memcpy(rec.data(), ci.data(), 8);
          if (flags & 0x80) std::memcpy(rec.data() + 8, cr.data(), 8);
        }
        if (flags & 0x40) local.port = peer.port = kNatTPort;
        a.on_datagram(local, peer, rec, now);
        break;
      default:
        if (!to_a.empty()) to_a.pop_front();  // lost
        break;
    }
    now += std::chrono::seconds(5 * ((flags >> 2) & 7));
    a.on_timer(now);
    b.on_timer(now);
    from_a();
    fuzz_check(ia.sas().size() == 2 * a.child_sa_count());
  }
  a.shutdown(now);
  (void)a.take_outbox();
  fuzz_check(ia.sas().empty());
  return 0;
}
