// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/v3/message.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

#include "common/byte_reader.hpp"
#include "common/ipv4_text.hpp"
#include "controlplane/l2tp/control_message.hpp"

namespace l2tpgw::cp::l2tp {
template class BasicReliableTransport<v3::L2tpV3Messages>;
}  // namespace l2tpgw::cp::l2tp

namespace l2tpgw::cp::l2tp::v3 {

namespace {

constexpr uint16_t kFlagT = 0x8000, kFlagL = 0x4000, kFlagS = 0x0800, kVersionMask = 0x000F;
constexpr uint16_t kFlagsControl = kFlagT | kFlagL | kFlagS | 3;   // what we send (§3.2.1)
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put_be16(out, static_cast<uint16_t>(v >> 16));
  put_be16(out, static_cast<uint16_t>(v));
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

const EVP_MD* md_of(DigestType t) {
  return t == DigestType::HmacSha1 ? EVP_sha1() : EVP_md5();
}

std::vector<uint8_t> hmac(const EVP_MD* md, std::span<const uint8_t> key,
                          std::span<const uint8_t> data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
           &len) == nullptr) {
    len = 0;
  }
  out.resize(len);
  return out;
}

}  // namespace

std::string_view to_string(MessageType t) {
  // §6: the RFC 2661 message types keep their numbers and names; ACK (20) is L2TPv3's own.
  if (t == MessageType::ACK) return "ACK";
  return l2tp::to_string(static_cast<l2tp::MessageType>(t));
}

bool is_known(MessageType t) { return to_string(t) != "unknown"; }

bool is_connection_message(MessageType t) {
  return t == MessageType::SCCRQ || t == MessageType::SCCRP || t == MessageType::SCCCN ||
         t == MessageType::StopCCN || t == MessageType::HELLO || t == MessageType::ACK;
}

bool is_known(uint16_t vendor, uint16_t type) {
  return vendor == 0 && ((type <= 39 && type != 20) || (type >= 58 && type <= 75));
}

std::string_view to_string(ControlError e) {
  switch (e) {
    case ControlError::Truncated: return "Truncated";
    case ControlError::BadHeader: return "BadHeader";
    case ControlError::BadLength: return "BadLength";
    case ControlError::BadAvpLength: return "BadAvpLength";
    case ControlError::NoMessageType: return "NoMessageType";
    case ControlError::HiddenMessageType: return "HiddenMessageType";
  }
  return "?";
}

size_t digest_size(DigestType t) { return t == DigestType::HmacSha1 ? 20 : 16; }

const Avp* ControlMessage::find(AvpType t) const {
  for (const Avp& a : avps)
    if (!a.hidden && a.is(t)) return &a;
  return nullptr;
}

const Avp* ControlMessage::unknown_mandatory() const {
  for (const Avp& a : avps)
    if (a.mandatory && (a.hidden || !is_known(a.vendor, a.type))) return &a;
  return nullptr;
}

bool is_l2tpv3_control(std::span<const uint8_t> d) {
  if (d.size() < 2) return false;
  const uint16_t w = static_cast<uint16_t>((d[0] << 8) | d[1]);
  return (w & kFlagT) != 0 && (w & kVersionMask) == 3;
}

DecodeResult decode_control(std::span<const uint8_t> bytes) {
  auto fail = [](ControlError e) { return DecodeResult{std::nullopt, e}; };
  ByteReader r(bytes);
  auto flags = r.read_be16();
  auto length = r.read_be16();
  auto ccid = r.read_be32();
  auto ns = r.read_be16();
  auto nr = r.read_be16();
  if (!nr) return fail(ControlError::Truncated);
  // §3.2.1: T, L and S set, Ver 3; the reserved x bits are ignored on receipt.
  const uint16_t need = kFlagT | kFlagL | kFlagS;
  if ((*flags & need) != need || (*flags & kVersionMask) != 3) return fail(ControlError::BadHeader);
  if (*length < kHeaderLen || *length > bytes.size()) return fail(ControlError::BadLength);
  ControlMessage m;
  m.hdr = {*ccid, *ns, *nr};
  m.length = *length;
  ByteReader body(bytes.subspan(kHeaderLen, *length - kHeaderLen));
  if (body.empty()) {
    m.zlb = true;
    return {std::move(m), {}};
  }
  while (!body.empty()) {
    const size_t at = kHeaderLen + body.position();
    AvpReadError e{};
    auto w = read_avp(body, &e);
    if (!w) return fail(e == AvpReadError::BadLength ? ControlError::BadAvpLength : ControlError::Truncated);
    Avp a;
    a.mandatory = w->mandatory;
    a.hidden = w->hidden;
    a.vendor = w->vendor;
    a.type = w->type;
    a.value.assign(w->value.begin(), w->value.end());
    if (m.avps.empty()) {
      // §5.4.1: the Message Type AVP comes first and is never hidden (§5.3).
      if (!a.is(AvpType::MessageType) || a.value.size() != 2) {
        return fail(ControlError::NoMessageType);
      }
      if (a.hidden) return fail(ControlError::HiddenMessageType);
      m.type = static_cast<MessageType>(*a.u16());
    } else if (m.avps.size() == 1 && a.is(AvpType::MessageDigest) && !a.hidden) {
      m.digest_at = at + kAvpHeaderLen;
    }
    m.avps.push_back(std::move(a));
  }
  return {std::move(m), {}};
}

