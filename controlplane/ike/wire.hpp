// SPDX-License-Identifier: Apache-2.0
// ISAKMP wire format (RFC 2408 §3) with the IPsec DOI (RFC 2407 §4), the IKE phase-1
// attributes (RFC 2409 App. A), NAT-T (RFC 3947 and draft-ietf-ipsec-nat-t-ike-02/03) and DPD
// (RFC 3706): the header, the generic payload chain, and a decoder and an encoder per payload.
//
// Decoding is two-phase (STYLE.md "Parsers"): decode_header/walk_payloads check structure and
// bounds only; the decode_<payload> functions check each body's own length fields; RFC
// semantics (which attribute values we support, which payloads an exchange needs) are the
// exchange layer's. Every length is a claim checked against what encloses it. Decoders never
// throw and return a WireError, which names a counter and the Notify Message Type to answer
// with. Encoders build what the decoders accept: decode(encode(x)) == x.
//
// Thread context: pure functions; decoded payloads own their bytes (except PayloadView).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/ike/result.hpp"

namespace l2tpgw::cp::ike {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// ---- Why a message did not decode (each is a counter: see IkeCounter) ----
#define L2TPGW_IKE_WIRE_ERRORS(X)                                                            \
  X(Truncated)          /* fewer bytes than a header needs */                                \
  X(BadMajorVersion)    /* RFC 2408 §3.1: MjVer != 1 (INVALID-MAJOR-VERSION) */             \
  X(BadLength)          /* header Length < 28, past the datagram, or bytes after the chain */ \
  X(BadPayloadLength)   /* generic header Payload Length < 4 or past the message */          \
  X(InvalidPayloadType) /* RFC 2408 §5.2: a payload type we do not know */                  \
  X(TooManyPayloads)    /* more payloads, proposals, transforms or attributes than bounded */ \
  X(BadDoi)             /* RFC 2408 §5.4: DOI other than IPsec (DOI-NOT-SUPPORTED) */        \
  X(BadSituation)       /* RFC 2407 §4.2: only SIT_IDENTITY_ONLY (SITUATION-NOT-SUPPORTED) */ \
  X(BadProposalSyntax)  /* RFC 2408 §3.5/3.6: proposal/transform chain or counts wrong */    \
  X(BadAttribute)       /* RFC 2408 §3.3: an attribute runs past its transform */           \
  X(BadKeyExchange)     /* RFC 2408 §3.7: empty Key Exchange Data */                         \
  X(BadNonce)           /* RFC 2409 §5: nonce shorter than 8 or longer than 256 bytes */     \
  X(BadIdentification)  /* RFC 2407 §4.6.2: ID data length wrong for its type */            \
  X(BadHash)            /* RFC 2408 §3.11: empty Hash Data */                                \
  X(BadNotification)    /* RFC 2408 §3.14: SPI Size past the payload */                      \
  X(BadDelete)          /* RFC 2408 §3.15: # of SPIs x SPI Size != the bytes present */      \
  X(BadNatD)            /* RFC 3947 §3.2: empty hash */                                      \
  X(BadNatOa)           /* RFC 3947 §5.2: address length wrong for its ID type */

enum class WireError : uint8_t {
#define X(n) n,
  L2TPGW_IKE_WIRE_ERRORS(X)
#undef X
};

constexpr std::string_view to_string(WireError e) {
  switch (e) {
#define X(n) \
  case WireError::n: return #n;
    L2TPGW_IKE_WIRE_ERRORS(X)
#undef X
  }
  return "?";
}

template <class T>
using WireResult = Result<T, WireError>;

// ---- RFC 2408 §3.1 ISAKMP header ----
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Initiator                            !
// !                            Cookie                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Responder                            !
// !                            Cookie                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Message ID                           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                            Length                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
inline constexpr size_t kHeaderLen = 28;
inline constexpr uint8_t kVersion10 = 0x10;        // MjVer 1, MnVer 0
inline constexpr uint8_t kFlagEncryption = 0x01;   // E: payloads after the header are encrypted
inline constexpr uint8_t kFlagCommit = 0x02;       // C (RFC 2408 §3.1)
inline constexpr uint8_t kFlagAuthOnly = 0x04;     // A
inline constexpr size_t kCookieLen = 8;
using Cookie = std::array<uint8_t, kCookieLen>;
// The largest message we accept or build: an IKE datagram on a 1500-byte path is far smaller;
// this bounds what a peer can make us parse and keep.
inline constexpr size_t kMaxMessageLen = 16384;

// RFC 2408 §3.1 Exchange Type, RFC 2409 §5 / §5.5.
enum class ExchangeType : uint8_t {
  None = 0,
  Base = 1,
  IdentityProtection = 2,  // Main Mode (RFC 2409 §5)
  AuthenticationOnly = 3,
  Aggressive = 4,          // RFC 2409 §5: refused
  Informational = 5,
  QuickMode = 32,          // RFC 2409 §5.5
  NewGroupMode = 33,       // RFC 2409 §5.6
};

struct IsakmpHeader {
  Cookie icookie{};  // CKY-I
  Cookie rcookie{};  // CKY-R
  uint8_t next_payload = 0;
  uint8_t version = kVersion10;
  ExchangeType exchange = ExchangeType::None;
  uint8_t flags = 0;
  uint32_t message_id = 0;
  uint32_t length = 0;
  bool operator==(const IsakmpHeader&) const = default;
};

// RFC 2408 §3.1 Next Payload / §3.2, RFC 3947 §3.2, §5.2 and the draft numbers.
enum class PayloadType : uint8_t {
  None = 0,
  Sa = 1,
  Proposal = 2,
  Transform = 3,
  KeyExchange = 4,
  Identification = 5,
  Certificate = 6,
  CertificateRequest = 7,
  Hash = 8,
  Signature = 9,
  Nonce = 10,
  Notification = 11,
  Delete = 12,
  VendorId = 13,
  NatD = 20,          // RFC 3947
  NatOa = 21,         // RFC 3947
  NatDDraft = 130,    // draft-ietf-ipsec-nat-t-ike-02/03
  NatOaDraft = 131,
};
constexpr bool is_known_payload(uint8_t t) {
  return (t >= 1 && t <= 13) || t == 20 || t == 21 || t == 130 || t == 131;
}

// RFC 2407 §4.2 (DOI), §4.2 (Situation), §4.4.1 (Protocol ID).
inline constexpr uint32_t kDoiIsakmp = 0;
inline constexpr uint32_t kDoiIpsec = 1;
inline constexpr uint32_t kSitIdentityOnly = 1;
enum class ProtocolId : uint8_t { Isakmp = 1, IpsecAh = 2, IpsecEsp = 3, IpComp = 4 };
inline constexpr uint8_t kKeyIke = 1;  // RFC 2407 §4.4.2: the one ISAKMP transform ID

// RFC 2407 §4.4.4 ESP transform IDs, RFC 3602 §5.3, RFC 4106 §8.4.
enum class EspTransformId : uint8_t {
  Des = 2,
  TripleDes = 3,
  Null = 11,
  Aes = 12,
  AesGcm8 = 18,
  AesGcm12 = 19,
  AesGcm16 = 20,
};

// ---- RFC 2409 App. A: phase-1 (Oakley) attribute classes and values ----
enum class Phase1Attr : uint16_t {
  EncryptionAlgorithm = 1,
  HashAlgorithm = 2,
  AuthenticationMethod = 3,
  GroupDescription = 4,
  GroupType = 5,
  GroupPrime = 6,
  GroupGeneratorOne = 7,
  GroupGeneratorTwo = 8,
  GroupCurveA = 9,
  GroupCurveB = 10,
  LifeType = 11,
  LifeDuration = 12,
  Prf = 13,
  KeyLength = 14,
  FieldSize = 15,
  GroupOrder = 16,
};
inline constexpr uint16_t kOakleyDesCbc = 1;
inline constexpr uint16_t kOakley3DesCbc = 5;
inline constexpr uint16_t kOakleyAesCbc = 7;  // RFC 3602 §5.3 / IANA
inline constexpr uint16_t kOakleyMd5 = 1;
inline constexpr uint16_t kOakleySha = 2;
inline constexpr uint16_t kOakleySha256 = 4;  // IANA "SHA2-256"
inline constexpr uint16_t kAuthPreSharedKey = 1;
inline constexpr uint16_t kLifeSeconds = 1;
inline constexpr uint16_t kLifeKilobytes = 2;

// ---- RFC 2407 §4.5 IPsec SA attributes ----
enum class IpsecAttr : uint16_t {
  SaLifeType = 1,
  SaLifeDuration = 2,
  GroupDescription = 3,
  EncapsulationMode = 4,
  AuthenticationAlgorithm = 5,
  KeyLength = 6,
  KeyRounds = 7,
  CompressDictionarySize = 8,
  CompressPrivateAlgorithm = 9,
};
// Encapsulation Mode: RFC 2407 §4.5, RFC 3947 §5.1 and the draft's private-use values.
inline constexpr uint16_t kEncapTunnel = 1;
inline constexpr uint16_t kEncapTransport = 2;
inline constexpr uint16_t kEncapUdpTunnel = 3;           // RFC 3947
inline constexpr uint16_t kEncapUdpTransport = 4;        // RFC 3947
inline constexpr uint16_t kEncapUdpTunnelDraft = 61443;  // draft-ietf-ipsec-nat-t-ike-02/03
inline constexpr uint16_t kEncapUdpTransportDraft = 61444;
// Authentication Algorithm: RFC 2407 §4.5, RFC 4868 §2.4 (HMAC-SHA-256-128 = 5).
inline constexpr uint16_t kAuthHmacMd5 = 1;
inline constexpr uint16_t kAuthHmacSha = 2;
inline constexpr uint16_t kAuthHmacSha256 = 5;

// ---- RFC 2408 §3.3 data attributes ----
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !A!       Attribute Type        !    AF=0  Attribute Length     !
// !F!                             !    AF=1  Attribute Value      !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// .                   AF=0  Attribute Value                       .
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
inline constexpr uint16_t kAttrFormatTv = 0x8000;
struct Attribute {
  uint16_t type = 0;    // without the AF bit
  bool tv = true;       // AF=1: two-byte value in the header
  uint16_t tv_value = 0;
  Bytes tlv_value;      // AF=0
  bool operator==(const Attribute&) const = default;

