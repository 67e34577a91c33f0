// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the IKE responder as a state machine fed by the network. The input is a
// sequence of datagrams, each as [flags][length:2][bytes]: flags choose port 500 or 4500, one
// of two peer addresses, whether the cookies are patched to the SA the responder answered last
// (so fuzzed MM3/MM5/QM/Informational messages reach an existing SA), and how far the clock
// moves before the timers run. Invariants after every step: the half-open and total IKE SA
// caps hold, every IPsec SA pair the responder reports is installed (two SAs each) and
// nothing else is, and every datagram it sends decodes as ISAKMP.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "controlplane/ike/responder.hpp"
#include "controlplane/install/fake_installer.hpp"
#include "controlplane/log/log.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace l2tpgw;
using namespace l2tpgw::cp;
using namespace l2tpgw::cp::ike;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = [] {
    log_init(LogSink::Stderr, "fuzz", LogLevel::Error);
    return true;
  }();
  (void)init;
  FuzzRandom rng;
  ResponderConfig cfg;
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = "fuzz-key";
  cfg.policies.set_any(p);
  cfg.limits.max_half_open = 4;
  cfg.limits.max_ike_sas = 8;
  cfg.limits.max_quick_modes_per_sa = 2;
  FakeInstaller inst(16);
  IkeResponder r(cfg, inst, [&rng](std::span<uint8_t> out) { rng.fill(out); });
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  Cookie last_ci{}, last_cr{};
  FuzzRecords records{data, size};
  uint8_t flags = 0;
  Bytes msg;
  for (int steps = 0; steps < 16 && records.next(flags, msg); ++steps) {
    if ((flags & 0x02) && msg.size() >= 16) {
      std::memcpy(msg.data(), last_ci.data(), 8);
      std::memcpy(msg.data() + 8, last_cr.data(), 8);
    }
    const uint16_t port = (flags & 0x01) ? kNatTPort : kIkePort;
    const Endpoint local{0xc0000201, port};
    const Endpoint peer{(flags & 0x20) ? 0xcb007107u : 0xc633640au, port};
    now += std::chrono::seconds(5 * ((flags >> 2) & 7));
    r.on_timer(now);
    r.on_datagram(local, peer, msg, now);
    for (const Datagram& d : r.take_outbox()) {
      auto h = decode_header(d.message);
      if (!h) std::abort();
      if (h->rcookie != Cookie{}) {
        last_ci = h->icookie;
        last_cr = h->rcookie;
      }
    }
    if (r.half_open_count() > cfg.limits.max_half_open) std::abort();
    if (r.ike_sa_count() > cfg.limits.max_ike_sas) std::abort();
    if (inst.sas().size() != 2 * r.child_sa_count()) std::abort();
  }
  r.shutdown(now);
  (void)r.take_outbox();
  if (!inst.sas().empty()) std::abort();
  return 0;
}
