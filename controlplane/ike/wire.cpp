// SPDX-License-Identifier: Apache-2.0
// ISAKMP decoders and encoders (RFC 2408 §3, RFC 2407 §4, RFC 3947): every length checked
// against what encloses it before it is used.
#include "controlplane/ike/wire.hpp"

#include <cstring>

#include "common/byte_reader.hpp"

namespace l2tpgw::cp::ike {
namespace {

// Appends by resizing and writing in place: GCC 12 at -O3 warns falsely (stringop-overread)
// about vector::insert and push_back of a few bytes into a vector that may have grown.
void put8(Bytes& out, uint8_t v) {
  const size_t at = out.size();
  out.resize(at + 1);
  out[at] = v;
}
void put16(Bytes& out, uint16_t v) {
  const size_t at = out.size();
  out.resize(at + 2);
  out[at] = static_cast<uint8_t>(v >> 8);
  out[at + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& out, uint32_t v) {
  const size_t at = out.size();
  out.resize(at + 4);
  out[at] = static_cast<uint8_t>(v >> 24);
  out[at + 1] = static_cast<uint8_t>(v >> 16);
  out[at + 2] = static_cast<uint8_t>(v >> 8);
  out[at + 3] = static_cast<uint8_t>(v);
}
void put(Bytes& out, ByteView b) {
  if (b.empty()) return;
  const size_t at = out.size();
  out.resize(at + b.size());
  std::memcpy(out.data() + at, b.data(), b.size());
}

// Writes a generic payload header with a placeholder length; returns its offset.
size_t begin_payload(Bytes& out, uint8_t next) {
  const size_t at = out.size();
  put8(out, next);
  put8(out, 0);  // RESERVED
  put16(out, 0);
  return at;
}
void end_payload(Bytes& out, size_t at) {
  const size_t len = out.size() - at;
  out[at + 2] = static_cast<uint8_t>(len >> 8);
  out[at + 3] = static_cast<uint8_t>(len);
}

// One generic payload header inside a sub-structure chain (proposals, transforms): the Next
// Payload value, and a reader over the body.
struct SubPayload {
  uint8_t next;
  ByteReader body;
};
WireResult<SubPayload> read_sub_payload(ByteReader& r, WireError bad) {
  auto next = r.read_u8();
  auto reserved = r.read_u8();
  auto len = r.read_be16();
  if (!next || !reserved || !len) return WireError::Truncated;
  // Lengths are claims: the header counts itself, and the body must be present.
  if (*len < kGenericHeaderLen || *len - kGenericHeaderLen > r.remaining()) return bad;
  auto body = r.take(*len - kGenericHeaderLen);
  return SubPayload{*next, *body};
}

// RFC 2408 §3.6: Transform #, Transform-Id, RESERVED2, then the SA attributes.
WireResult<Transform> decode_transform(ByteReader body) {
  Transform t;
  auto number = body.read_u8();
  auto id = body.read_u8();
  auto reserved2 = body.read_be16();
  if (!number || !id || !reserved2) return WireError::BadProposalSyntax;
  t.number = *number;
  t.id = *id;
  auto attrs = decode_attributes(body.rest());
  if (!attrs) return attrs.error();
  t.attributes = std::move(attrs).value();
  return t;
}

// RFC 2408 §3.5: Proposal #, Protocol-Id, SPI Size, # of Transforms, SPI, then exactly
// `# of Transforms` Transform payloads chained with Next Payload 3 and ending with 0.
WireResult<Proposal> decode_proposal(ByteReader body) {
  Proposal p;
  auto number = body.read_u8();
  auto protocol = body.read_u8();
  auto spi_size = body.read_u8();
  auto count = body.read_u8();
  if (!number || !protocol || !spi_size || !count) return WireError::BadProposalSyntax;
  p.number = *number;
  p.protocol = *protocol;
  auto spi = body.take(*spi_size);
  if (!spi) return WireError::BadProposalSyntax;
  p.spi.assign(spi->rest().begin(), spi->rest().end());
  if (*count == 0) return WireError::BadProposalSyntax;
  if (*count > kMaxTransforms) return WireError::TooManyPayloads;
  uint8_t next = static_cast<uint8_t>(PayloadType::Transform);
  for (unsigned i = 0; i < *count; ++i) {
    if (next != static_cast<uint8_t>(PayloadType::Transform)) return WireError::BadProposalSyntax;
    auto sub = read_sub_payload(body, WireError::BadProposalSyntax);
    if (!sub) return sub.error() == WireError::Truncated ? WireError::BadProposalSyntax : sub.error();
    auto t = decode_transform(sub->body);
    if (!t) return t.error();
    p.transforms.push_back(std::move(t).value());
    next = sub->next;
  }
  // The last transform ends the chain, and nothing follows it inside the proposal.
  if (next != 0 || !body.empty()) return WireError::BadProposalSyntax;
  return p;
}

}  // namespace

// ---- Attributes ----

std::optional<uint64_t> Attribute::integer() const {
  if (tv) return tv_value;
  if (tlv_value.empty() || tlv_value.size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (uint8_t b : tlv_value) v = v << 8 | b;
  return v;
}

Attribute tv_attribute(uint16_t type, uint16_t value) {
  Attribute a;
  a.type = type;
  a.tv = true;
  a.tv_value = value;
  return a;
}

Attribute variable_attribute(uint16_t type, uint32_t value) {
  if (value <= 0xffff) return tv_attribute(type, static_cast<uint16_t>(value));
  Attribute a;
  a.type = type;
  a.tv = false;
  a.tlv_value = {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                 static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
  return a;
}

WireResult<std::vector<Attribute>> decode_attributes(ByteView bytes) {
  ByteReader r(bytes);
  std::vector<Attribute> out;
  while (!r.empty()) {
    if (out.size() >= kMaxAttributes) return WireError::TooManyPayloads;
    auto type = r.read_be16();
    auto lv = r.read_be16();
    if (!type || !lv) return WireError::BadAttribute;
    Attribute a;
    a.type = *type & ~kAttrFormatTv;
    a.tv = (*type & kAttrFormatTv) != 0;
    if (a.tv) {
      a.tv_value = *lv;
    } else {
      auto v = r.take(*lv);
      if (!v) return WireError::BadAttribute;
      a.tlv_value.assign(v->rest().begin(), v->rest().end());
    }
    out.push_back(std::move(a));
  }
  return out;
}

void encode_attributes(const std::vector<Attribute>& attrs, Bytes& out) {
  for (const auto& a : attrs) {
    if (a.tv) {
      put16(out, static_cast<uint16_t>(a.type | kAttrFormatTv));
      put16(out, a.tv_value);
    } else {
      put16(out, static_cast<uint16_t>(a.type & ~kAttrFormatTv));
      put16(out, static_cast<uint16_t>(a.tlv_value.size()));
      put(out, a.tlv_value);
    }
  }
}

// ---- Header and chain ----

WireResult<IsakmpHeader> decode_header(ByteView datagram) {
  ByteReader r(datagram);
  if (r.remaining() < kHeaderLen) return WireError::Truncated;
  IsakmpHeader h;
  for (auto& b : h.icookie) b = *r.read_u8();
  for (auto& b : h.rcookie) b = *r.read_u8();
  h.next_payload = *r.read_u8();
  h.version = *r.read_u8();
  h.exchange = static_cast<ExchangeType>(*r.read_u8());
  h.flags = *r.read_u8();
  h.message_id = *r.read_be32();
  h.length = *r.read_be32();
  // RFC 2408 §5.1: a major version we do not speak is refused (minor versions are not).
  if ((h.version >> 4) != 1) return WireError::BadMajorVersion;
  if (h.length < kHeaderLen || h.length > datagram.size() || h.length > kMaxMessageLen)
    return WireError::BadLength;
  return h;
}

WireResult<std::vector<PayloadView>> walk_payloads(uint8_t first, ByteView bytes,
                                                   bool allow_trailing) {
  std::vector<PayloadView> out;
  ByteReader r(bytes);
  uint8_t type = first;
  while (type != 0) {
    if (!is_known_payload(type)) return WireError::InvalidPayloadType;
    if (out.size() >= kMaxPayloads) return WireError::TooManyPayloads;
    const size_t at = r.position();
    auto next = r.read_u8();
    auto reserved = r.read_u8();
    auto len = r.read_be16();
    if (!next || !reserved || !len) return WireError::Truncated;
    if (*len < kGenericHeaderLen || *len - kGenericHeaderLen > r.remaining())
      return WireError::BadPayloadLength;
    PayloadView p;
    p.type = static_cast<PayloadType>(type);
    p.raw = bytes.subspan(at, *len);
    p.body = p.raw.subspan(kGenericHeaderLen);
    r.skip(*len - kGenericHeaderLen);
    out.push_back(p);
    type = *next;
  }
  if (!allow_trailing && !r.empty()) return WireError::BadLength;
  return out;
}

const PayloadView* find_payload(const std::vector<PayloadView>& chain, PayloadType type) {
  for (const auto& p : chain)
    if (p.type == type) return &p;
  return nullptr;
}

void encode_header(const IsakmpHeader& h, Bytes& out) {
  put(out, h.icookie);
  put(out, h.rcookie);
  put8(out, h.next_payload);
  put8(out, h.version);
  put8(out, static_cast<uint8_t>(h.exchange));
  put8(out, h.flags);
  put32(out, h.message_id);
  put32(out, h.length);
}

void PayloadChain::serialize(Bytes& out) const {
  for (size_t i = 0; i < items_.size(); ++i) {
    const uint8_t next = i + 1 < items_.size() ? static_cast<uint8_t>(items_[i + 1].type) : 0;
    const size_t at = begin_payload(out, next);
    put(out, items_[i].body);
    end_payload(out, at);
  }
}

Bytes build_plain_message(IsakmpHeader h, const PayloadChain& chain) {
  Bytes body = chain.serialize();
  h.next_payload = chain.first_type();
  h.flags &= static_cast<uint8_t>(~kFlagEncryption);
  h.length = static_cast<uint32_t>(kHeaderLen + body.size());
  Bytes out;
  out.reserve(h.length);
  encode_header(h, out);
  put(out, body);
  return out;
}

// ---- SA ----

WireResult<SaPayload> decode_sa(ByteView body) {
  ByteReader r(body);
  SaPayload sa;
  auto doi = r.read_be32();
  if (!doi) return WireError::Truncated;
  sa.doi = *doi;
  if (sa.doi != kDoiIpsec) return WireError::BadDoi;
  // RFC 2407 §4.2: the situation is a 32-bit bitmask; SIT_SECRECY and SIT_INTEGRITY add
  // labeled-domain fields that no L2TP/IPsec client sends and we do not support.
  auto situation = r.read_be32();
  if (!situation) return WireError::Truncated;
  sa.situation = *situation;
  if (sa.situation != kSitIdentityOnly) return WireError::BadSituation;
  uint8_t next = static_cast<uint8_t>(PayloadType::Proposal);
  if (r.empty()) return WireError::BadProposalSyntax;
  while (!r.empty()) {
    if (next != static_cast<uint8_t>(PayloadType::Proposal)) return WireError::BadProposalSyntax;
    if (sa.proposals.size() >= kMaxProposals) return WireError::TooManyPayloads;
    auto sub = read_sub_payload(r, WireError::BadProposalSyntax);
    if (!sub) return sub.error() == WireError::Truncated ? WireError::BadProposalSyntax : sub.error();
    auto p = decode_proposal(sub->body);
    if (!p) return p.error();
    sa.proposals.push_back(std::move(p).value());
    next = sub->next;
  }
  if (next != 0) return WireError::BadProposalSyntax;
  return sa;
}

Bytes encode_sa(const SaPayload& sa) {
  Bytes out;
  put32(out, sa.doi);
  put32(out, sa.situation);
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    const size_t pat = begin_payload(
        out, i + 1 < sa.proposals.size() ? static_cast<uint8_t>(PayloadType::Proposal) : 0);
    put8(out, p.number);
    put8(out, p.protocol);
    put8(out, static_cast<uint8_t>(p.spi.size()));
    put8(out, static_cast<uint8_t>(p.transforms.size()));
    put(out, p.spi);
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      const size_t tat = begin_payload(
          out, j + 1 < p.transforms.size() ? static_cast<uint8_t>(PayloadType::Transform) : 0);
      put8(out, t.number);
      put8(out, t.id);
      put16(out, 0);  // RESERVED2
      encode_attributes(t.attributes, out);
      end_payload(out, tat);
    }
    end_payload(out, pat);
  }
  return out;
}

// ---- KE, Nonce, Hash, Vendor ID, NAT-D: opaque data with a length rule ----

WireResult<Bytes> decode_key_exchange(ByteView body) {
  if (body.empty()) return WireError::BadKeyExchange;
  return Bytes(body.begin(), body.end());
}

WireResult<Bytes> decode_nonce(ByteView body) {
  if (body.size() < kMinNonceLen || body.size() > kMaxNonceLen) return WireError::BadNonce;
  return Bytes(body.begin(), body.end());
}

WireResult<Bytes> decode_hash(ByteView body) {
  if (body.empty()) return WireError::BadHash;
  return Bytes(body.begin(), body.end());
}

WireResult<Bytes> decode_vendor_id(ByteView body) { return Bytes(body.begin(), body.end()); }

WireResult<Bytes> decode_nat_d(ByteView body) {
  if (body.empty()) return WireError::BadNatD;
  return Bytes(body.begin(), body.end());
}

// ---- Identification ----

WireResult<Identification> decode_identification(ByteView body) {
  ByteReader r(body);
  auto type = r.read_u8();
  auto protocol = r.read_u8();
  auto port = r.read_be16();
  if (!type || !protocol || !port) return WireError::BadIdentification;
  Identification id;
  id.type = *type;
  id.protocol = *protocol;
  id.port = *port;
  id.data.assign(r.rest().begin(), r.rest().end());
  // RFC 2407 §4.6.2.1: the address types have fixed lengths; the names must not be empty.
  size_t want = 0;
  switch (static_cast<IdType>(id.type)) {
    case IdType::Ipv4Addr: want = 4; break;
    case IdType::Ipv4AddrSubnet:
    case IdType::Ipv4AddrRange: want = 8; break;
    case IdType::Ipv6Addr: want = 16; break;
    case IdType::Ipv6AddrSubnet:
    case IdType::Ipv6AddrRange: want = 32; break;
    case IdType::Fqdn:
    case IdType::UserFqdn:
    case IdType::DerAsn1Dn:
    case IdType::DerAsn1Gn:
    case IdType::KeyId:
      if (id.data.empty()) return WireError::BadIdentification;
      return id;
    default: return WireError::BadIdentification;  // a type RFC 2407 does not define
  }
  if (id.data.size() != want) return WireError::BadIdentification;
  return id;
}

Bytes encode_identification(const Identification& id) {
  Bytes out;
  put8(out, id.type);
  put8(out, id.protocol);
  put16(out, id.port);
  put(out, id.data);
  return out;
}

Identification ipv4_id(uint32_t addr, uint8_t protocol, uint16_t port) {
  Identification id;
  id.type = static_cast<uint8_t>(IdType::Ipv4Addr);
  id.protocol = protocol;
  id.port = port;
  put32(id.data, addr);
  return id;
}

std::optional<uint32_t> single_ipv4(const Identification& id) {
  auto be32 = [&](size_t at) {
    return uint32_t{id.data[at]} << 24 | uint32_t{id.data[at + 1]} << 16 |
           uint32_t{id.data[at + 2]} << 8 | uint32_t{id.data[at + 3]};
  };
  if (id.type == static_cast<uint8_t>(IdType::Ipv4Addr) && id.data.size() == 4) return be32(0);
  if (id.type == static_cast<uint8_t>(IdType::Ipv4AddrSubnet) && id.data.size() == 8 &&
      be32(4) == 0xffffffffu)
    return be32(0);
  return std::nullopt;
}

std::string id_text(const Identification& id) {
  if (id.type != static_cast<uint8_t>(IdType::Fqdn) && id.type != static_cast<uint8_t>(IdType::UserFqdn))
    return "";
  std::string out;
  for (uint8_t b : id.data) {
    if (out.size() == 64) break;
    out += (b >= 0x20 && b < 0x7f) ? static_cast<char>(b) : '?';
  }
  return out;
}

// ---- Notification ----

WireResult<Notification> decode_notification(ByteView body) {
  ByteReader r(body);
  auto doi = r.read_be32();
  auto protocol = r.read_u8();
  auto spi_size = r.read_u8();
  auto type = r.read_be16();
  if (!doi || !protocol || !spi_size || !type) return WireError::BadNotification;
  Notification n;
  n.doi = *doi;
  n.protocol = *protocol;
  n.type = *type;
  auto spi = r.take(*spi_size);
  if (!spi) return WireError::BadNotification;
  n.spi.assign(spi->rest().begin(), spi->rest().end());
  n.data.assign(r.rest().begin(), r.rest().end());
  return n;
}

Bytes encode_notification(const Notification& n) {
  Bytes out;
  put32(out, n.doi);
  put8(out, n.protocol);
  put8(out, static_cast<uint8_t>(n.spi.size()));
  put16(out, n.type);
  put(out, n.spi);
  put(out, n.data);
  return out;
}

// ---- Delete ----

WireResult<Delete> decode_delete(ByteView body) {
  ByteReader r(body);
  auto doi = r.read_be32();
  auto protocol = r.read_u8();
  auto spi_size = r.read_u8();
  auto count = r.read_be16();
  if (!doi || !protocol || !spi_size || !count) return WireError::BadDelete;
  Delete d;
  d.doi = *doi;
  d.protocol = *protocol;
  d.spi_size = *spi_size;
  // The count is a claim: it must describe exactly the bytes present (multiply in size_t,
  // after reading both 8- and 16-bit values, so nothing wraps).
  if (d.spi_size == 0 || *count == 0) return WireError::BadDelete;
  if (size_t{*count} * d.spi_size != r.remaining()) return WireError::BadDelete;
  if (*count > kMaxPayloads * 4) return WireError::TooManyPayloads;
  for (unsigned i = 0; i < *count; ++i) {
    auto spi = r.take(d.spi_size);
    d.spis.emplace_back(spi->rest().begin(), spi->rest().end());
  }
  return d;
}

Bytes encode_delete(const Delete& d) {
  Bytes out;
  put32(out, d.doi);
  put8(out, d.protocol);
  put8(out, d.spi_size);
  put16(out, static_cast<uint16_t>(d.spis.size()));
  for (const auto& s : d.spis) put(out, s);
  return out;
}

// ---- NAT-OA ----

WireResult<NatOa> decode_nat_oa(ByteView body) {
  ByteReader r(body);
  auto type = r.read_u8();
  if (!type || !r.skip(3)) return WireError::BadNatOa;
  NatOa oa;
  oa.id_type = *type;
  oa.address.assign(r.rest().begin(), r.rest().end());
  if (oa.id_type == static_cast<uint8_t>(IdType::Ipv4Addr) && oa.address.size() == 4) return oa;
  if (oa.id_type == static_cast<uint8_t>(IdType::Ipv6Addr) && oa.address.size() == 16) return oa;
  return WireError::BadNatOa;
}

Bytes encode_nat_oa(const NatOa& oa) {
  Bytes out;
  put8(out, oa.id_type);
  put8(out, 0);
  put16(out, 0);
  put(out, oa.address);
  return out;
}

}  // namespace l2tpgw::cp::ike