  // TV: the value; TLV of 1..8 bytes: the big-endian integer (RFC 2409 App. A "variable
  // length" values such as Life Duration); otherwise none.
  std::optional<uint64_t> integer() const;
};
Attribute tv_attribute(uint16_t type, uint16_t value);
// A "variable" attribute (Life Duration): TV when it fits 16 bits, else a 4-byte TLV, as
// implementations send it.
Attribute variable_attribute(uint16_t type, uint32_t value);

// ---- RFC 2408 §3.6 Transform, §3.5 Proposal, §3.4 SA ----
struct Transform {
  uint8_t number = 0;  // Transform #
  uint8_t id = 0;      // Transform-Id
  std::vector<Attribute> attributes;
  bool operator==(const Transform&) const = default;
};

struct Proposal {
  uint8_t number = 0;  // Proposal #: equal numbers are one AND-ed proposal (RFC 2408 §4.2)
  uint8_t protocol = 0;
  Bytes spi;
  std::vector<Transform> transforms;
  bool operator==(const Proposal&) const = default;
};

//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                           Situation                           ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// followed by Proposal payloads, each followed by its Transform payloads.
struct SaPayload {
  uint32_t doi = kDoiIpsec;
  uint32_t situation = kSitIdentityOnly;
  std::vector<Proposal> proposals;
  bool operator==(const SaPayload&) const = default;
};

// Bounds on what one SA payload may carry (the wire allows 255 transforms per proposal).
inline constexpr size_t kMaxProposals = 32;
inline constexpr size_t kMaxTransforms = 64;
inline constexpr size_t kMaxAttributes = 32;
inline constexpr size_t kMaxPayloads = 48;

// ---- RFC 2407 §4.6.2 Identification (IPsec DOI) ----
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !   ID Type     !  Protocol ID  !             Port              !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                     Identification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
enum class IdType : uint8_t {
  Ipv4Addr = 1,
  Fqdn = 2,
  UserFqdn = 3,
  Ipv4AddrSubnet = 4,
  Ipv6Addr = 5,
  Ipv6AddrSubnet = 6,
  Ipv4AddrRange = 7,
  Ipv6AddrRange = 8,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
};
struct Identification {
  uint8_t type = 0;  // IdType
  uint8_t protocol = 0;
  uint16_t port = 0;
  Bytes data;
  bool operator==(const Identification&) const = default;
};
Identification ipv4_id(uint32_t addr, uint8_t protocol = 0, uint16_t port = 0);  // host order
// ID_IPV4_ADDR, or ID_IPV4_ADDR_SUBNET with a /32 mask: the single address it names.
std::optional<uint32_t> single_ipv4(const Identification& id);
// A peer that names itself (`show ipsec sa` remote-id): an FQDN or USER_FQDN as its text (bytes
// outside printable ASCII as '?', at most 64). "" for an address or any other type: the caller
// shows the peer's address, which an ID_IPV4_ADDR equals unless a NAT rewrote it (then the ID
// is the client's private address, which tells an operator less).
std::string id_text(const Identification& id);

// ---- RFC 2408 §3.14 Notification ----
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                Security Parameter Index (SPI)                 ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Notification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
enum class NotifyType : uint16_t {
  InvalidPayloadType = 1,
  DoiNotSupported = 2,
  SituationNotSupported = 3,
  InvalidCookie = 4,
  InvalidMajorVersion = 5,
  InvalidMinorVersion = 6,
  InvalidExchangeType = 7,
  InvalidFlags = 8,
  InvalidMessageId = 9,
  InvalidProtocolId = 10,
  InvalidSpi = 11,
  InvalidTransformId = 12,
  AttributesNotSupported = 13,
  NoProposalChosen = 14,
  BadProposalSyntax = 15,
  PayloadMalformed = 16,
  InvalidKeyInformation = 17,
  InvalidIdInformation = 18,
  InvalidHashInformation = 23,
  AuthenticationFailed = 24,
  UnsupportedExchangeType = 29,
  UnequalPayloadLengths = 30,
  Connected = 16384,
  ResponderLifetime = 24576,   // RFC 2407 §4.6.3.1
  ReplayStatus = 24577,        // RFC 2407 §4.6.3.2
  InitialContact = 24578,      // RFC 2407 §4.6.3.3
  RUThere = 36136,             // RFC 3706 §5.2
  RUThereAck = 36137,
};
struct Notification {
  uint32_t doi = kDoiIpsec;
  uint8_t protocol = 0;
  uint16_t type = 0;  // NotifyType
  Bytes spi;
  Bytes data;
  bool operator==(const Notification&) const = default;
};

// ---- RFC 2408 §3.15 Delete ----
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Protocol-Id  !   SPI Size    !           # of SPIs           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~               Security Parameter Index(es) (SPI)              ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct Delete {
  uint32_t doi = kDoiIpsec;
  uint8_t protocol = 0;
  uint8_t spi_size = 0;
  std::vector<Bytes> spis;  // each spi_size bytes
  bool operator==(const Delete&) const = default;
};
inline constexpr uint8_t kIsakmpSpiSize = 16;  // CKY-I | CKY-R (RFC 2408 §2.4)
inline constexpr uint8_t kEspSpiSize = 4;

