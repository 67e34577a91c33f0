// SPDX-License-Identifier: Apache-2.0
// Proposal semantics and choice (RFC 2408 §4.2, RFC 2409 App. A, RFC 2407 §4.5, RFC 3947 §5.1).
#include "controlplane/ike/proposal.hpp"

#include "controlplane/ike/policy.hpp"

#include <algorithm>
#include <limits>

namespace l2tpgw::cp::ike {
namespace {

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

uint32_t clamp32(uint64_t v) {
  return v > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                  : static_cast<uint32_t>(v);
}

// RFC 2409 App. A / RFC 2407 §4.5: a Life Duration follows the Life Type it measures.
struct Lifetimes {
  uint16_t pending_type = 0;
  uint32_t seconds = kDefaultLifetime;
  uint32_t kilobytes = 0;
  bool type(uint64_t v) {
    if (v != kLifeSeconds && v != kLifeKilobytes) return false;
    pending_type = static_cast<uint16_t>(v);
    return true;
  }
  // A duration of 0 proposes no limit: strongSwan sends it for an ISAKMP SA it will neither
  // rekey nor reauthenticate (ipsec.conf `rekey=no`). The responder's own maximum (the
  // policy's lifetime, min()'d in later) then applies, as for any longer proposal.
  bool duration(uint64_t v) {
    if (pending_type == 0) return false;
    if (pending_type == kLifeSeconds)
      seconds = v == 0 ? std::numeric_limits<uint32_t>::max() : clamp32(v);
    else
      kilobytes = clamp32(v);  // 0 is already "none"
    pending_type = 0;
    return true;
  }
};

}  // namespace

// (append, not operator+: GCC 12 warns falsely about overlapping copies in string sums)
std::string describe(const Phase1Suite& s) {
  std::string out;
  out.append(to_string(s.cipher)).append("/").append(to_string(s.hash)).append("/");
  out.append(to_string(s.group));
  return out;
}

std::string describe(const EspSuite& s) {
  std::string out;
  out.append(format(s.cipher));
  if (s.auth != EspAuth::None) out.append("/").append(format(s.auth));
  out.append(s.udp_encapsulated() ? " udp-transport" : " transport");
  if (s.pfs_group) out.append(" pfs ").append(to_string(*s.pfs_group));
  return out;
}

std::optional<Phase1Suite> decode_phase1_transform(const Transform& t) {
  if (t.id != kKeyIke) return std::nullopt;
  Phase1Suite s;
  bool have_enc = false, have_hash = false, have_auth = false, have_group = false;
  uint16_t enc = 0;
  std::optional<uint64_t> key_bits;
  Lifetimes life;
  for (const Attribute& a : t.attributes) {
    auto v = a.integer();
    if (!v) return std::nullopt;
    switch (static_cast<Phase1Attr>(a.type)) {
      case Phase1Attr::EncryptionAlgorithm:
        enc = static_cast<uint16_t>(*v);
        have_enc = *v <= 0xffff;
        break;
      case Phase1Attr::HashAlgorithm:
        if (*v == kOakleyMd5) s.hash = HashAlg::Md5;
        else if (*v == kOakleySha) s.hash = HashAlg::Sha1;
        else if (*v == kOakleySha256) s.hash = HashAlg::Sha256;
        else return std::nullopt;
        have_hash = true;
        break;
      case Phase1Attr::AuthenticationMethod:
        // Pre-shared key only: XAUTH, signatures and public-key encryption are not offered.
        if (*v != kAuthPreSharedKey) return std::nullopt;
        have_auth = true;
        break;
      case Phase1Attr::GroupDescription:
        if (*v > 0xffff || !is_supported_group(static_cast<uint16_t>(*v))) return std::nullopt;
        s.group = static_cast<DhGroup>(*v);
        have_group = true;
        break;
      case Phase1Attr::LifeType:
        if (!life.type(*v)) return std::nullopt;
        break;
      case Phase1Attr::LifeDuration:
        if (!life.duration(*v)) return std::nullopt;
        break;
      case Phase1Attr::KeyLength: key_bits = *v; break;
      default: return std::nullopt;  // private groups, PRF, field size...: not supported
    }
  }
  if (!have_enc || !have_hash || !have_auth || !have_group) return std::nullopt;
  switch (enc) {
    case kOakleyDesCbc:
      if (key_bits && *key_bits != 64) return std::nullopt;
      s.cipher = {CipherAlg::DesCbc, 64};
      break;
    case kOakley3DesCbc:
      if (key_bits && *key_bits != 192) return std::nullopt;
      s.cipher = {CipherAlg::TdesCbc, 192};
      break;
    case kOakleyAesCbc: {
      // RFC 3602 §5.3 (and RFC 2409 App. A "Key Length"): without the attribute, 128.
      const uint64_t bits = key_bits.value_or(128);
      if (bits != 128 && bits != 256) return std::nullopt;
      s.cipher = {CipherAlg::AesCbc, static_cast<uint16_t>(bits)};
      break;
    }
    default: return std::nullopt;
  }
  s.life_seconds = life.seconds;
  s.life_kilobytes = life.kilobytes;
  return s;
}

bool phase1_allowed(const Phase1Suite& s, const PeerPolicy& p) {
  return contains(p.ike_ciphers, s.cipher) && contains(p.ike_hashes, s.hash) &&
         contains(p.ike_groups, s.group) && cipher_available(s.cipher.alg);
}

std::optional<EspSuite> decode_esp_transform(const Transform& t) {
  EspSuite s;
  std::optional<uint64_t> key_bits;
  std::optional<uint64_t> auth;
  Lifetimes life;
  bool have_encap = false;
  for (const Attribute& a : t.attributes) {
    auto v = a.integer();
    if (!v) return std::nullopt;
    switch (static_cast<IpsecAttr>(a.type)) {
      case IpsecAttr::SaLifeType:
        if (!life.type(*v)) return std::nullopt;
        break;
      case IpsecAttr::SaLifeDuration:
        if (!life.duration(*v)) return std::nullopt;
        break;
      case IpsecAttr::GroupDescription:
        if (*v > 0xffff || !is_supported_group(static_cast<uint16_t>(*v))) return std::nullopt;
        s.pfs_group = static_cast<DhGroup>(*v);
        break;
      case IpsecAttr::EncapsulationMode:
        if (*v > 0xffff) return std::nullopt;
        s.encapsulation = static_cast<uint16_t>(*v);
        have_encap = true;
        break;
      case IpsecAttr::AuthenticationAlgorithm: auth = *v; break;
      case IpsecAttr::KeyLength: key_bits = *v; break;
      default: return std::nullopt;  // key rounds, compression: not ours
    }
  }
  // RFC 2407 §4.5 leaves a missing mode host-dependent; for L2TP/IPsec that is transport.
  if (!have_encap) s.encapsulation = kEncapTransport;
  switch (static_cast<EspTransformId>(t.id)) {
    case EspTransformId::Des:
      if (key_bits) return std::nullopt;
      s.cipher = EspCipher::DesCbc;
      break;
    case EspTransformId::TripleDes:
      if (key_bits) return std::nullopt;
      s.cipher = EspCipher::TdesCbc;
      break;
    case EspTransformId::Aes: {
      const uint64_t bits = key_bits.value_or(128);  // RFC 3602 §5.3
      if (bits == 128) s.cipher = EspCipher::AesCbc128;
      else if (bits == 256) s.cipher = EspCipher::AesCbc256;
      else return std::nullopt;
      break;
    }
    case EspTransformId::AesGcm16: {
      // RFC 4106 §8.4: 16-octet ICV; Key Length names the AES key (the salt comes extra).
      const uint64_t bits = key_bits.value_or(128);
      if (bits == 128) s.cipher = EspCipher::AesGcm128;
      else if (bits == 256) s.cipher = EspCipher::AesGcm256;
      else return std::nullopt;
      break;
    }
    default: return std::nullopt;  // NULL, GCM with 8/12-octet ICVs, ...
  }
  if (is_gcm(s.cipher)) {
    if (auth) return std::nullopt;  // RFC 4106 §8.4: no separate integrity algorithm
    s.auth = EspAuth::None;
  } else {
    if (!auth) return std::nullopt;  // ESP without integrity is never accepted
    if (*auth == kAuthHmacMd5) s.auth = EspAuth::HmacMd5_96;
    else if (*auth == kAuthHmacSha) s.auth = EspAuth::HmacSha1_96;
    else if (*auth == kAuthHmacSha256) s.auth = EspAuth::HmacSha256_128;
    else return std::nullopt;
  }
  s.life_seconds = life.seconds;
  s.life_kilobytes = life.kilobytes;
  return s;
}

bool esp_allowed(const EspSuite& s, const PeerPolicy& p, bool nat) {
  if (!esp_pair_allowed(s.cipher, s.auth)) return false;
  if (!contains(p.esp_ciphers, s.cipher) || !contains(p.esp_auths, s.auth)) return false;
  if (s.pfs_group ? !contains(p.pfs_groups, *s.pfs_group) : p.pfs_required) return false;
  if (nat) return s.udp_encapsulated();
  return s.encapsulation == kEncapTransport;
}

std::optional<std::pair<Choice, Phase1Suite>> choose_phase1(const SaPayload& sa,
                                                            const PeerPolicy& p) {
  if (sa.proposals.size() != 1) return std::nullopt;
  const Proposal& prop = sa.proposals[0];
  if (prop.protocol != static_cast<uint8_t>(ProtocolId::Isakmp)) return std::nullopt;
  for (size_t t = 0; t < prop.transforms.size(); ++t) {
    auto s = decode_phase1_transform(prop.transforms[t]);
    if (s && phase1_allowed(*s, p)) return std::make_pair(Choice{0, t}, *s);
  }
  return std::nullopt;
}

std::optional<std::pair<Choice, EspSuite>> choose_esp(const SaPayload& sa, const PeerPolicy& p,
                                                      bool nat) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& prop = sa.proposals[i];
    // A number shared with another proposal is an AND (e.g. AH + ESP): not for us.
    const auto same = std::count_if(sa.proposals.begin(), sa.proposals.end(),
                                    [&](const Proposal& o) { return o.number == prop.number; });
    if (same != 1) continue;
    if (prop.protocol != static_cast<uint8_t>(ProtocolId::IpsecEsp)) continue;
    if (prop.spi.size() != kEspSpiSize) continue;
    for (size_t t = 0; t < prop.transforms.size(); ++t) {
      auto s = decode_esp_transform(prop.transforms[t]);
      if (s && esp_allowed(*s, p, nat)) return std::make_pair(Choice{i, t}, *s);
    }
  }
  return std::nullopt;
}

