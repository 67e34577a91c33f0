// SPDX-License-Identifier: Apache-2.0
// raw-imb-bench: prints bare IPsec-MB ESP crypto rates (the fastpath's ceiling).
#include <cstdio>
#include <cstdlib>

#include "raw_imb.hpp"

using l2tpgw::EspAuth;
using l2tpgw::EspCipher;

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
  const uint32_t burst = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 64;
  struct Suite {
    const char* name;
    EspCipher c;
    EspAuth a;
  } suites[] = {
      {"aes128-cbc+hmac-sha1-96", EspCipher::AesCbc128, EspAuth::HmacSha1_96},
      {"aes256-cbc+hmac-sha256-128", EspCipher::AesCbc256, EspAuth::HmacSha256_128},
      {"aes128-gcm", EspCipher::AesGcm128, EspAuth::None},
      {"3des-cbc+hmac-sha1-96", EspCipher::TdesCbc, EspAuth::HmacSha1_96},
  };
  std::printf("bare Intel IPsec-MB, one core, bursts of %u, %.1f s per point\n", burst, seconds);
  std::printf("%-28s %5s %4s %9s %9s %10s\n", "suite", "bytes", "dir", "Mpps", "Gbit/s",
              "cyc/pkt");
  for (const auto& s : suites) {
    for (uint32_t len : {64u, 512u, 1400u}) {
      for (bool enc : {true, false}) {
        // 1400 is not a multiple of 16 or 8: round the ciphertext up as ESP padding would.
        const uint32_t align = l2tpgw::info(s.c).block_align;
        const uint32_t clen = (len + align - 1) / align * align;
        const auto f = l2tpgw::bench::measure_raw_imb(s.c, s.a, enc, clen, burst, seconds);
        std::printf("%-28s %5u %4s %9.3f %9.2f %10.0f\n", s.name, clen, enc ? "enc" : "dec",
                    f.pps / 1e6, f.pps * clen * 8 / 1e9, f.cycles_per_packet);
      }
    }
  }
  return 0;
}