// ---- RFC 3947 §5.2 NAT-OA ----
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !   ID Type     !   RESERVED    !            RESERVED           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~           IPv4 (4 octets) or IPv6 address (16 octets)         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct NatOa {
  uint8_t id_type = static_cast<uint8_t>(IdType::Ipv4Addr);
  Bytes address;
  bool operator==(const NatOa&) const = default;
};

// ---- The generic payload header and the chain (RFC 2408 §3.2) ----
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
inline constexpr size_t kGenericHeaderLen = 4;

// One payload of a walked chain: views into the caller's bytes, valid while they are.
struct PayloadView {
  PayloadType type = PayloadType::None;
  ByteView body;  // after the generic header (what HASH_I's "IDii_b" and "SAi_b" mean)
  ByteView raw;   // the generic header and the body (what QM HASH(1) covers)
};

// Decodes the fixed header of `datagram` (the ISAKMP message after any non-ESP marker).
// Checks: 28 bytes; MjVer 1 (any MnVer); 28 <= Length <= the datagram and <= kMaxMessageLen.
WireResult<IsakmpHeader> decode_header(ByteView datagram);

// Walks the chain starting with payload type `first` over `bytes`. Every payload's length
// must fit; every type must be known; at most kMaxPayloads. Bytes after the last payload are
// an error unless `allow_trailing` (decrypted messages end in padding, RFC 2409 App. B).
WireResult<std::vector<PayloadView>> walk_payloads(uint8_t first, ByteView bytes,
                                                   bool allow_trailing);

