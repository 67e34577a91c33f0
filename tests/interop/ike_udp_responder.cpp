// SPDX-License-Identifier: Apache-2.0
// ike-udp-responder: the IKE responder (controlplane/ike) on plain UDP sockets, for interop
// tests against a real IKEv1 initiator (strongSwan's charon) in a network namespace, without
// the dataplane. Port 500, and 4500 with the RFC 3948 non-ESP marker; the SAs go to a
// FakeInstaller and are printed (never their keys).
//
//   L2TPGW_IKE_PSK=secret ike-udp-responder --addr 192.0.2.1 [--children 1] [--timeout 30]
//                                            [--linger 2] [--nat-traversal on|off]
//                                            [--initiate 192.0.2.10]
//
// --initiate PEER: the initiator role as well (the mirror case: the real implementation
// responds): Main Mode and Quick Mode to PEER, offering AES-128/256, 3DES x SHA1/SHA256 x
// MODP1024/2048 and ESP AES-CBC with HMAC-SHA1/SHA256 and AES-GCM; one attempt. The times to
// the ISAKMP SA and to the IPsec SA pair are printed ("MAIN_MODE established after N ms").
//
// Exits 0 once `--children` IPsec SA pairs are installed (after answering for --linger more
// seconds), 1 on timeout, 2 on usage errors. The key comes from the environment so that it
// never shows in a process listing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "controlplane/ike/frame.hpp"
#include "controlplane/ike/responder.hpp"
#include "controlplane/install/fake_installer.hpp"
#include "controlplane/log/log.hpp"

using namespace l2tpgw;
using namespace l2tpgw::cp;
using namespace l2tpgw::cp::ike;