SaPayload reply_sa(const SaPayload& offer, const Choice& c, std::optional<Bytes> spi) {
  SaPayload out;
  out.doi = offer.doi;
  out.situation = offer.situation;
  Proposal p = offer.proposals[c.proposal];
  Transform t = p.transforms[c.transform];
  p.transforms = {std::move(t)};
  if (spi) p.spi = std::move(*spi);
  out.proposals = {std::move(p)};
  return out;
}

Transform encode_phase1_transform(const Phase1Suite& s, uint8_t number) {
  Transform t;
  t.number = number;
  t.id = kKeyIke;
  auto attr = [&](Phase1Attr a, uint16_t v) { t.attributes.push_back(tv_attribute(static_cast<uint16_t>(a), v)); };
  switch (s.cipher.alg) {
    case CipherAlg::DesCbc: attr(Phase1Attr::EncryptionAlgorithm, kOakleyDesCbc); break;
    case CipherAlg::TdesCbc: attr(Phase1Attr::EncryptionAlgorithm, kOakley3DesCbc); break;
    case CipherAlg::AesCbc:
      attr(Phase1Attr::EncryptionAlgorithm, kOakleyAesCbc);
      attr(Phase1Attr::KeyLength, s.cipher.key_bits);
      break;
  }
  attr(Phase1Attr::HashAlgorithm, s.hash == HashAlg::Md5   ? kOakleyMd5
                                  : s.hash == HashAlg::Sha1 ? kOakleySha
                                                            : kOakleySha256);
  attr(Phase1Attr::AuthenticationMethod, kAuthPreSharedKey);
  attr(Phase1Attr::GroupDescription, static_cast<uint16_t>(s.group));
  attr(Phase1Attr::LifeType, kLifeSeconds);
  t.attributes.push_back(
      variable_attribute(static_cast<uint16_t>(Phase1Attr::LifeDuration), s.life_seconds));
  if (s.life_kilobytes) {
    attr(Phase1Attr::LifeType, kLifeKilobytes);
    t.attributes.push_back(
        variable_attribute(static_cast<uint16_t>(Phase1Attr::LifeDuration), s.life_kilobytes));
  }
  return t;
}

