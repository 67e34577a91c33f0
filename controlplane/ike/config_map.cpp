// SPDX-License-Identifier: Apache-2.0
// Yamaha RTX `ipsec ike ...` / `ipsec sa policy` settings -> the responder's PeerPolicy table.
#include "controlplane/ike/config_map.hpp"

#include <algorithm>
#include <functional>
#include <optional>

namespace l2tpgw::cp::ike {

namespace {

CipherSuite ike_cipher(config::IkeEncryption e) {
  switch (e) {
    case config::IkeEncryption::DesCbc: return {CipherAlg::DesCbc, 64};
    case config::IkeEncryption::TdesCbc: return {CipherAlg::TdesCbc, 192};
    case config::IkeEncryption::AesCbc: return {CipherAlg::AesCbc, 128};
    case config::IkeEncryption::Aes256Cbc: return {CipherAlg::AesCbc, 256};
  }
  return {};
}

HashAlg ike_hash(config::IkeHash h) {
  switch (h) {
    case config::IkeHash::Md5: return HashAlg::Md5;
    case config::IkeHash::Sha: return HashAlg::Sha1;
    case config::IkeHash::Sha256: return HashAlg::Sha256;
  }
  return HashAlg::Sha1;
}

DhGroup ike_group(config::IkeGroup g) {
  switch (g) {
    case config::IkeGroup::Modp768: return DhGroup::Modp768;
    case config::IkeGroup::Modp1024: return DhGroup::Modp1024;
    case config::IkeGroup::Modp1536: return DhGroup::Modp1536;
    case config::IkeGroup::Modp2048: return DhGroup::Modp2048;
  }
  return DhGroup::Modp1024;
}

// The tunnel that uses gateway `id` through its `ipsec tunnel POLICY` (nullptr: none).
const config::TunnelConfig* tunnel_of_gateway(const config::Config& c, uint32_t id) {
  for (const auto& [tid, t] : c.tunnels) {
    if (!t.ipsec_policy.value) continue;
    auto pol = c.policies.find(*t.ipsec_policy.value);
    if (pol != c.policies.end() && pol->second.gateway == id) return &t;
  }
  return nullptr;
}

// A gateway with a concrete remote address that this side starts: one an L2TPv3/IPsec tunnel
// uses (LAN-to-LAN: `tunnel encapsulation l2tpv3`, seed 001), or any with `ipsec auto refresh`
// on. Its offers: `ipsec ike encryption x hash x group` and the ESP algorithms of its
// `ipsec sa policy` lines.
std::optional<Connection> connection_of(const config::Config& c, const config::IkeGateway& g,
                                        const std::function<void(const char*)>& note) {
  const config::TunnelConfig* t = tunnel_of_gateway(c, g.id);
  const bool l2tpv3 = t && t->enabled.value &&
                      t->encapsulation.value == config::TunnelEncapsulation::L2tpv3;
  const bool refresh = c.ipsec_auto_refresh.value && g.auto_refresh.value;
  if (!l2tpv3 && !refresh) return std::nullopt;
  Connection out;
  out.gateway_id = g.id;
  out.peer_addr = g.remote_address.value->address.value;
  if (g.local_address.value) {
    out.local_addr = g.local_address.value->value;
  } else if (t && t->endpoint.value && t->endpoint.value->local) {
    out.local_addr = t->endpoint.value->local->value;
  } else {
    note("no `ipsec ike local address`: not initiating");
    return std::nullopt;
  }
  for (config::IkeGroup grp : g.group.value) {
    Phase1Suite s;
    s.cipher = ike_cipher(g.encryption.value);
    s.hash = ike_hash(g.hash.value);
    s.group = ike_group(grp);
    out.ike_offers.push_back(s);
  }
  for (const auto& [pid, pol] : c.policies) {
    if (pol.gateway != g.id) continue;
    EspSuite s;
    s.cipher = pol.cipher;
    s.auth = pol.auth;
    s.life_kilobytes = g.ipsec_sa_kilobytes.value;
    if (std::find(out.esp_offers.begin(), out.esp_offers.end(), s) == out.esp_offers.end())
      out.esp_offers.push_back(s);
  }
  if (out.esp_offers.empty()) {
    note("no `ipsec sa policy` names this gateway: nothing to offer in Quick Mode, not initiating");
    return std::nullopt;
  }
  if (g.pfs.value && !out.ike_offers.empty()) out.pfs_group = out.ike_offers.front().group;
  out.auto_refresh = refresh;
  out.rekey_percent = g.ipsec_sa_rekey.value;
  out.isakmp_rekey_percent = g.isakmp_sa_rekey.value;
  return out;
}

}  // namespace

ResponderConfig responder_config(const config::Config& c, std::vector<std::string>* notes) {
  ResponderConfig out;
  auto note = [&](uint32_t g, const char* what) {
    if (notes) notes->push_back("ipsec ike gateway " + std::to_string(g) + ": " + what);
  };
  const config::IkeGateway* any_gateway = nullptr;
  for (const auto& [id, g] : c.gateways) {
    if (g.version.value != 1) {
      note(id, "IKE version 2 is not supported; gateway ignored");
      continue;
    }
    if (!g.pre_shared_key.value || g.pre_shared_key.value->key.empty()) {
      note(id, "no pre-shared key; gateway ignored");
      continue;
    }
    if (!g.remote_address.value) {
      note(id, "no `ipsec ike remote address`; gateway ignored");
      continue;
    }
    PeerPolicy p = PeerPolicy::all_supported();
    p.gateway_id = id;
    p.psk = g.pre_shared_key.value->key.reveal();
    p.isakmp_lifetime_max = g.isakmp_sa_lifetime.value;
    p.ipsec_lifetime_max = g.ipsec_sa_lifetime.value;
    p.ipsec_kilobytes_max = g.ipsec_sa_kilobytes.value;
    p.nat_traversal = g.nat_traversal.value.on;
    if (p.nat_traversal) {
      p.natt_keepalive = std::chrono::seconds(
          g.nat_traversal.value.keepalive.value_or(config::defaults::kIkeNatKeepalive));
      p.natt_force = g.nat_traversal.value.force;
    }
    // `ipsec ike keepalive use G on dpd [INTERVAL [COUNT]]`: we initiate RFC 3706 DPD. (Without
    // the figures: every 30 s, 5 tries; heartbeat and ICMP echo keepalives are not
    // implemented.)
    const config::IkeKeepalive& ka = g.keepalive.value;
    if (ka.use != config::IkeKeepaliveUse::Off && ka.method == config::IkeKeepalive::Method::Dpd) {
      p.dpd_interval = std::chrono::seconds(ka.interval.value_or(30));
      p.dpd_tries = ka.count.value_or(5);
    }
    // `ipsec sa policy P G esp ...`: the gateway's policy decides the replay check.
    for (const auto& [pid, pol] : c.policies) {
      if (pol.gateway == id) {
        p.anti_replay = pol.anti_replay_check;
        break;
      }
    }
    // `ipsec ike negotiate-strictly G on`: only what the gateway names is accepted (phase 1:
    // its encryption x hash x groups; phase 2: the ESP algorithms of its `ipsec sa policy`
    // lines, PFS with its groups). Off, the default, accepts everything supported.
    if (g.negotiate_strictly.value) {
      p.ike_ciphers = {ike_cipher(g.encryption.value)};
      p.ike_hashes = {ike_hash(g.hash.value)};
      p.ike_groups.clear();
      for (config::IkeGroup grp : g.group.value) p.ike_groups.push_back(ike_group(grp));
      p.pfs_groups = p.ike_groups;
      std::vector<EspCipher> ciphers;
      std::vector<EspAuth> auths;
      for (const auto& [pid, pol] : c.policies) {
        if (pol.gateway != id) continue;
        if (std::find(ciphers.begin(), ciphers.end(), pol.cipher) == ciphers.end()) ciphers.push_back(pol.cipher);
        if (std::find(auths.begin(), auths.end(), pol.auth) == auths.end()) auths.push_back(pol.auth);
      }
      if (ciphers.empty()) {
        note(id, "negotiate-strictly on without an `ipsec sa policy`: every ESP algorithm is accepted");
      } else {
        p.esp_ciphers = std::move(ciphers);
        p.esp_auths = std::move(auths);
      }
    }
    switch (g.remote_address.value->kind) {
      case config::IkeRemoteAddress::Kind::Address: {
        p.named_peer = true;
        // `ipsec auto refresh` keeps a LAN-to-LAN peer's pairs up whichever side negotiated
        // them; remote-access clients (`any`) rekey their own.
        if (c.ipsec_auto_refresh.value && g.auto_refresh.value)
          p.rekey_peer_children_percent = g.ipsec_sa_rekey.value;
        out.policies.set(g.remote_address.value->address.value, std::move(p));
        auto conn = connection_of(c, g, [&](const char* what) { note(id, what); });
        if (conn) out.connections.push_back(std::move(*conn));
        break;
      }
      case config::IkeRemoteAddress::Kind::Any:
        // Main Mode with pre-shared keys picks the key before the peer's identity is known
        // (RFC 2409 §5): all `any` gateways must share one key, and the first one is used.
        if (any_gateway) {
          if (!(any_gateway->pre_shared_key.value->key == g.pre_shared_key.value->key))
            note(id, "a `remote address any` gateway with another pre-shared key than the first "
                     "one: peers are answered with the first gateway's key");
          break;
        }
        any_gateway = &g;
        out.policies.set_any(std::move(p));
        break;
      case config::IkeRemoteAddress::Kind::Hostname:
        note(id, "a host name as the remote address is not resolved yet; gateway ignored");
        break;
    }
  }
  return out;
}

std::map<uint32_t, uint32_t> transports_by_gateway(const config::Config& c) {
  std::map<uint32_t, uint32_t> out;
  for (const auto& [id, t] : c.transports)
    if (auto pol = c.policies.find(t.policy); pol != c.policies.end())
      out.try_emplace(pol->second.gateway, id);
  return out;
}

}  // namespace l2tpgw::cp::ike
