#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets in build-fuzz and runs each for [seconds] (default 30) over its
# seed corpus in tests/fuzz/corpus/<target>. Exits non-zero if any target crashes.
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
targets=(ipv4 l2tp_data_hdr ppp esp_trailer replay_window ip4_fragment icmp_error config punt_classify cli_frame
         l2tp_control l2tp_lns isakmp ike_responder ike_initiator ppp_control ppp_auth ppp_session remote_access l2tpv3)

if [[ ! -f "$build/build.ninja" ]]; then
  CXX=clang++ meson setup "$build" "$root" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz_}"

# New inputs go to a scratch directory so that the committed seed corpus stays as it is;
# crash reproducers go to build-fuzz/artifacts/.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# One target per CPU at a time (L2TPGW_FUZZ_JOBS to say otherwise): each still runs its full
# time; the reports follow in the targets' order.
parallel="${L2TPGW_FUZZ_JOBS:-$(nproc)}"
run_one() {
  local t="$1"
  mkdir -p "$work/$t"
  if "$build/tests/fuzz/fuzz_$t" "$work/$t" "$root/tests/fuzz/corpus/$t" \
      -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/fuzz_${t}-" 2>"$work/$t.log"; then
    echo 0 >"$work/$t.rc"
  else
    echo 1 >"$work/$t.rc"
  fi
}
for t in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
  run_one "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  echo "== fuzz_$t: ${seconds}s"
  if [[ "$(cat "$work/$t.rc" 2>/dev/null)" != 0 ]]; then
    failed+=("$t")
    tail -n 60 "$work/$t.log"
  fi
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$t.log" || true
done

if ((${#failed[@]})); then
  echo "CRASHED: ${failed[*]} (reproducers in $build/artifacts/)" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without a crash"
