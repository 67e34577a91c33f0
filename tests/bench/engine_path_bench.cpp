// SPDX-License-Identifier: Apache-2.0
// engine-path-bench: ns/packet of ImbEngine's wide vs narrow path at small bursts.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dataplane/crypto/imb_engine.hpp"

using namespace l2tpgw;
using dp::CryptoOp;
using dp::ImbEngine;
using dp::ImbPath;

namespace {

// ns per packet for bursts of n; decrypt restores the ciphertext before each burst
// (a memcpy, included in the figure) so that every ICV verifies.
double measure(ImbEngine& eng, const SaCrypto& sa, bool encrypt, uint32_t len, uint16_t n) {
  const uint32_t stride = (8 + sa.params.iv_len + len + sa.params.icv_len + 63) & ~63u;
  std::vector<uint8_t> buf(size_t{stride} * n, 0x11), saved;
  std::vector<CryptoOp> ops(n);
  auto reset_ops = [&]() {
    for (uint16_t i = 0; i < n; ++i) {
      uint8_t* esp = buf.data() + size_t{stride} * i;
      ops[i] = CryptoOp{&sa.params, &sa.keys, esp, len, esp + 8 + sa.params.iv_len + len, false};
    }
  };
  reset_ops();
  eng.encrypt_burst(ops.data(), n);
  saved = buf;
  using Clock = std::chrono::steady_clock;
  uint64_t packets = 0;
  const auto t0 = Clock::now();
  double el = 0;
  do {
    for (int r = 0; r < 200; ++r) {
      if (!encrypt) std::memcpy(buf.data(), saved.data(), buf.size());
      reset_ops();
      if (encrypt) {
        eng.encrypt_burst(ops.data(), n);
      } else {
        eng.decrypt_burst(ops.data(), n);
      }
      packets += n;
    }
    el = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (el < 0.15);
  if (!ops[0].ok) std::printf("  (op failed)\n");
  return el * 1e9 / static_cast<double>(packets);
}

}  // namespace

int main() {
  ImbEngine eng;
  std::string err;
  if (!eng.init(&err)) {
    std::printf("init: %s\n", err.c_str());
    return 1;
  }
  struct Suite {
    const char* name;
    EspCipher c;
    EspAuth a;
  } suites[] = {
      {"aes128-cbc+sha1", EspCipher::AesCbc128, EspAuth::HmacSha1_96},
      {"aes256-cbc+sha256", EspCipher::AesCbc256, EspAuth::HmacSha256_128},
      {"aes128-cbc+md5", EspCipher::AesCbc128, EspAuth::HmacMd5_96},
      {"des-cbc+sha1", EspCipher::DesCbc, EspAuth::HmacSha1_96},
      {"3des-cbc+sha1", EspCipher::TdesCbc, EspAuth::HmacSha1_96},
  };
  std::mt19937 rng(7);
  std::printf("ns/packet: wide (AVX-512 IMB) / narrow (SSE+SHA-NI IMB; OpenSSL DES)\n");
  std::printf("%-18s %5s %4s %s\n", "suite", "bytes", "dir", "n=1  n=2  n=4  n=8  n=16 n=32");
  for (const auto& s : suites) {
    std::vector<uint8_t> k(esp_enc_keymat_len(s.c)), a(info(s.a).key_len);
    for (auto& b : k) b = static_cast<uint8_t>(rng());
    for (auto& b : a) b = static_cast<uint8_t>(rng());
    SaCrypto sa;
    if (!sa_crypto_prepare(s.c, s.a, k, a, sa, &err)) return 1;
    for (uint32_t len : {64u, 1408u}) {
      for (bool enc : {true, false}) {
        std::printf("%-18s %5u %4s", s.name, len, enc ? "enc" : "dec");
        for (uint16_t n : {1, 2, 4, 8, 16, 32}) {
          eng.set_path(ImbPath::Wide);
          const double w = measure(eng, sa, enc, len, n);
          eng.set_path(ImbPath::Narrow);
          const double nr = measure(eng, sa, enc, len, n);
          std::printf(" %6.0f/%-6.0f", w, nr);
        }
        std::printf("\n");
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
