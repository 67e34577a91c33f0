// SPDX-License-Identifier: Apache-2.0
// L2TPv3 control messages over UDP (RFC 3931 §3.2.1, §5, §6): the header with the 32-bit
// Control Connection ID and Ns/Nr, the AVPs of §5.4 (and the RFC 4719 Ethernet pseudowire
// values), decoding with every bound checked, encoding, and the control message
// authentication of §4.3 (Message Digest AVP, HMAC-MD5 / HMAC-SHA-1, with the Control Message
// Authentication Nonces of both ends).
//
// As for L2TPv2 (control_message.hpp), decoding judges structure only; which AVPs a message
// type must carry, and what to answer when one is missing or an unknown AVP has its M bit
// set (§5.2), is the LCCE's business (lcce.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/l2tp/avp.hpp"
#include "controlplane/l2tp/reliable.hpp"

namespace l2tpgw::cp::l2tp::v3 {

// §3.1, §6: Message Type AVP values (the L2TPv2 numbers, plus ACK).
enum class MessageType : uint16_t {
  SCCRQ = 1, SCCRP = 2, SCCCN = 3, StopCCN = 4, HELLO = 6,
  OCRQ = 7, OCRP = 8, OCCN = 9, ICRQ = 10, ICRP = 11, ICCN = 12,
  CDN = 14, WEN = 15, SLI = 16, ACK = 20,
};
std::string_view to_string(MessageType t);
bool is_known(MessageType t);
// Messages about the control connection; the others name a session (Local/Remote Session ID
// AVPs: the L2TPv3 header has no session field).
bool is_connection_message(MessageType t);

// §5.4 attribute types (IETF vendor 0) this LCCE reads or writes. The other RFC 2661 and
// RFC 3931 numbers are known too (is_known), so that their M bit does not end anything.
enum class AvpType : uint16_t {
  MessageType = 0, ResultCode = 1, TieBreaker = 5, FirmwareRevision = 6, HostName = 7,
  VendorName = 8, ReceiveWindowSize = 10, SerialNumber = 15, RandomVector = 36,
  MessageDigest = 59, RouterId = 60, AssignedControlConnectionId = 61,
  PseudowireCapabilitiesList = 62, LocalSessionId = 63, RemoteSessionId = 64,
  AssignedCookie = 65, RemoteEndId = 66, PseudowireType = 68, L2SpecificSublayer = 69,
  DataSequencing = 70, CircuitStatus = 71, PreferredLanguage = 72,
  ControlMessageAuthenticationNonce = 73, TxConnectSpeed = 74, RxConnectSpeed = 75,
};
// Vendor 0 types 0-39 (RFC 2661, still defined for v3) and 58-75 (RFC 3931); 20 and 40-57
// are not assigned to anything this implementation understands.
bool is_known(uint16_t vendor, uint16_t type);

// §5.4.2 Result Code AVP values, StopCCN.
enum class StopCcnResult : uint16_t {
  GeneralRequest = 1, GeneralError = 2, AlreadyExists = 3, NotAuthorized = 4,
  UnsupportedVersion = 5, ShuttingDown = 6, FsmError = 7,
};
// §5.4.2 Result Code AVP values, CDN.
enum class CdnResult : uint16_t {
  LostCarrier = 1, GeneralError = 2, Administrative = 3, NoFacilities = 4,
  NoFacilitiesPermanent = 5, LostTieBreaker = 13, UnsupportedPwType = 14,
  SequencingWithoutSublayer = 15, FsmError = 16,
};
// §5.4.2 General Error Codes.
enum class GeneralError : uint16_t {
  None = 0, NoControlConnection = 1, BadLength = 2, BadValue = 3, NoResources = 4,
  InvalidSessionId = 5, VendorSpecific = 6, TryAnother = 7, UnknownMandatoryAvp = 8,
};

// RFC 4719 §2: the Ethernet pseudowire; RFC 3931 §5.4.4 Pseudowire Type values.
inline constexpr uint16_t kPwTypeEthernetVlan = 0x0004;
inline constexpr uint16_t kPwTypeEthernet = 0x0005;
// §5.4.4 L2-Specific Sublayer values.
inline constexpr uint16_t kL2SublayerNone = 0;
inline constexpr uint16_t kL2SublayerDefault = 1;

// §5.4.5 Circuit Status AVP:
//    0                   1
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Reserved          |N|A|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// A (Active): the circuit is up. N (New): first report of a new circuit (ICRQ, ICRP),
// clear in the updates that SLI carries.
inline constexpr uint16_t kCircuitActive = 0x0001;
inline constexpr uint16_t kCircuitNew = 0x0002;

// §5.4.1 Message Digest AVP, Digest Type.
enum class DigestType : uint8_t { HmacMd5 = 0, HmacSha1 = 1 };
size_t digest_size(DigestType t);  // 16 / 20

// An AVP; a hidden one (H) keeps its value as received, not revealed (see decode_control).
using Avp = BasicAvp<AvpType>;

// Why bytes are not an acceptable L2TPv3 control message (each counted upstream).
enum class ControlError : uint8_t {
  Truncated,          // header or an AVP runs past the end
  BadHeader,          // not T/L/S, or not version 3
  BadLength,          // the Length field disagrees with the datagram
  BadAvpLength,       // an AVP shorter than its 6-byte header
  NoMessageType,      // §5.4.1: the first AVP must be a Message Type AVP of 2 octets
  HiddenMessageType,  // §5.3: Message Type must not be hidden
};
std::string_view to_string(ControlError e);

// §3.2.1 L2TP Control Message Header (over UDP):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |T|L|x|x|S|x|x|x|x|x|x|x|  Ver  |             Length            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     Control Connection ID                     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |               Ns              |               Nr              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// T, L and S are 1 and Ver is 3; the x bits are sent as 0 and ignored on receipt.
struct ControlHeader {
  uint32_t ccid = 0;   // the receiver's Control Connection ID (0: not known yet, SCCRQ)
  uint16_t ns = 0;
  uint16_t nr = 0;
};
inline constexpr size_t kHeaderLen = 12;

struct ControlMessage : BasicAvpLookup<ControlMessage, AvpType> {
  ControlHeader hdr;
  bool zlb = false;                 // zero-length body: an acknowledgement only (§4.2)
  MessageType type{};               // when !zlb
  std::vector<Avp> avps;            // in order, Message Type first
  size_t length = 0;                // the Length field: the bytes a digest covers
  // Where the value of the Message Digest AVP starts in the datagram (its Digest Type byte),
  // when that AVP directly follows Message Type (§5.4.1); 0: the message has none there.
  size_t digest_at = 0;

