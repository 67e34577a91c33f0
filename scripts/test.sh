#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# test.sh: the README's test command: set up, build, and run every test suite (unit, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec meson test -C build --print-errorlogs "$@"
