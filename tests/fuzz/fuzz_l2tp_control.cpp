// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the L2TPv2 control message decoder (controlplane/l2tp/control_message).
// The first input byte chooses whether a tunnel secret is known (hidden AVPs revealed).
// Invariants: whatever decodes re-encodes (AVPs rebuilt in the clear, same header) into a
// message that decodes to the same AVPs; ZLBs carry no AVPs; describe() of every AVP is
// bounded; the reliable-delivery window takes any Ns/Nr without trouble.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "controlplane/l2tp/control_message.hpp"
#include "controlplane/l2tp/reliable.hpp"

using namespace l2tpgw::cp;
using namespace l2tpgw::cp::l2tp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view secret = (data[0] & 1) ? "fuzz-secret" : "";
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const DecodeResult r = decode_control(bytes, secret);
  if (!r.msg) return 0;
  const ControlMessage& m = *r.msg;
  if (m.zlb) {
    if (!m.avps.empty()) std::abort();
  } else {
    if (m.avps.empty() || !m.avps[0].is(AvpType::MessageType)) std::abort();
    for (const Avp& a : m.avps)
      if (describe(a, m.type, false).size() > 400) std::abort();
    // Rebuild in the clear. An AVP value longer than the 10-bit AVP length allows cannot
    // come out of the decoder (a revealed value is shorter than its hidden form).
    ControlBuilder b(m.type, m.hdr.tunnel_id, m.hdr.session_id);
    for (size_t i = 1; i < m.avps.size(); ++i) {
      const Avp& a = m.avps[i];
      if (a.value.size() > 1023 - 6) std::abort();
      b.raw(a.vendor, a.type, a.value, a.mandatory);
    }
    const auto again = b.finish(m.hdr.ns, m.hdr.nr);
    const DecodeResult r2 = decode_control(again, "");
    if (!r2.msg || r2.msg->avps.size() != m.avps.size()) std::abort();
    for (size_t i = 0; i < m.avps.size(); ++i)
      if (r2.msg->avps[i].value != m.avps[i].value || r2.msg->avps[i].type != m.avps[i].type)
        std::abort();
  }
  ReliableTransport t;
  (void)t.receive(m, TimePoint{});
  t.flush_ack();
  return 0;
}
