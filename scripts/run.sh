#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# run.sh: the README's run command: set up, build, start the appliance in the lab and connect
# a client (see scripts/lab_demo.py). Extra arguments go to lab_demo.py (e.g. --once).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec /usr/bin/python3 scripts/lab_demo.py --builddir build "$@"
