// SPDX-License-Identifier: Apache-2.0
// The operator CLI protocol between l2tpgwctl and the controlplane (UNIX stream socket).
//
// Every message is one frame: a 4-byte big-endian length N, then N bytes.
//   request  = the command line as typed (UTF-8), e.g. "show status l2tp"
//   reply    = one status byte (ReplyStatus), then the text to print (UTF-8)
// A connection may carry several request/reply pairs, in order. The lengths are claims: a
// request longer than kMaxRequest ends the connection (the client learns nothing more);
// l2tpgwctl refuses a reply longer than kMaxReply.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpgw::cp {

// Where the controlplane listens unless told otherwise (--socket on both sides).
inline constexpr const char* kDefaultSocket = "/run/l2tpgw/controlplane.sock";

inline constexpr uint32_t kFrameHeaderLen = 4;
inline constexpr uint32_t kMaxRequest = 4096;
inline constexpr uint32_t kMaxReply = 64u << 20;  // `show` over 65,535 sessions fits

enum class ReplyStatus : uint8_t {
  Ok = 0,
  Error = 1,         // unknown command, bad argument, the thing named does not exist
  NotAvailable = 2,  // a command this build or this state cannot serve yet
};

constexpr std::string_view to_string(ReplyStatus s) {
  switch (s) {
    case ReplyStatus::Ok: return "ok";
    case ReplyStatus::Error: return "error";
    case ReplyStatus::NotAvailable: return "not available";
  }
  return "?";
}

struct Reply {
  ReplyStatus status = ReplyStatus::Ok;
  std::string text;
  bool operator==(const Reply&) const = default;
};

std::string encode_frame(std::string_view payload);
inline std::string encode_request(std::string_view command) { return encode_frame(command); }
std::string encode_reply(const Reply& r);
// A reply payload (without its frame header). nullopt: empty, or an unknown status byte.
std::optional<Reply> decode_reply(std::string_view payload);

// Splits a stream of bytes into frames. Feed it what read() returned, then take frames.
class FrameDecoder {
 public:
  enum class Status : uint8_t { NeedMore, Frame, TooLarge };
  explicit FrameDecoder(uint32_t max_payload) : max_(max_payload) {}

  void feed(std::string_view bytes) { buf_.append(bytes); }
  // Frame: `out` receives the next payload. TooLarge: the length claim exceeds the maximum;
  // the stream cannot be resynchronised and should be closed.
  Status next(std::string* out);
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  uint32_t max_;
  std::string buf_;
  size_t pos_ = 0;
};

// A command line as words: split on blanks; empty words are dropped.
std::vector<std::string> split_words(std::string_view line);

}  // namespace l2tpgw::cp
