// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/control_message.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

#include "common/byte_reader.hpp"

namespace l2tpgw::cp::l2tp {

namespace {

constexpr uint16_t kFlagsControl = 0xC802;   // T, L, S, version 2 (§3.1)
constexpr size_t kHeaderLen = 12;

using Md5 = std::array<uint8_t, 16>;

Md5 md5(std::initializer_list<std::span<const uint8_t>> parts) {
  Md5 out{};
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  unsigned len = 0;
  if (c != nullptr && EVP_DigestInit_ex(c, EVP_md5(), nullptr) == 1) {
    for (auto p : parts) EVP_DigestUpdate(c, p.data(), p.size());
    EVP_DigestFinal_ex(c, out.data(), &len);
  }
  EVP_MD_CTX_free(c);
  return out;
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// §4.3: b(1) = MD5(AVP type | secret | RV), b(i) = MD5(secret | c(i-1)); c(i) = p(i) xor b(i).
// `reveal` picks which of input/output is the ciphertext chained into the next block.
std::vector<uint8_t> md5_stream_xor(uint16_t type, std::span<const uint8_t> in,
                                    std::string_view secret, std::span<const uint8_t> rv,
                                    bool reveal) {
  std::vector<uint8_t> out(in.size());
  const uint8_t t[2] = {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type)};
  Md5 b = md5({t, bytes_of(secret), rv});
  for (size_t off = 0; off < in.size(); off += 16) {
    const size_t n = std::min<size_t>(16, in.size() - off);
    for (size_t i = 0; i < n; ++i) out[off + i] = in[off + i] ^ b[i];
    if (off + 16 < in.size()) {
      const uint8_t* cblock = reveal ? in.data() + off : out.data() + off;
      b = md5({bytes_of(secret), std::span<const uint8_t>(cblock, 16)});
    }
  }
  return out;
}

}  // namespace

std::string_view to_string(MessageType t) {
  switch (t) {
    case MessageType::SCCRQ: return "SCCRQ";
    case MessageType::SCCRP: return "SCCRP";
    case MessageType::SCCCN: return "SCCCN";
    case MessageType::StopCCN: return "StopCCN";
    case MessageType::HELLO: return "HELLO";
    case MessageType::OCRQ: return "OCRQ";
    case MessageType::OCRP: return "OCRP";
    case MessageType::OCCN: return "OCCN";
    case MessageType::ICRQ: return "ICRQ";
    case MessageType::ICRP: return "ICRP";
    case MessageType::ICCN: return "ICCN";
    case MessageType::CDN: return "CDN";
    case MessageType::WEN: return "WEN";
    case MessageType::SLI: return "SLI";
  }
  return "unknown";
}

bool is_known(MessageType t) { return to_string(t) != "unknown"; }

bool is_tunnel_message(MessageType t) {
  return t == MessageType::SCCRQ || t == MessageType::SCCRP || t == MessageType::SCCCN ||
         t == MessageType::StopCCN || t == MessageType::HELLO;
}

bool is_known(uint16_t vendor, uint16_t type) {
  return vendor == 0 && type <= kMaxKnownAvpType && type != 20;
}

std::string_view to_string(ControlError e) {
  switch (e) {
    case ControlError::Truncated: return "Truncated";
    case ControlError::BadHeader: return "BadHeader";
    case ControlError::BadLength: return "BadLength";
    case ControlError::BadAvpLength: return "BadAvpLength";
    case ControlError::NoMessageType: return "NoMessageType";
    case ControlError::HiddenMessageType: return "HiddenMessageType";
    case ControlError::HiddenWithoutSecret: return "HiddenWithoutSecret";
    case ControlError::HiddenWithoutVector: return "HiddenWithoutVector";
    case ControlError::BadHiddenLength: return "BadHiddenLength";
  }
  return "?";
}

const Avp* ControlMessage::find(AvpType t) const {
  for (const Avp& a : avps)
    if (a.is(t)) return &a;
  return nullptr;
}

const Avp* ControlMessage::unknown_mandatory() const {
  for (const Avp& a : avps)
    if (a.mandatory && !is_known(a.vendor, a.type)) return &a;
  return nullptr;
}

std::vector<uint8_t> hide_value(uint16_t type, std::span<const uint8_t> value,
                                std::string_view secret, std::span<const uint8_t> random_vector,
                                std::span<const uint8_t> padding) {
  std::vector<uint8_t> plain;
  plain.reserve(2 + value.size() + padding.size());
  put_be16(plain, static_cast<uint16_t>(value.size()));
  plain.insert(plain.end(), value.begin(), value.end());
  plain.insert(plain.end(), padding.begin(), padding.end());
  return md5_stream_xor(type, plain, secret, random_vector, false);
}

std::optional<std::vector<uint8_t>> reveal_value(uint16_t type, std::span<const uint8_t> hidden,
                                                 std::string_view secret,
                                                 std::span<const uint8_t> random_vector) {
  if (hidden.size() < 2) return std::nullopt;
  std::vector<uint8_t> plain = md5_stream_xor(type, hidden, secret, random_vector, true);
  const size_t orig = (size_t{plain[0]} << 8) | plain[1];
  if (orig > plain.size() - 2) return std::nullopt;
  return std::vector<uint8_t>(plain.begin() + 2, plain.begin() + 2 + static_cast<long>(orig));
}

DecodeResult decode_control(std::span<const uint8_t> bytes, std::string_view secret) {
  auto fail = [](ControlError e) { return DecodeResult{std::nullopt, e}; };
  ByteReader r(bytes);
  auto flags = r.read_be16();
  auto length = r.read_be16();
  auto tid = r.read_be16();
  auto sid = r.read_be16();
  auto ns = r.read_be16();
  auto nr = r.read_be16();
  if (!nr) return fail(ControlError::Truncated);
  // §3.1: T, L and S set; O and P clear; reserved bits zero; version 2.
  if (*flags != kFlagsControl) return fail(ControlError::BadHeader);
  if (*length < kHeaderLen || *length > bytes.size()) return fail(ControlError::BadLength);
  ControlMessage m;
  m.hdr = {*tid, *sid, *ns, *nr};
  ByteReader body(bytes.subspan(kHeaderLen, *length - kHeaderLen));
  if (body.empty()) {
    m.zlb = true;
    return {std::move(m), {}};
  }
  std::vector<uint8_t> rv;  // the most recent Random Vector (§4.3)
  while (!body.empty()) {
    AvpReadError e{};
    auto w = read_avp(body, &e);
    if (!w) return fail(e == AvpReadError::BadLength ? ControlError::BadAvpLength : ControlError::Truncated);
    Avp a;
    a.mandatory = w->mandatory;
    a.hidden = w->hidden;
    a.vendor = w->vendor;
    a.type = w->type;
    const auto v = w->value;
    if (a.hidden) {
      if (m.avps.empty()) return fail(ControlError::HiddenMessageType);
      if (secret.empty()) return fail(ControlError::HiddenWithoutSecret);
      if (rv.empty()) return fail(ControlError::HiddenWithoutVector);
      auto plain = reveal_value(a.type, v, secret, rv);
      if (!plain) return fail(ControlError::BadHiddenLength);
      a.value = std::move(*plain);
    } else {
      a.value.assign(v.begin(), v.end());
    }
    if (m.avps.empty()) {
      // §4.1: the Message Type AVP comes first.
      if (!a.is(AvpType::MessageType) || a.value.size() != 2) {
        return fail(ControlError::NoMessageType);
      }
      m.type = static_cast<MessageType>(*a.u16());
    }
    if (a.is(AvpType::RandomVector)) rv = a.value;
    m.avps.push_back(std::move(a));
  }
  return {std::move(m), {}};
}

ControlBuilder::ControlBuilder(MessageType type, uint16_t tunnel_id, uint16_t session_id)
    : type_(type), tunnel_id_(tunnel_id), session_id_(session_id) {
  u16(AvpType::MessageType, static_cast<uint16_t>(type));
}

ControlBuilder ControlBuilder::zlb(uint16_t tunnel_id, uint16_t session_id) {
  ControlBuilder b;
  b.zlb_ = true;
  b.tunnel_id_ = tunnel_id;
  b.session_id_ = session_id;
  return b;
}

ControlBuilder& ControlBuilder::raw(uint16_t vendor, uint16_t type, std::span<const uint8_t> v,
                                    bool mandatory) {
  shown_.push_back(Avp{mandatory, hiding_, vendor, type, {v.begin(), v.end()}});
  std::vector<uint8_t> wire_value(v.begin(), v.end());
  if (hiding_) wire_value = hide_value(type, v, secret_, vector_);
  put_avp_header(body_, mandatory, hiding_, wire_value.size(), vendor, type);
  body_.insert(body_.end(), wire_value.begin(), wire_value.end());
  return *this;
}

ControlBuilder& ControlBuilder::hide_on(std::string_view secret,
                                        std::span<const uint8_t> random_vector) {
  hiding_ = false;
  bytes(AvpType::RandomVector, random_vector, true);
  secret_.assign(secret);
  vector_.assign(random_vector.begin(), random_vector.end());
  hiding_ = true;
  return *this;
}

ControlBuilder& ControlBuilder::hide_off() {
  hiding_ = false;
  return *this;
}

std::vector<uint8_t> ControlBuilder::finish(uint16_t ns, uint16_t nr) const {
  std::vector<uint8_t> out;
  out.reserve(kHeaderLen + body_.size());
  put_be16(out, kFlagsControl);
  put_be16(out, static_cast<uint16_t>(kHeaderLen + body_.size()));
  put_be16(out, tunnel_id_);
  put_be16(out, session_id_);
  put_be16(out, ns);
  put_be16(out, nr);
  out.insert(out.end(), body_.begin(), body_.end());
  return out;
}

std::string describe(const Avp& a, MessageType in, bool sent) {
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
  const auto num = [&](const char* name) {
    if (auto v = a.u16()) return n(name) + " " + std::to_string(*v);
    if (auto v = a.u32()) return n(name) + " " + std::to_string(*v);
    return n(name) + " (" + std::to_string(a.value.size()) + " bytes)";
  };
  const auto printable = [&](const char* name) {
    std::string s = n(name) + " ";
    for (uint8_t c : a.value) s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    return s;
  };
  const auto secret = [&](const char* name) {
    return n(name) + " (" + std::to_string(a.value.size()) + " bytes)";
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
    case AvpType::ProtocolVersion:
      if (a.value.size() == 2) {
        std::snprintf(buf, sizeof buf, "(%u)protocol version %u revision %u", a.type,
                      a.value[0], a.value[1]);
        return buf;
      }
      return num("protocol version");
    case AvpType::FramingCapabilities:
    case AvpType::BearerCapabilities: {
      auto v = a.u32();
      if (!v) return num(a.type == 3 ? "framing capability" : "bearer capability");
      if (a.type == 4) return n("bearer capability ") + std::to_string(*v);
      if (sent) {
        // §4.4.3: bit 0 (S) synchronous, bit 1 (A) asynchronous framing.
        std::string s = n("framing capability");
        if (*v & 1u) s += " sync";
        if (*v & 2u) s += " async";
        return s;
      }
      std::snprintf(buf, sizeof buf, "(%u)framing capability Abit:%u Sbit:%u", a.type,
                    (*v >> 1) & 1u, *v & 1u);
      return buf;
    }
    case AvpType::FirmwareRevision:
      if (auto v = a.u16()) {
        std::snprintf(buf, sizeof buf, "(%u)firmware revision 0x%x", a.type, *v);
        return buf;
      }
      return num("firmware revision");
    case AvpType::HostName: return printable("hostname");
    case AvpType::VendorName: return printable("vendorname");
    case AvpType::AssignedTunnelId:
      return num(!sent && in == MessageType::StopCCN ? "assigned StopCCN tunnel id"
                                                      : "assigned tunnel id");
    case AvpType::ReceiveWindowSize: return num("receive window size");
    case AvpType::Challenge: return secret("challenge");
    case AvpType::ChallengeResponse: return secret("challenge response");
    case AvpType::AssignedSessionId: return num("assigned session id");
    case AvpType::CallSerialNumber: return num("call serial number");
    case AvpType::MinimumBps: return num("minimum bps");
    case AvpType::MaximumBps: return num("maximum bps");
    case AvpType::BearerType: return num("bearer type");
    case AvpType::FramingType: return num("framing type");
    case AvpType::CalledNumber: return printable("called number");
    case AvpType::CallingNumber: return printable("calling number");
    case AvpType::TxConnectSpeed:
    case AvpType::RxConnectSpeed: {
      const char* name = a.type == 24 ? "tx connect speed" : "rx connect speed";
      auto v = a.u32();
      if (!v) return num(name);
      if (*v != 0 && *v % 1000000 == 0) return n(name) + " " + std::to_string(*v / 1000000) + "Mbit/s";
      if (*v != 0 && *v % 1000 == 0) return n(name) + " " + std::to_string(*v / 1000) + "kbit/s";
      return n(name) + " " + std::to_string(*v) + "bit/s";
    }
    case AvpType::ProxyAuthenType: return num("proxy authen type");
    case AvpType::ProxyAuthenName: return printable("proxy authen name");
    case AvpType::ProxyAuthenChallenge: return secret("proxy authen challenge");
    case AvpType::ProxyAuthenId: return num("proxy authen id");
    case AvpType::ProxyAuthenResponse: return secret("proxy authen response");
    case AvpType::RandomVector: return secret("random vector");
    case AvpType::SequencingRequired: return n("sequencing required");
    default: break;
  }
  return n("attribute") + " (" + std::to_string(a.value.size()) + " bytes)";
}

}  // namespace l2tpgw::cp::l2tp
