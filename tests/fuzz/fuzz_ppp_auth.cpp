// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the PAP (RFC 1334 §2.2) and CHAP (RFC 1994 §4, RFC 2433 §4, RFC 2759 §4)
// packet decoders, on whatever RFC 1661 §5 packet the input holds, with invariants and round
// trips through the builders.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "tests/fuzz/fuzz_check.hpp"
#include "controlplane/ppp/wire/auth_packets.hpp"

using namespace l2tpgw::cp::ppp;

namespace {


bool inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

std::string_view text(std::span<const uint8_t> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto p = decode_cp_packet({data, size});
  if (!p) return 0;
  if (const auto r = decode_pap_auth_request(*p)) {
    fuzz_check(inside(r->peer_id, p->data) && inside(r->password, p->data));
    fuzz_check(r->peer_id.size() + r->password.size() + 2 <= p->data.size());
    // Rebuilt, the request is the same octets up to the password's end.
    const auto re = build_pap_auth_request(p->identifier, text(r->peer_id), text(r->password));
    fuzz_check(re.size() == 4 + 2 + r->peer_id.size() + r->password.size());
    fuzz_check(std::memcmp(re.data() + 4, p->data.data(), re.size() - 4) == 0);
  } else {
    fuzz_check(p->data.empty() || p->data[0] + 1u > p->data.size() || p->data[0] + 2u > p->data.size() ||
          p->data[p->data[0] + 1u] + p->data[0] + 2u > p->data.size());
  }
  if (const auto m = decode_pap_reply(*p)) fuzz_check(inside(*m, p->data) && m->size() + 1 <= p->data.size());
  if (const auto vn = decode_chap_value_name(*p)) {
    fuzz_check(!vn->value.empty() && vn->value.size() == p->data[0]);
    fuzz_check(vn->value.size() + vn->name.size() + 1 == p->data.size());
    const auto re = build_chap_value_name(ChapCode::Response, p->identifier, vn->value, text(vn->name));
    fuzz_check(re.size() == p->packet.size() && std::memcmp(re.data() + 4, p->data.data(), p->data.size()) == 0);
    if (const auto v1 = decode_ms_chap_v1_response(vn->value)) {
      fuzz_check(vn->value.size() == kMsChapV1ResponseLen && v1->nt_response.size() == 24 && v1->lm_response.size() == 24);
    }
    if (const auto v2 = decode_ms_chap_v2_response(vn->value)) {
      fuzz_check(vn->value.size() == kMsChapV2ResponseLen && v2->peer_challenge.size() == 16 &&
            v2->reserved.size() == 8 && v2->nt_response.size() == 24 && v2->flags == vn->value[48]);
    }
  }
  return 0;
}
