// SPDX-License-Identifier: Apache-2.0
// l2tpgw-sessionctl: installs and removes static L2TP/IPsec sessions through the same
// TableWriter install API the controlplane uses (until IKE/L2TP/PPP install them).
#include <arpa/inet.h>
#include <rte_eal.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/crypto/esp_alg.hpp"
#include "common/tables/table_writer.hpp"
#include "controlplane/daemon/attach.hpp"
#include "controlplane/tools/eal_secondary.hpp"

namespace {

using namespace l2tpgw;
namespace po = boost::program_options;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "l2tpgw-sessionctl: %s\n", msg.c_str());
  std::exit(1);
}

uint32_t parse_ipv4(const std::string& s, const char* what) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) die(std::string(what) + ": not an IPv4 address: '" + s + "'");
  return ntohl(a.s_addr);
}

std::vector<uint8_t> parse_hex(const std::string& s, const char* what) {
  std::string h = s.rfind("0x", 0) == 0 ? s.substr(2) : s;
  if (h.size() % 2) die(std::string(what) + ": odd number of hex digits");
  std::vector<uint8_t> out;
  for (size_t i = 0; i < h.size(); i += 2) {
    try {
      size_t used = 0;
      int v = std::stoi(h.substr(i, 2), &used, 16);
      if (used != 2) throw std::invalid_argument("hex");
      out.push_back(static_cast<uint8_t>(v));
    } catch (...) {
      die(std::string(what) + ": not hex");
    }
  }
  return out;
}