Transform encode_esp_transform(const EspSuite& s, uint8_t number) {
  Transform t;
  t.number = number;
  auto attr = [&](IpsecAttr a, uint16_t v) { t.attributes.push_back(tv_attribute(static_cast<uint16_t>(a), v)); };
  uint16_t key_bits = 0;
  switch (s.cipher) {
    case EspCipher::DesCbc: t.id = static_cast<uint8_t>(EspTransformId::Des); break;
    case EspCipher::TdesCbc: t.id = static_cast<uint8_t>(EspTransformId::TripleDes); break;
    case EspCipher::AesCbc128: t.id = static_cast<uint8_t>(EspTransformId::Aes); key_bits = 128; break;
    case EspCipher::AesCbc256: t.id = static_cast<uint8_t>(EspTransformId::Aes); key_bits = 256; break;
    case EspCipher::AesGcm128: t.id = static_cast<uint8_t>(EspTransformId::AesGcm16); key_bits = 128; break;
    case EspCipher::AesGcm256: t.id = static_cast<uint8_t>(EspTransformId::AesGcm16); key_bits = 256; break;
    default: break;
  }
  attr(IpsecAttr::SaLifeType, kLifeSeconds);
  t.attributes.push_back(
      variable_attribute(static_cast<uint16_t>(IpsecAttr::SaLifeDuration), s.life_seconds));
  if (s.life_kilobytes) {
    attr(IpsecAttr::SaLifeType, kLifeKilobytes);
    t.attributes.push_back(
        variable_attribute(static_cast<uint16_t>(IpsecAttr::SaLifeDuration), s.life_kilobytes));
  }
  if (s.pfs_group) attr(IpsecAttr::GroupDescription, static_cast<uint16_t>(*s.pfs_group));
  attr(IpsecAttr::EncapsulationMode, s.encapsulation);
  switch (s.auth) {
    case EspAuth::HmacMd5_96: attr(IpsecAttr::AuthenticationAlgorithm, kAuthHmacMd5); break;
    case EspAuth::HmacSha1_96: attr(IpsecAttr::AuthenticationAlgorithm, kAuthHmacSha); break;
    case EspAuth::HmacSha256_128: attr(IpsecAttr::AuthenticationAlgorithm, kAuthHmacSha256); break;
    default: break;  // GCM: no separate integrity algorithm (RFC 4106 §8.4)
  }
  if (key_bits) attr(IpsecAttr::KeyLength, key_bits);
  return t;
}

