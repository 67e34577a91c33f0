// SPDX-License-Identifier: Apache-2.0
// L2TPv2 control messages (RFC 2661 §3.1, §4, §6): the header with Ns/Nr, the AVPs
// (hidden ones included, §4.3), decoding with every bound checked and encoding.
//
// Decoding does not judge the message against its type (which AVPs it must carry): the
// tunnel and session machines do that, because what to answer (StopCCN, CDN, ignore)
// depends on where the message arrives. It only refuses what cannot be a control message,
// and reports unknown AVPs with the M bit so that the machines can answer as §4.1 requires.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/l2tp/avp.hpp"

namespace l2tpgw::cp::l2tp {

// RFC 2661 §6: Message Type AVP values.
enum class MessageType : uint16_t {
  SCCRQ = 1, SCCRP = 2, SCCCN = 3, StopCCN = 4, HELLO = 6,
  OCRQ = 7, OCRP = 8, OCCN = 9, ICRQ = 10, ICRP = 11, ICCN = 12,
  CDN = 14, WEN = 15, SLI = 16,
};
std::string_view to_string(MessageType t);
bool is_known(MessageType t);
// §3.1: messages about a session carry its id in the header; these do not.
bool is_tunnel_message(MessageType t);

// RFC 2661 §4.4 attribute types (IETF vendor 0).
enum class AvpType : uint16_t {
  MessageType = 0, ResultCode = 1, ProtocolVersion = 2, FramingCapabilities = 3,
  BearerCapabilities = 4, TieBreaker = 5, FirmwareRevision = 6, HostName = 7, VendorName = 8,
  AssignedTunnelId = 9, ReceiveWindowSize = 10, Challenge = 11, Q931CauseCode = 12,
  ChallengeResponse = 13, AssignedSessionId = 14, CallSerialNumber = 15, MinimumBps = 16,
  MaximumBps = 17, BearerType = 18, FramingType = 19, CalledNumber = 21, CallingNumber = 22,
  SubAddress = 23, TxConnectSpeed = 24, PhysicalChannelId = 25,
  InitialReceivedLcpConfreq = 26, LastSentLcpConfreq = 27, LastReceivedLcpConfreq = 28,
  ProxyAuthenType = 29, ProxyAuthenName = 30, ProxyAuthenChallenge = 31, ProxyAuthenId = 32,
  ProxyAuthenResponse = 33, CallErrors = 34, Accm = 35, RandomVector = 36,
  PrivateGroupId = 37, RxConnectSpeed = 38, SequencingRequired = 39,
};
inline constexpr uint16_t kMaxKnownAvpType = 39;
// Whether this implementation knows the (vendor 0) attribute; type 20 is unassigned.
bool is_known(uint16_t vendor, uint16_t type);

// §4.4.2 Result Code AVP, StopCCN (§4.4.2 "General Error Codes" follow in `error`).
enum class StopCcnResult : uint16_t {
  GeneralRequest = 1, GeneralError = 2, AlreadyExists = 3, NotAuthorized = 4,
  UnsupportedVersion = 5, ShuttingDown = 6, FsmError = 7,
};
// §4.4.2 Result Code AVP, CDN.
enum class CdnResult : uint16_t {
  LostCarrier = 1, GeneralError = 2, Administrative = 3, NoFacilities = 4,
  NoFacilitiesPermanent = 5, InvalidDestination = 6, NoCarrier = 7, Busy = 8, NoDialTone = 9,
  Timeout = 10, NoFraming = 11,
};
// §4.4.2 General Error Codes.
enum class GeneralError : uint16_t {
  None = 0, NoControlConnection = 1, BadLength = 2, BadValue = 3, NoResources = 4,
  InvalidSessionId = 5, VendorSpecific = 6, TryAnother = 7, UnknownMandatoryAvp = 8,
};

// An AVP; a hidden one (H) is decoded with its value already revealed (§4.3).
using Avp = BasicAvp<AvpType>;

// Why bytes are not an acceptable control message (each a named counter upstream).
enum class ControlError : uint8_t {
  Truncated,             // header or an AVP runs past the end
  BadHeader,             // not version 2, not T/L/S, reserved bits, O or P set
  BadLength,             // the Length field disagrees with the datagram
  BadAvpLength,          // an AVP shorter than its 6-byte header
  NoMessageType,         // §4.1: the first AVP must be a Message Type AVP
  HiddenMessageType,     // §4.3: Message Type must not be hidden
  HiddenWithoutSecret,   // a hidden AVP and no tunnel secret to reveal it
  HiddenWithoutVector,   // a hidden AVP with no Random Vector before it
  BadHiddenLength,       // the revealed Original Length does not fit
};
std::string_view to_string(ControlError e);

// The fixed part of every control message header (T, L, S set, §3.1).
struct ControlHeader {
  uint16_t tunnel_id = 0;
  uint16_t session_id = 0;
  uint16_t ns = 0;
  uint16_t nr = 0;
};

struct ControlMessage : BasicAvpLookup<ControlMessage, AvpType> {
  ControlHeader hdr;
  bool zlb = false;                 // §5.8 zero-length body: an acknowledgement only
  MessageType type{};               // when !zlb
  std::vector<Avp> avps;            // in order, Message Type first

