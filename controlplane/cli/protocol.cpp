// SPDX-License-Identifier: Apache-2.0
// CLI protocol: length-prefixed frames.
#include "controlplane/cli/protocol.hpp"

#include "common/byte_reader.hpp"

namespace l2tpgw::cp {

std::string encode_frame(std::string_view payload) {
  std::string out;
  out.reserve(kFrameHeaderLen + payload.size());
  const uint32_t n = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(payload);
  return out;
}

std::string encode_reply(const Reply& r) {
  std::string payload;
  payload.reserve(1 + r.text.size());
  payload.push_back(static_cast<char>(r.status));
  payload.append(r.text);
  return encode_frame(payload);
}

std::optional<Reply> decode_reply(std::string_view payload) {
  if (payload.empty()) return std::nullopt;
  const uint8_t s = static_cast<uint8_t>(payload[0]);
  if (s > static_cast<uint8_t>(ReplyStatus::NotAvailable)) return std::nullopt;
  return Reply{static_cast<ReplyStatus>(s), std::string(payload.substr(1))};
}

FrameDecoder::Status FrameDecoder::next(std::string* out) {
  ByteReader r(reinterpret_cast<const uint8_t*>(buf_.data()) + pos_, buf_.size() - pos_);
  auto len = r.read_be32();
  if (!len) return Status::NeedMore;
  if (*len > max_) return Status::TooLarge;
  if (r.remaining() < *len) return Status::NeedMore;
  out->assign(buf_, pos_ + kFrameHeaderLen, *len);
  pos_ += kFrameHeaderLen + *len;
  // Compact once the consumed prefix dominates, so a long-lived connection stays small.
  if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return Status::Frame;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && !(line[j] == ' ' || line[j] == '\t' || line[j] == '\n' || line[j] == '\r')) ++j;
    if (j > i) words.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

}  // namespace l2tpgw::cp
