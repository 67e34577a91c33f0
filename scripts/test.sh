#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# test.sh: the README's test command: set up, build, fuzz every parser for a short while
# (L2TPGW_FUZZ_SECONDS, default 20 each; 0 skips), then run every meson test suite
# (unit, e2e), whose summary ends the output.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
fuzz_seconds=${L2TPGW_FUZZ_SECONDS:-20}
if (( fuzz_seconds > 0 )); then
  scripts/fuzz.sh "$fuzz_seconds"
fi
exec meson test -C build --print-errorlogs "$@"
