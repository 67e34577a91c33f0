// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the PPP control packet codec (controlplane/ppp/wire): the RFC 1661 §5
// header, the §6 option list and every LCP and IPCP option decoder, with invariants on what
// they accept and a round trip through CpPacketBuilder.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tests/fuzz/fuzz_check.hpp"
#include "controlplane/ppp/wire/cp_packet.hpp"
#include "controlplane/ppp/wire/ipcp_options.hpp"
#include "controlplane/ppp/wire/lcp_options.hpp"

using namespace l2tpgw::cp::ppp;

namespace {


void options(std::span<const uint8_t> data) {
  const auto opts = decode_options(data);
  if (!opts) return;
  // The options tile the data exactly, each one Type, Length (>= 2) and Length - 2 octets.
  size_t at = 0;
  for (const CpOption& o : *opts) {
    fuzz_check(o.raw.data() == data.data() + at);
    fuzz_check(o.raw.size() >= 2 && o.raw.size() == o.raw[1]);
    fuzz_check(o.raw[0] == o.type && o.value.size() + 2 == o.raw.size() && o.value.data() == o.raw.data() + 2);
    at += o.raw.size();
    // Rebuilt, the option is the same octets.
    CpPacketBuilder b(CpCode::ConfReq, 0);
    b.option(o.type, o.value);
    const auto bytes = std::move(b).finish();
    fuzz_check(bytes.size() == 4 + o.raw.size() && std::memcmp(bytes.data() + 4, o.raw.data(), o.raw.size()) == 0);
    // The typed decoders accept exactly the sizes their RFCs give.
    if (const auto v = decode_mru(o)) fuzz_check(o.raw.size() == 4 && *v == (o.raw[2] << 8 | o.raw[3]));
    if (decode_accm(o)) fuzz_check(o.raw.size() == 6);
    if (decode_magic_number(o)) fuzz_check(o.raw.size() == 6);
    if (decode_flag_option(o)) fuzz_check(o.raw.size() == 2);
    if (const auto a = decode_auth_protocol(o)) {
      fuzz_check(o.raw.size() >= 4 && a->data.size() == o.raw.size() - 4);
      if (const auto p = auth_protocol_of(*a)) {
        CpPacketBuilder w(CpCode::ConfReq, 0);
        put_auth_protocol(w, *p);
        const auto re = std::move(w).finish();
        fuzz_check(re.size() == 4 + o.raw.size() && std::memcmp(re.data() + 6, o.raw.data() + 2, o.raw.size() - 2) == 0);
      }
    } else {
      fuzz_check(o.raw.size() < 4);
    }
    if (decode_ipv4_option(o)) fuzz_check(o.raw.size() == 6);
    if (decode_ip_compression(o)) fuzz_check(o.raw.size() >= 4);
    (void)check_lcp_option_size(o);
    (void)check_ipcp_option_size(o);
  }
  fuzz_check(at == data.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  const auto p = decode_cp_packet(in);
  if (p) {
    const size_t length = size_t{data[2]} << 8 | data[3];
    fuzz_check(length >= 4 && length <= size);
    fuzz_check(p->packet.data() == data && p->packet.size() == length);
    fuzz_check(p->data.data() == data + 4 && p->data.size() == length - 4);
    fuzz_check(p->code == data[0] && p->identifier == data[1]);
    options(p->data);
  } else {
    fuzz_check(size < 4 || (size_t{data[2]} << 8 | data[3]) < 4 || (size_t{data[2]} << 8 | data[3]) > size);
  }
  // The option walker on the raw input too (not only behind a valid header).
  options(in);
  return 0;
}