  // The first AVP of type t, hidden ones skipped (their values are not revealed).
  const Avp* find(AvpType t) const;  // u16, u32, u64 of it from BasicAvpLookup
  // The first AVP with the M bit that this implementation cannot act on (§5.2): an unknown
  // type, or a hidden one (we never enable hiding, so its value cannot be revealed).
  const Avp* unknown_mandatory() const;
  // Acknowledges only (§6.15): a ZLB or an explicit ACK.
  bool acknowledges_only() const { return zlb || type == MessageType::ACK; }
};

struct DecodeResult {
  std::optional<ControlMessage> msg;
  ControlError error{};
};

// True when the UDP payload is an L2TPv3 control message by its first word (T set, Ver 3):
// how the daemon tells it from L2TPv2 on the same port.
bool is_l2tpv3_control(std::span<const uint8_t> datagram);

// Decodes the UDP payload of an L2TPv3 control message.
DecodeResult decode_control(std::span<const uint8_t> bytes);

// §4.3 control message authentication. shared_key = HMAC-MD5(shared_secret, 2) (the octet 2);
// each message's digest = HMAC_Hash(shared_key, local_nonce + remote_nonce + message), where
// "local" is the sender's nonce, with the digest bytes zeroed while hashing. SCCRQ goes before
// any nonce is known and is hashed alone.
struct MessageAuth {
  DigestType type = DigestType::HmacMd5;
  std::array<uint8_t, 16> shared_key{};
  std::vector<uint8_t> sender_nonce;    // empty for SCCRQ
  std::vector<uint8_t> receiver_nonce;
};
std::array<uint8_t, 16> derive_shared_key(std::string_view shared_secret);
// The digest of `message` (whose digest field is zeroed or is about to be).
std::vector<uint8_t> compute_digest(const MessageAuth& a, std::span<const uint8_t> message);
// Checks the Message Digest of a received message against `a` (sender_nonce = the peer's).
// False when the message has no digest where §5.4.1 puts it, an unknown Digest Type, a
// digest of the wrong length, or a wrong digest (compared in constant time).
bool verify_digest(std::span<const uint8_t> datagram, const ControlMessage& m,
                   const MessageAuth& a);

// Builds one control message: the Message Type AVP first, then (with authenticate()) the
// Message Digest AVP, then the others in call order.
class ControlBuilder : public BasicAvpWriter<ControlBuilder, AvpType> {
 public:
  ControlBuilder(MessageType type, uint32_t ccid);
  static ControlBuilder zlb(uint32_t ccid);