// A peer index no installed SA uses yet.
uint32_t free_peer_index(const tables::TableWriter& w) {
  std::set<uint32_t> used;
  for (uint32_t s : w.installed_sas()) used.insert(w.tables().sa(s).peer_index);
  uint32_t p = 1;
  while (used.count(p)) ++p;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc(
      "Usage: l2tpgw-sessionctl [options] add|del|add-pw|del-pw|list\n"
      "Installs static L2TP/IPsec sessions and L2TPv3 Ethernet pseudowires (static L2TPv3, as\n"
      "`ip l2tp add session` does) into a running l2tpgw-dataplane (test and lab use; the\n"
      "controlplane installs negotiated ones through the same API).\nOptions");
  std::string prefix, cmd, client, peer, local, cipher = "aes-cbc", auth = "sha-hmac";
  std::string ek_in, ak_in, ek_out, ak_out, spi_out_s;
  uint32_t peer_index = 0;
  uint16_t peer_tid = 0, peer_sid = 0, peer_l2tp_port = 1701, peer_port = 4500, mtu = 1400, mss = 0;
  uint16_t replay = 64, session = 0;
  uint32_t pw_peer_sid = 0, pw_sid = 0;
  std::string local_cookie, peer_cookie;
  desc.add_options()
      ("help,h", "show this help")
      ("file-prefix", po::value<std::string>(&prefix), "the dataplane's EAL --file-prefix")
      ("command", po::value<std::string>(&cmd), "add | del | list")
      ("client", po::value<std::string>(&client), "add: the client's inner (PPP) address, in a pool")
      ("peer", po::value<std::string>(&peer), "add: the client's outer address")
      ("local", po::value<std::string>(&local), "add: our WAN address (default: the dataplane's)")
      ("natt", "add: UDP-encapsulated ESP (RFC 3948)")
      ("peer-port", po::value<uint16_t>(&peer_port)->default_value(4500), "add: the client's NAT-T port")
      ("cipher", po::value<std::string>(&cipher)->default_value("aes-cbc"), "des-cbc 3des-cbc aes-cbc aes256-cbc aes-gcm aes256-gcm")
      ("auth", po::value<std::string>(&auth)->default_value("sha-hmac"), "md5-hmac sha-hmac sha256-hmac none")
      ("enc-key-in", po::value<std::string>(&ek_in), "hex; GCM: key || 4-byte salt")
      ("auth-key-in", po::value<std::string>(&ak_in), "hex")
      ("enc-key-out", po::value<std::string>(&ek_out), "hex")
      ("auth-key-out", po::value<std::string>(&ak_out), "hex")
      ("spi-out", po::value<std::string>(&spi_out_s), "the client's SPI (hex)")
      ("peer-index", po::value<uint32_t>(&peer_index), "share one IPsec peering between sessions")
      ("peer-tunnel-id", po::value<uint16_t>(&peer_tid), "the client's L2TP tunnel id")
      ("peer-session-id", po::value<uint16_t>(&peer_sid), "the client's L2TP session id")
      ("peer-l2tp-port", po::value<uint16_t>(&peer_l2tp_port)->default_value(1701), "the client's L2TP UDP port")
      ("mtu", po::value<uint16_t>(&mtu)->default_value(1400), "session MTU")
      ("mss", po::value<uint16_t>(&mss)->default_value(0), "TCP MSS clamp (0 = off)")
      ("replay-window", po::value<uint16_t>(&replay)->default_value(64), "anti-replay window (0 = off)")
      ("session", po::value<uint16_t>(&session), "del: our session id")
      ("pw-peer-session-id", po::value<uint32_t>(&pw_peer_sid), "add-pw: the peer's L2TPv3 Session ID")
      ("local-cookie", po::value<std::string>(&local_cookie), "add-pw: hex, 0/4/8 bytes the peer sends us")
      ("peer-cookie", po::value<std::string>(&peer_cookie), "add-pw: hex, 0/4/8 bytes we send the peer")
      ("sublayer", "add-pw: the Default L2-Specific Sublayer (RFC 3931 §4.6) is used")
      ("pw-session", po::value<uint32_t>(&pw_sid),
       "add-pw: our L2TPv3 Session ID (static: tag << 16 | slot; default: chosen); del-pw: which");
  po::positional_options_description pos;
  pos.add("command", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    die(std::string(e.what()) + " (see --help)");
  }
  if (vm.count("help") || cmd.empty()) {
    std::cout << desc << "\n";
    return cmd.empty() && !vm.count("help") ? 2 : 0;
  }
  std::string err;
  // The tables have one writer at a time: while a controlplane is attached it is that writer
  // (its `l2tpgwctl disconnect` removes sessions), and this tool waits for nobody.
  if (!cp::eal_attach_secondary("l2tpgw-sessionctl", prefix, &err)) die(err);
  cp::InstanceLock lock;
  if (cmd != "list" && !lock.acquire(cp::instance_lock_path(prefix), &err))
    die(err + "; stop the controlplane first, or use l2tpgwctl");
  tables::SharedTables t;
  if (!tables::SharedTables::attach(t, &err)) die(err);
  tables::TableWriter w(t, std::random_device{}() | (uint64_t{std::random_device{}()} << 32));

  if (cmd == "list") {
    for (uint16_t sid : w.installed_sessions()) {
      const tables::SessionRecord& s = t.session(sid);
      in_addr a{htonl(s.client_addr)};
      std::printf("session=%u tunnel_id=%u client=%s peer_session_id=%u\n", sid, s.tunnel_id,
                  inet_ntoa(a), s.peer_session_id);
    }
    for (uint32_t id : w.installed_pseudowires()) {
      const tables::PseudowireRecord& r = t.pseudowire(tables::pw_slot(id));
      in_addr a{htonl(r.peer_addr)};
      std::printf("pseudowire session_id=%u peer=%s peer_session_id=%u sa_out=%u bridge=%u\n", id,
                  inet_ntoa(a), r.peer_session_id, r.sa_out.load(), r.bridge);
    }
    return 0;
  }
  if (cmd == "del-pw") {
    if (!vm.count("pw-session")) die("del-pw needs --pw-session");
    const uint32_t peer = t.pseudowire(tables::pw_slot(pw_sid)).peer_index;
    if (!w.del_pseudowire(pw_sid)) die("no pseudowire " + std::to_string(pw_sid));
    if (peer != 0)
      for (uint32_t sa : w.installed_sas())
        if (t.sa(sa).peer_index == peer) w.del_sa(sa);
    w.reclaim(true);
    std::printf("deleted pseudowire session_id=%u\n", pw_sid);
    return 0;
  }
  if (cmd == "add-pw") {
    for (const char* need : {"peer", "pw-peer-session-id"})
      if (!vm.count(need)) die(std::string("add-pw needs --") + need);
    const std::vector<uint8_t> lc = parse_hex(local_cookie, "--local-cookie");
    const std::vector<uint8_t> pc = parse_hex(peer_cookie, "--peer-cookie");
    tables::PseudowireParams p;
    if (vm.count("pw-session") && !(p.session_id = w.reserve_pw_session_id(pw_sid, &err)))
      die("--pw-session: " + err);
    p.peer_session_id = pw_peer_sid;
    p.peer_addr = parse_ipv4(peer, "--peer");
    p.local_addr = local.empty() ? t.header().wan_addr : parse_ipv4(local, "--local");
    p.peer_port = peer_l2tp_port;
    p.local_cookie = lc;
    p.peer_cookie = pc;
    p.flags = vm.count("sublayer") ? tables::kPwDefaultSublayer : 0;
    const uint32_t id = w.add_pseudowire(p, &err);
    if (!id) die("pseudowire: " + err);
    std::printf("pseudowire session_id=%u owner=%u\n", id, t.pseudowire(tables::pw_slot(id)).owner_worker);
    return 0;
  }
  if (cmd == "del") {
    if (!vm.count("session")) die("del needs --session");
    const tables::SessionRecord& s = t.session(session);
    if (!tables::published(s)) die("no session " + std::to_string(session));
    const uint16_t tid = s.tunnel_id;
    const uint32_t peer = t.tunnel(tid).peer_index;
    w.del_session(session);
    w.del_tunnel(tid);
    // The session's SAs: every SA of its peering with no other tunnel left.
    bool other = false;
    for (uint16_t ot : w.installed_tunnels()) other |= t.tunnel(ot).peer_index == peer;
    if (!other)
      for (uint32_t sa : w.installed_sas())
        if (t.sa(sa).peer_index == peer) w.del_sa(sa);
    w.reclaim(true);
    std::printf("deleted session=%u\n", session);
    return 0;
  }
  if (cmd != "add") die("unknown command '" + cmd + "' (add, del, add-pw, del-pw, list)");

  for (const char* need : {"client", "peer", "enc-key-in", "enc-key-out", "spi-out", "peer-tunnel-id", "peer-session-id"})
    if (!vm.count(need)) die(std::string("add needs --") + need);
  auto c = parse_esp_cipher(cipher);
  auto a = auth == "none" ? std::optional<EspAuth>(EspAuth::None) : parse_esp_auth(auth);
  if (!c) die("--cipher: unknown '" + cipher + "'");
  if (!a) die("--auth: unknown '" + auth + "'");
  const std::vector<uint8_t> eki = parse_hex(ek_in, "--enc-key-in"), eko = parse_hex(ek_out, "--enc-key-out");
  const std::vector<uint8_t> aki = parse_hex(ak_in, "--auth-key-in"), ako = parse_hex(ak_out, "--auth-key-out");
  const uint32_t spi_out = static_cast<uint32_t>(std::stoul(spi_out_s, nullptr, 16));
  const uint32_t peer_addr = parse_ipv4(peer, "--peer");
  uint32_t local_addr = 0;
  if (!local.empty()) local_addr = parse_ipv4(local, "--local");
  else local_addr = t.header().wan_addr;
  if (!vm.count("peer-index")) peer_index = free_peer_index(w);
  const bool natt = vm.count("natt") > 0;

  tables::SaParams in;
  in.direction = tables::SaDirection::Inbound;
  in.peer_index = peer_index;
  in.natt = natt;
  in.replay_window = replay;
  in.local_addr = local_addr;
  in.peer_addr = peer_addr;
  in.local_port = natt ? 4500 : 0;
  in.peer_port = natt ? peer_port : 0;
  in.cipher = *c;
  in.auth = *a;
  in.enc_key = eki;
  in.auth_key = aki;
  tables::SaParams out = in;
  out.direction = tables::SaDirection::Outbound;
  out.spi = spi_out;
  out.enc_key = eko;
  out.auth_key = ako;
  const uint32_t sa_in = w.add_sa(in, &err);
  if (!sa_in) die("inbound SA: " + err);
  const uint32_t sa_o = w.add_sa(out, &err);
  if (!sa_o) {
    w.del_sa(sa_in);
    die("outbound SA: " + err);
  }
  tables::TunnelParams tp;
  tp.peer_index = peer_index;
  tp.sa_out = sa_o;
  tp.peer_tunnel_id = peer_tid;
  tp.peer_port = peer_l2tp_port;
  tp.local_addr = local_addr;
  tp.peer_addr = peer_addr;
  const uint16_t tid = w.add_tunnel(tp, &err);
  if (!tid) {
    w.del_sa(sa_in);
    w.del_sa(sa_o);
    die("tunnel: " + err);
  }
  tables::SessionParams sp;
  sp.tunnel_id = tid;
  sp.peer_session_id = peer_sid;
  sp.client_addr = parse_ipv4(client, "--client");
  sp.mtu = mtu;
  sp.tcp_mss = mss;
  const uint16_t sid = w.add_session(sp, &err);
  if (!sid) {
    w.del_tunnel(tid);
    w.del_sa(sa_in);
    w.del_sa(sa_o);
    die("session: " + err);
  }
  std::printf("session=%u tunnel_id=%u session_id=%u spi_in=0x%08x spi_out=0x%08x peer_index=%u owner=%u\n",
              sid, tid, sid, t.sa(sa_in).spi, t.sa(sa_o).spi, peer_index, t.sa(sa_in).owner_worker);
  return 0;
}