// The first payload of `type` in `chain`, or nullptr.
const PayloadView* find_payload(const std::vector<PayloadView>& chain, PayloadType type);

// ---- Body decoders (the bytes after the generic header) ----
WireResult<std::vector<Attribute>> decode_attributes(ByteView bytes);
WireResult<SaPayload> decode_sa(ByteView body);
WireResult<Bytes> decode_key_exchange(ByteView body);
WireResult<Bytes> decode_nonce(ByteView body);
WireResult<Identification> decode_identification(ByteView body);
WireResult<Bytes> decode_hash(ByteView body);
WireResult<Notification> decode_notification(ByteView body);
WireResult<Delete> decode_delete(ByteView body);
WireResult<Bytes> decode_vendor_id(ByteView body);
WireResult<Bytes> decode_nat_d(ByteView body);
WireResult<NatOa> decode_nat_oa(ByteView body);

// RFC 2409 §5: "The length of nonce payload MUST be between 8 and 256 bytes inclusive."
inline constexpr size_t kMinNonceLen = 8;
inline constexpr size_t kMaxNonceLen = 256;

// ---- Encoders ----
void encode_attributes(const std::vector<Attribute>& attrs, Bytes& out);
Bytes encode_sa(const SaPayload& sa);
Bytes encode_identification(const Identification& id);
Bytes encode_notification(const Notification& n);
Bytes encode_delete(const Delete& d);
Bytes encode_nat_oa(const NatOa& oa);
void encode_header(const IsakmpHeader& h, Bytes& out);