  // u16, u32, u64, bytes, text, result (§5.4.2) from BasicAvpWriter.
  ControlBuilder& raw(uint16_t vendor, uint16_t type, std::span<const uint8_t> v, bool mandatory,
                      bool hidden = false);
  // §4.3: finish() adds a Message Digest computed with `a` right after Message Type.
  ControlBuilder& authenticate(MessageAuth a);

  // The whole message with Ns/Nr (and the digest) filled in.
  std::vector<uint8_t> finish(uint16_t ns, uint16_t nr) const;
  MessageType type() const { return type_; }
  bool is_zlb() const { return zlb_; }
  uint32_t ccid() const { return ccid_; }
  // The AVPs as sent, Message Type first (the digest is not listed), for the DEBUG lines.
  const std::vector<Avp>& avps() const { return shown_; }

 private:
  ControlBuilder() = default;
  MessageType type_{};
  bool zlb_ = false;
  uint32_t ccid_ = 0;
  std::vector<uint8_t> body_;       // encoded AVPs after Message Type (and the digest)
  std::vector<Avp> shown_;
  std::optional<MessageAuth> auth_;
};

// The reliable delivery of RFC 3931 §4.2 (the RFC 2661 scheme): an ACK or a ZLB acknowledges.
struct L2tpV3Messages {
  using Message = ControlMessage;
  using Builder = ControlBuilder;
  using PeerId = uint32_t;
  static Builder ack(PeerId ccid) { return ControlBuilder::zlb(ccid); }
  static bool is_ack(const Message& m) { return m.acknowledges_only(); }
  static uint16_t ns(const Message& m) { return m.hdr.ns; }
  static uint16_t nr(const Message& m) { return m.hdr.nr; }
};
using ReliableTransport = BasicReliableTransport<L2tpV3Messages>;

// The DEBUG wording for one AVP, in the style of the L2TPv2 lines of seed 000
// ("(0)message type SCCRQ", "(7)hostname RTX830", "(61)assigned connection id 27105").
// Cookies, nonces and digests print as their length only. `sent` gives "resultcode" as the
// RTX writes it in "set" lines.
std::string describe(const Avp& a, bool sent = false);

}  // namespace l2tpgw::cp::l2tp::v3

namespace l2tpgw::cp::l2tp {
extern template class BasicReliableTransport<v3::L2tpV3Messages>;
}  // namespace l2tpgw::cp::l2tp