namespace {

// The single transform of a responder's SA payload (RFC 2408 §4.2), or nullptr.
const Transform* single_transform(const SaPayload& reply) {
  if (reply.proposals.size() != 1 || reply.proposals[0].transforms.size() != 1) return nullptr;
  return &reply.proposals[0].transforms[0];
}

}  // namespace

std::optional<Phase1Suite> check_phase1_choice(const SaPayload& reply,
                                               const std::vector<Phase1Suite>& offered) {
  const Transform* t = single_transform(reply);
  if (!t || reply.proposals[0].protocol != static_cast<uint8_t>(ProtocolId::Isakmp))
    return std::nullopt;
  auto s = decode_phase1_transform(*t);
  if (!s) return std::nullopt;
  for (const Phase1Suite& o : offered) {
    // A responder may answer with another lifetime than ours (charon echoes its own): the
    // shorter one applies.
    if (o.cipher == s->cipher && o.hash == s->hash && o.group == s->group) {
      s->life_seconds = std::min(s->life_seconds, o.life_seconds);
      return s;
    }
  }
  return std::nullopt;
}

std::optional<EspSuite> check_esp_choice(const SaPayload& reply,
                                         const std::vector<EspSuite>& offered) {
  const Transform* t = single_transform(reply);
  if (!t || reply.proposals[0].protocol != static_cast<uint8_t>(ProtocolId::IpsecEsp) ||
      reply.proposals[0].spi.size() != kEspSpiSize)
    return std::nullopt;
  auto s = decode_esp_transform(*t);
  if (!s) return std::nullopt;
  for (const EspSuite& o : offered) {
    if (o.cipher == s->cipher && o.auth == s->auth && o.encapsulation == s->encapsulation &&
        o.pfs_group == s->pfs_group) {
      s->life_seconds = std::min(s->life_seconds, o.life_seconds);
      return s;
    }
  }
  return std::nullopt;
}

PeerPolicy PeerPolicy::all_supported() {
  PeerPolicy p;
  p.ike_ciphers = {{CipherAlg::AesCbc, 128}, {CipherAlg::AesCbc, 256}, {CipherAlg::TdesCbc, 192},
                   {CipherAlg::DesCbc, 64}};
  p.ike_hashes = {HashAlg::Md5, HashAlg::Sha1, HashAlg::Sha256};
  p.ike_groups = {DhGroup::Modp768,  DhGroup::Modp1024, DhGroup::Modp1536,
                  DhGroup::Modp2048, DhGroup::Ecp256,   DhGroup::Ecp384};
  p.esp_ciphers = {EspCipher::AesCbc128, EspCipher::AesCbc256, EspCipher::TdesCbc,
                   EspCipher::DesCbc,    EspCipher::AesGcm128, EspCipher::AesGcm256};
  p.esp_auths = {EspAuth::None, EspAuth::HmacMd5_96, EspAuth::HmacSha1_96,
                 EspAuth::HmacSha256_128};
  p.pfs_groups = p.ike_groups;
  return p;
}

}  // namespace l2tpgw::cp::ike