  const Avp* find(AvpType t) const;  // u16, u32, u64 of it from BasicAvpLookup
  // The first unknown AVP with the M bit (§4.1), if any.
  const Avp* unknown_mandatory() const;
};

struct DecodeResult {
  std::optional<ControlMessage> msg;
  ControlError error{};
};

// Decodes the UDP payload of an L2TPv2 control message. `secret` reveals hidden AVPs
// (l2tp tunnel auth password); empty: a hidden AVP is an error.
DecodeResult decode_control(std::span<const uint8_t> bytes, std::string_view secret);

// Builds one control message. AVPs are appended in call order; the Message Type AVP first
// (the constructor writes it) unless this is a ZLB.
class ControlBuilder : public BasicAvpWriter<ControlBuilder, AvpType> {
 public:
  ControlBuilder(MessageType type, uint16_t tunnel_id, uint16_t session_id);
  static ControlBuilder zlb(uint16_t tunnel_id, uint16_t session_id);

  // u16, u32, u64, bytes, text, result (§4.4.2) from BasicAvpWriter.
  ControlBuilder& raw(uint16_t vendor, uint16_t type, std::span<const uint8_t> v, bool mandatory);
  // §4.3: the next AVPs are hidden with `secret` under a fresh Random Vector AVP (written
  // now); hide_off() stops hiding.
  ControlBuilder& hide_on(std::string_view secret, std::span<const uint8_t> random_vector);
  ControlBuilder& hide_off();

  // The whole message with Ns/Nr filled in.
  std::vector<uint8_t> finish(uint16_t ns, uint16_t nr) const;
  MessageType type() const { return type_; }
  bool is_zlb() const { return zlb_; }
  // The AVPs as sent (values before hiding), for the "set (...)" DEBUG log lines.
  const std::vector<Avp>& avps() const { return shown_; }

 private:
  ControlBuilder() = default;
  MessageType type_{};
  bool zlb_ = false;
  uint16_t tunnel_id_ = 0, session_id_ = 0;
  std::vector<uint8_t> body_;       // encoded AVPs
  std::vector<Avp> shown_;
  std::string secret_;
  std::vector<uint8_t> vector_;
  bool hiding_ = false;
};

// §4.3: hides or reveals an AVP value in place (the hidden sub-format: Original Length,
// value, padding). hide_value returns the hidden bytes for `value` padded with `pad` bytes.
std::vector<uint8_t> hide_value(uint16_t type, std::span<const uint8_t> value,
                                std::string_view secret, std::span<const uint8_t> random_vector,
                                std::span<const uint8_t> padding = {});
std::optional<std::vector<uint8_t>> reveal_value(uint16_t type, std::span<const uint8_t> hidden,
                                                 std::string_view secret,
                                                 std::span<const uint8_t> random_vector);

// The seed's DEBUG wording for one AVP: "(0)message type SCCRQ", "(2)protocol version 1
// revision 0", "(7)hostname anonymous", "(9)assigned tunnel id 61471", "(1)result code 6".
// Secrets (Challenge, Challenge Response, proxy authentication) print as their length.
// `sent` gives the "set (...)" variants the seed shows ("(1)resultcode 2", "(3)framing
// capability sync"); a received StopCCN's tunnel id reads "(9)assigned StopCCN tunnel id".
std::string describe(const Avp& a, MessageType in = MessageType{}, bool sent = false);

}  // namespace l2tpgw::cp::l2tp
