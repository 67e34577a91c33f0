#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# build.sh: configures (once) and builds l2tpgw in ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build