// A payload chain being built: payload bodies in order; serialize() writes each with its
// generic header, the Next Payload fields chained to the following payload's type.
class PayloadChain {
 public:
  void add(PayloadType type, Bytes body) { items_.push_back({type, std::move(body)}); }
  void add(PayloadType type, ByteView body) { items_.push_back({type, Bytes(body.begin(), body.end())}); }
  // Type of the first payload (the header's Next Payload), None when empty.
  uint8_t first_type() const {
    return items_.empty() ? 0 : static_cast<uint8_t>(items_.front().type);
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  // Appends the chain to `out`. A body over 65531 bytes cannot be encoded; callers build
  // bodies far smaller (bounded by kMaxMessageLen).
  void serialize(Bytes& out) const;
  Bytes serialize() const {
    Bytes b;
    serialize(b);
    return b;
  }

 private:
  struct Item {
    PayloadType type;
    Bytes body;
  };
  std::vector<Item> items_;
};

// An unencrypted message: the header (Next Payload and Length filled in) and the chain.
Bytes build_plain_message(IsakmpHeader h, const PayloadChain& chain);

// ---- Well-known Vendor IDs (RFC 3947 §3.1, the drafts, RFC 3706 §5.1) ----
// MD5("RFC 3947") and MD5 of each draft name; the DPD one is RFC 3706's fixed value.
inline constexpr std::array<uint8_t, 16> kVidRfc3947 = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03,
                                                        0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2,
                                                        0x0e, 0x95, 0x45, 0x2f};
inline constexpr std::array<uint8_t, 16> kVidNatTDraft02 = {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf,
                                                            0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc,
                                                            0x68, 0xb6, 0xa4, 0x48};
// "draft-ietf-ipsec-nat-t-ike-02\n" (with the newline some implementations hashed).
inline constexpr std::array<uint8_t, 16> kVidNatTDraft02n = {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb,
                                                             0x69, 0x6e, 0x08, 0x63, 0x81, 0xb5,
                                                             0xec, 0x42, 0x7b, 0x1f};
inline constexpr std::array<uint8_t, 16> kVidNatTDraft03 = {0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10,
                                                            0xca, 0x6f, 0x2c, 0x17, 0x9d, 0x92,
                                                            0x15, 0x52, 0x9d, 0x56};
inline constexpr std::array<uint8_t, 16> kVidDpd = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1,
                                                    0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc,
                                                    0x77, 0x57, 0x01, 0x00};

}  // namespace l2tpgw::cp::ike