std::array<uint8_t, 16> derive_shared_key(std::string_view shared_secret) {
  // §4.3: shared_key = HMAC_MD5(shared_secret, 2): the secret keys an HMAC over one octet.
  const uint8_t two[1] = {2};
  std::array<uint8_t, 16> key{};
  const auto k = hmac(EVP_md5(), bytes_of(shared_secret), two);
  std::copy_n(k.begin(), std::min(k.size(), key.size()), key.begin());
  return key;
}

std::vector<uint8_t> compute_digest(const MessageAuth& a, std::span<const uint8_t> message) {
  std::vector<uint8_t> data;
  data.reserve(a.sender_nonce.size() + a.receiver_nonce.size() + message.size());
  data.insert(data.end(), a.sender_nonce.begin(), a.sender_nonce.end());
  data.insert(data.end(), a.receiver_nonce.begin(), a.receiver_nonce.end());
  data.insert(data.end(), message.begin(), message.end());
  return hmac(md_of(a.type), a.shared_key, data);
}

bool verify_digest(std::span<const uint8_t> datagram, const ControlMessage& m,
                   const MessageAuth& a) {
  if (m.digest_at == 0 || m.avps.size() < 2) return false;
  const Avp& d = m.avps[1];  // decode put digest_at on the AVP right after Message Type
  if (d.value.empty()) return false;
  const uint8_t t = d.value[0];
  if (t > static_cast<uint8_t>(DigestType::HmacSha1)) return false;
  MessageAuth with = a;
  with.type = static_cast<DigestType>(t);
  const size_t n = digest_size(with.type);
  if (d.value.size() != 1 + n || m.length > datagram.size() || m.digest_at + 1 + n > m.length)
    return false;
  std::vector<uint8_t> copy(datagram.begin(), datagram.begin() + static_cast<long>(m.length));
  std::fill_n(copy.begin() + static_cast<long>(m.digest_at) + 1, n, uint8_t{0});
  const auto want = compute_digest(with, copy);
  return want.size() == n && CRYPTO_memcmp(want.data(), d.value.data() + 1, n) == 0;
}

ControlBuilder::ControlBuilder(MessageType type, uint32_t ccid) : type_(type), ccid_(ccid) {
  const uint8_t v[2] = {static_cast<uint8_t>(static_cast<uint16_t>(type) >> 8),
                        static_cast<uint8_t>(static_cast<uint16_t>(type))};
  shown_.push_back(Avp{true, false, 0, 0, {v[0], v[1]}});
}

ControlBuilder ControlBuilder::zlb(uint32_t ccid) {
  ControlBuilder b;
  b.zlb_ = true;
  b.ccid_ = ccid;
  return b;
}

ControlBuilder& ControlBuilder::raw(uint16_t vendor, uint16_t type, std::span<const uint8_t> v,
                                    bool mandatory, bool hidden) {
  // Values longer than an AVP can carry are cut (nothing we send comes close: host names
  // and end ids are configuration strings).
  const size_t n = std::min(v.size(), kMaxAvpValue);
  shown_.push_back(Avp{mandatory, hidden, vendor, type, {v.begin(), v.begin() + static_cast<long>(n)}});
  put_avp_header(body_, mandatory, hidden, n, vendor, type);
  body_.insert(body_.end(), v.begin(), v.begin() + static_cast<long>(n));
  return *this;
}

ControlBuilder& ControlBuilder::authenticate(MessageAuth a) {
  auth_ = std::move(a);
  return *this;
}

std::vector<uint8_t> ControlBuilder::finish(uint16_t ns, uint16_t nr) const {
  std::vector<uint8_t> out;
  const size_t dlen = auth_ && !zlb_ ? digest_size(auth_->type) : 0;
  out.reserve(kHeaderLen + 8 + (dlen ? kAvpHeaderLen + 1 + dlen : 0) + body_.size());
  put_be16(out, kFlagsControl);
  put_be16(out, 0);  // Length, below
  put32(out, ccid_);
  put_be16(out, ns);
  put_be16(out, nr);
  size_t digest_at = 0;
  if (!zlb_) {
    put_avp_header(out, true, false, 2, 0, static_cast<uint16_t>(AvpType::MessageType));
    put_be16(out, static_cast<uint16_t>(type_));
    if (dlen) {
      // §5.4.1: right after Message Type; M bit clear, so that a peer without
      // authentication can ignore it.
      put_avp_header(out, false, false, 1 + dlen, 0, static_cast<uint16_t>(AvpType::MessageDigest));
      out.push_back(static_cast<uint8_t>(auth_->type));
      digest_at = out.size();
      out.insert(out.end(), dlen, uint8_t{0});
    }
    out.insert(out.end(), body_.begin(), body_.end());
  }
  out[2] = static_cast<uint8_t>(out.size() >> 8);
  out[3] = static_cast<uint8_t>(out.size());
  if (digest_at) {
    const auto d = compute_digest(*auth_, out);
    std::copy_n(d.begin(), std::min(d.size(), dlen), out.begin() + static_cast<long>(digest_at));
  }
  return out;
}

