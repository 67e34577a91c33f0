// SPDX-License-Identifier: Apache-2.0
// fuzz_check(cond): abort with the failed condition named, so that a crash reproducer
// explains itself (the fuzz targets build with -fno-exceptions and no test framework).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <span>
#include <vector>

#define fuzz_check(cond)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                           \
    }                                                                         \
  } while (0)

// A fuzz input as records [flags][length:2][bytes], the length clipped to what is left.
struct FuzzRecords {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  bool next(uint8_t& flags, std::vector<uint8_t>& bytes) {
    if (pos + 3 > size) return false;
    flags = data[pos];
    const size_t len = std::min<size_t>(size_t{data[pos + 1]} << 8 | data[pos + 2], size - pos - 3);
    bytes.assign(data + pos + 3, data + pos + 3 + len);
    pos += 3 + len;
    return true;
  }
};

// Deterministic randomness for the protocol machines under test (their RandomFn): a run is
// reproducible from its input.
struct FuzzRandom {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  void fill(std::span<uint8_t> out) {
    for (auto& b : out) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      b = static_cast<uint8_t>(s);
    }
  }
};