namespace {

int bind_udp(uint32_t addr, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(addr);
  sa.sin_port = htons(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int usage() {
  std::fprintf(stderr,
               "usage: L2TPGW_IKE_PSK=KEY ike-udp-responder --addr A.B.C.D [--children N] "
               "[--timeout S] [--linger S] [--nat-traversal on|off] [--initiate A.B.C.D]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t addr = 0, initiate_to = 0;
  int children_wanted = 1, timeout_s = 30, linger_s = 2;
  bool natt = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--addr") {
      in_addr a{};
      if (inet_pton(AF_INET, v.c_str(), &a) != 1) return usage();
      addr = ntohl(a.s_addr);
    } else if (k == "--children") {
      children_wanted = std::atoi(v.c_str());
    } else if (k == "--timeout") {
      timeout_s = std::atoi(v.c_str());
    } else if (k == "--linger") {
      linger_s = std::atoi(v.c_str());
    } else if (k == "--initiate") {
      in_addr a{};
      if (inet_pton(AF_INET, v.c_str(), &a) != 1) return usage();
      initiate_to = ntohl(a.s_addr);
    } else if (k == "--nat-traversal") {
      natt = v == "on";
    } else {
      return usage();
    }
  }
  const char* psk = std::getenv("L2TPGW_IKE_PSK");
  if (!addr || !psk || !*psk) return usage();
  log_init(LogSink::Stderr, "ike-udp-responder", LogLevel::Debug);

  const int fds[2] = {bind_udp(addr, kIkePort), bind_udp(addr, kNatTPort)};
  if (fds[0] < 0 || fds[1] < 0) {
    std::perror("bind");
    return 1;
  }
  ResponderConfig cfg;
  PeerPolicy p = PeerPolicy::all_supported();
  p.psk = psk;
  p.nat_traversal = natt;
  cfg.policies.set_any(p);
  if (initiate_to) {
    Connection c;
    c.local_addr = addr;
    c.peer_addr = initiate_to;
    c.auto_refresh = false;
    for (CipherSuite cs : {CipherSuite{CipherAlg::AesCbc, 128}, CipherSuite{CipherAlg::AesCbc, 256},
                           CipherSuite{CipherAlg::TdesCbc, 192}})
      for (HashAlg h : {HashAlg::Sha1, HashAlg::Sha256})
        for (DhGroup g : {DhGroup::Modp2048, DhGroup::Modp1024}) {
          Phase1Suite s;
          s.cipher = cs;
          s.hash = h;
          s.group = g;
          c.ike_offers.push_back(s);
        }
    for (auto [ec, ea] : {std::pair{EspCipher::AesCbc128, EspAuth::HmacSha1_96},
                          std::pair{EspCipher::AesCbc256, EspAuth::HmacSha1_96},
                          std::pair{EspCipher::AesCbc256, EspAuth::HmacSha256_128},
                          std::pair{EspCipher::AesGcm128, EspAuth::None},
                          std::pair{EspCipher::AesGcm256, EspAuth::None}}) {
      EspSuite s;
      s.cipher = ec;
      s.auth = ea;
      c.esp_offers.push_back(s);
    }
    cfg.connections = {c};
  }
  FakeInstaller installer(256);
  IkeResponder r(cfg, installer);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto ms_since_start = [&] {
    return static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  };
  int children = 0;
  IkeHooks hooks;
  hooks.child_up = [&](const ChildSaEvent& e) {
    ++children;
    std::printf("QUICK_MODE complete after %lld ms\n", ms_since_start());
    std::printf("CHILD_SA up: peer %u.%u.%u.%u:%u spi_in %08x spi_out %08x %s/%s natt=%d\n",
                e.peer.addr >> 24, (e.peer.addr >> 16) & 0xff, (e.peer.addr >> 8) & 0xff,
                e.peer.addr & 0xff, e.peer.port, e.spi_in, e.spi_out,
                std::string(format(e.cipher)).c_str(), std::string(format(e.auth)).c_str(),
                e.natt ? 1 : 0);
    std::fflush(stdout);
  };
  r.set_hooks(hooks);
  if (initiate_to) r.initiate(initiate_to, Clock::now());

  std::optional<Clock::time_point> done_at;
  bool phase1_reported = false;
  uint8_t buf[kMaxMessageLen + 64];
  for (;;) {
    const auto now = Clock::now();
    if (!done_at && children >= children_wanted) done_at = now;
    if (done_at && now - *done_at >= std::chrono::seconds(linger_s)) break;
    if (now - start >= std::chrono::seconds(timeout_s)) {
      std::printf("TIMEOUT after %d s with %d of %d IPsec SA pairs\n", timeout_s, children,
                  children_wanted);
      break;
    }
    int wait_ms = 100;
    if (auto d = r.next_deadline()) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d - now).count();
      wait_ms = static_cast<int>(std::clamp<long>(ms, 0, 100));
    }
    pollfd pfd[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    poll(pfd, 2, wait_ms);
    for (int i = 0; i < 2; ++i) {
      if (!(pfd[i].revents & POLLIN)) continue;
      sockaddr_in from{};
      socklen_t flen = sizeof(from);
      const ssize_t n = recvfrom(fds[i], buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n <= 0) continue;
      ByteView msg(buf, static_cast<size_t>(n));
      const uint16_t local_port = i == 0 ? kIkePort : kNatTPort;
      if (local_port == kNatTPort) {
        // RFC 3948 §2.2: IKE after four zero bytes; a keepalive is one 0xff byte; else ESP.
        if (msg.size() < kNonEspMarkerLen + kHeaderLen || msg[0] || msg[1] || msg[2] || msg[3]) continue;
        msg = msg.subspan(kNonEspMarkerLen);
      }
      r.on_datagram(Endpoint{addr, local_port}, Endpoint{ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)},
                    msg, Clock::now());
    }
    r.on_timer(Clock::now());
    if (!phase1_reported && r.counters()[IkeCounter::Phase1Established] > 0) {
      phase1_reported = true;
      std::printf("MAIN_MODE established after %lld ms\n", ms_since_start());
      std::fflush(stdout);
    }
    for (const Datagram& d : r.take_outbox()) {
      Bytes out;
      if (needs_non_esp_marker(d.local, d.peer)) out.assign(kNonEspMarkerLen, 0);
      out.insert(out.end(), d.message.begin(), d.message.end());
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(d.peer.addr);
      to.sin_port = htons(d.peer.port);
      sendto(fds[d.local.port == kNatTPort ? 1 : 0], out.data(), out.size(), 0,
             reinterpret_cast<sockaddr*>(&to), sizeof(to));
    }
  }
  std::printf("counters:");
  for (size_t c = 0; c < kIkeCounterCount; ++c)
    if (r.counters().value[c]) std::printf(" %s=%llu", std::string(to_string(static_cast<IkeCounter>(c))).c_str(),
                                           static_cast<unsigned long long>(r.counters().value[c]));
  std::printf("\n");
  close(fds[0]);
  close(fds[1]);
  return children >= children_wanted ? 0 : 1;
}
