// SPDX-License-Identifier: Apache-2.0
// fuzz_check(cond): abort with the failed condition named, so that a crash reproducer
// explains itself (the fuzz targets build with -fno-exceptions and no test framework).
#pragma once

#include <cstdio>
#include <cstdlib>

#define fuzz_check(cond)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                           \
    }                                                                         \
  } while (0)
