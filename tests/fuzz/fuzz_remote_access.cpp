// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: RemoteAccess (controlplane/access) -- the LNS, the PPP sessions and the
// tables together -- over a sequence of what two IPsec clients send. Input: records of
// [kind:1][len:2][bytes]:
//   kind & 6 == 0   an L2TP control message from client (kind & 1); the l2tp_lns corpus,
//                   whose records are [peer:1][len:2][bytes], seeds this target as it is
//   kind & 6 == 2   a PPP packet: tunnel id:2, session id:2, protocol:2, packet, carried by
//                   client (kind & 1)'s SA
//   kind & 6 == 4   client (kind & 1)'s SA pair goes (IKE Delete) and comes back as a new pair
//                   (as it does when L2TP finds the client unreachable: set_drop_peer)
//   kind & 6 == 6   the clock moves by len seconds
// Invariants: nothing crashes; after the input the timers run until nothing is left (HELLO
// keepalive ends every tunnel of a silent client), and then no call, no installed session or
// tunnel is left, and every pool address is free again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "controlplane/access/remote_access.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/install/fake_installer.hpp"

using namespace l2tpgw;
using namespace l2tpgw::cp;

namespace {

constexpr const char* kConfig = R"(ip lan1 address 192.0.2.1/24
pp select anonymous
 pp bind tunnel1-tunnel2
 pp auth request chap-pap
 pp auth username u1 p1
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ip pp remote address pool 192.0.2.200-192.0.2.201
 pp enable anonymous
tunnel select 1
 tunnel encapsulation l2tp
 l2tp keepalive use on 10 3
 l2tp syslog on
 tunnel enable 1
tunnel select 2
 tunnel encapsulation l2tp
 l2tp tunnel auth on fuzz-secret
 l2tp keepalive use on 10 3
 tunnel enable 2
dns server 192.0.2.53
l2tp service on
)";

struct Link : access::RemoteAccessLink {
  bool send_esp(uint32_t, std::vector<uint8_t>) override { return true; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const config::Config cfg = [] {
    auto r = config::load_config(kConfig);
    if (!r.ok()) std::abort();
    return *r.config;
  }();
  FakeInstaller fake(64);
  ppp::ManualTimers timers;
  ppp::SequenceRandom random(1);
  Link link;
  {
    access::RemoteAccess ra(fake, timers, random, link, [&] { return timers.now(); });
    ra.set_config(cfg);
    access::IpsecPair pairs[2];
    auto up = [&](int c) {
      tables::SaParams in;
      in.peer_index = static_cast<uint32_t>(c + 1);
      tables::SaParams out = in;
      out.direction = tables::SaDirection::Outbound;
      out.spi = 0x1000u + static_cast<uint32_t>(c);
      pairs[c] = {in.peer_index, fake.add_sa(in).value, fake.add_sa(out).value};
      ra.ipsec_up(pairs[c]);
    };
    auto renew = [&](int c) {
      ra.ipsec_down(pairs[c]);
      fake.del_sa(pairs[c].slot_in);
      fake.del_sa(pairs[c].slot_out);
      up(c);
    };
    ra.set_drop_peer([&](uint32_t peer_index) {
      if (peer_index != 1 && peer_index != 2) std::abort();
      renew(static_cast<int>(peer_index) - 1);
    });
    up(0);
    up(1);
    size_t off = 0;
    while (off + 3 <= size) {
      const uint8_t kind = data[off];
      const int c = kind & 1;
      const size_t len = std::min<size_t>((data[off + 1] << 8) | data[off + 2], size - off - 3);
      const uint8_t* p = data + off + 3;
      switch (kind & 6) {
        case 0: ra.on_l2tp_control({p, len}, {0xcb00710au + c, 1701, pairs[c].slot_in}); break;
        case 2:
          if (len >= 6)
            ra.on_ppp(static_cast<uint16_t>(p[0] << 8 | p[1]), static_cast<uint16_t>(p[2] << 8 | p[3]),
                      pairs[c].slot_in, static_cast<uint16_t>(p[4] << 8 | p[5]), {p + 6, len - 6});
          break;
        case 4: renew(c); break;
        default: timers.advance(std::chrono::seconds(len % 120)); break;
      }
      timers.advance(std::chrono::milliseconds(0));
      off += 3 + len;
    }
    for (int i = 0; i < 2000 && timers.armed(); ++i) timers.advance(std::chrono::seconds(5));
    if (timers.armed() || ra.call_count() != 0 || !ra.l2tp_status().empty()) std::abort();
  }
  if (!fake.sessions().empty() || !fake.tunnels().empty()) std::abort();
  return 0;
}