std::string describe(const Avp& a, bool sent) {
  char buf[160];
  const auto n = [&](const char* name) {
    std::snprintf(buf, sizeof buf, "(%u)%s", a.type, name);
    return std::string(buf);
  };
  if (a.vendor != 0) {
    std::snprintf(buf, sizeof buf, "(%u)vendor %u attribute, %zu bytes", a.type, a.vendor,
                  a.value.size());
    return buf;
  }
  const auto size = [&](const char* name) {
    return n(name) + " (" + std::to_string(a.value.size()) + " bytes)";
  };
  if (a.hidden) return size("hidden attribute");
  const auto num = [&](const char* name) {
    if (auto v = a.u16()) return n(name) + " " + std::to_string(*v);
    if (auto v = a.u32()) return n(name) + " " + std::to_string(*v);
    if (auto v = a.u64()) return n(name) + " " + std::to_string(*v);
    return size(name);
  };
  const auto printable = [&](const char* name) {
    std::string s = n(name) + " ";
    for (uint8_t c : a.value) s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    return s;
  };
  switch (static_cast<AvpType>(a.type)) {
    case AvpType::MessageType:
      if (auto v = a.u16()) return n("message type ") + std::string(to_string(MessageType{*v}));
      return num("message type");
    case AvpType::ResultCode:
      if (a.value.size() >= 2) {
        std::string s = n(sent ? "resultcode " : "result code ") +
                        std::to_string((a.value[0] << 8) | a.value[1]);
        if (a.value.size() >= 4) s += " error " + std::to_string((a.value[2] << 8) | a.value[3]);
        return s;
      }
      return num("result code");
    case AvpType::TieBreaker: return size("tie breaker");
    case AvpType::FirmwareRevision:
      if (auto v = a.u16()) {
        std::snprintf(buf, sizeof buf, "(%u)firmware revision 0x%x", a.type, *v);
        return buf;
      }
      return num("firmware revision");
    case AvpType::HostName: return printable("hostname");
    case AvpType::VendorName: return printable("vendorname");
    case AvpType::ReceiveWindowSize: return num("receive window size");
    case AvpType::SerialNumber: return num("serial number");
    case AvpType::RandomVector: return size("random vector");
    case AvpType::MessageDigest:
      if (!a.value.empty() && a.value[0] <= 1)
        return n(a.value[0] == 0 ? "message digest hmac-md5" : "message digest hmac-sha1");
      return size("message digest");
    case AvpType::RouterId:
      if (auto v = a.u32()) return n("router id ") + format_ipv4(*v);
      return size("router id");
    case AvpType::AssignedControlConnectionId: return num("assigned connection id");
    case AvpType::PseudowireCapabilitiesList: {
      std::string s = n("pseudowire capability");
      if (a.value.size() % 2 != 0) return size("pseudowire capability");
      for (size_t i = 0; i + 1 < a.value.size(); i += 2) {
        s += ' ';
        s += std::to_string((a.value[i] << 8) | a.value[i + 1]);
      }
      return s;
    }
    case AvpType::LocalSessionId: return num("local session id");
    case AvpType::RemoteSessionId: return num("remote session id");
    case AvpType::AssignedCookie: return size("assigned cookie");
    case AvpType::RemoteEndId: return printable("remote end id");
    case AvpType::PseudowireType: return num("pseudowire type");
    case AvpType::L2SpecificSublayer: return num("l2 specific sublayer");
    case AvpType::DataSequencing: return num("data sequencing");
    case AvpType::CircuitStatus:
      if (auto v = a.u16()) {
        return n("circuit status ") + ((*v & kCircuitActive) ? "active" : "inactive") +
               ((*v & kCircuitNew) ? " new" : "");
      }
      return size("circuit status");
    case AvpType::PreferredLanguage: return printable("preferred language");
    case AvpType::ControlMessageAuthenticationNonce: return size("nonce");
    case AvpType::TxConnectSpeed: return num("tx connect speed");
    case AvpType::RxConnectSpeed: return num("rx connect speed");
  }
  return size("attribute");
}

}  // namespace l2tpgw::cp::l2tp::v3
