// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the CLI's frame decoder (controlplane/cli/protocol) fed the input in
// chunks whose sizes the input chooses, against a trivial model (parse the whole buffer at
// once); and decode_reply on every frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "controlplane/cli/protocol.hpp"

using namespace l2tpgw::cp;

namespace {

constexpr uint32_t kMax = 64;  // small, so length claims above it are common

// The model: frames until the first incomplete or oversize one.
std::vector<std::string> model(const std::string& s, bool* too_large) {
  std::vector<std::string> out;
  size_t pos = 0;
  *too_large = false;
  while (s.size() - pos >= 4) {
    const uint32_t n = (uint32_t{static_cast<uint8_t>(s[pos])} << 24) | (uint32_t{static_cast<uint8_t>(s[pos + 1])} << 16) |
                       (uint32_t{static_cast<uint8_t>(s[pos + 2])} << 8) | static_cast<uint8_t>(s[pos + 3]);
    if (n > kMax) {
      *too_large = true;
      break;
    }
    if (s.size() - pos - 4 < n) break;
    out.push_back(s.substr(pos + 4, n));
    pos += 4 + n;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk = (data[0] % 16) + 1;
  const std::string stream(reinterpret_cast<const char*>(data + 1), size - 1);
  bool model_too_large = false;
  const std::vector<std::string> want = model(stream, &model_too_large);
  FrameDecoder d(kMax);
  std::vector<std::string> got;
  bool too_large = false;
  std::string frame;
  for (size_t at = 0; at < stream.size() && !too_large; at += chunk) {
    d.feed(std::string_view(stream).substr(at, chunk));
    for (;;) {
      const FrameDecoder::Status s = d.next(&frame);
      if (s == FrameDecoder::Status::Frame) {
        if (frame.size() > kMax) std::abort();
        got.push_back(frame);
        (void)decode_reply(frame);
        continue;
      }
      too_large = s == FrameDecoder::Status::TooLarge;
      break;
    }
  }
  if (got != want || too_large != model_too_large) std::abort();
  return 0;
}
