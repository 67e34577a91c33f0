#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Makes the fuzz_ppp_session seed corpus from the exchanges of the session tests: runs each
# test with PPP_TRACE=1 and writes the client's frames as fuzz records (kind 0, big-endian
# length, FF 03, protocol, packet) after the policy octet the fuzzer maps to the test's
# `pp auth request`. Usage (from the repository root, after building the unit tests):
#   tests/fuzz/make_ppp_session_corpus.py build/tests/unit/controlplane/ppp/unit-controlplane-ppp
import os, subprocess, sys

TESTS = {  # test name -> policy octet (fuzz_ppp_session.cpp: mode % 5)
    "WindowsMsChapV2": 0, "PppdMsChapV2": 0, "AppleChapMd5": 1, "PppdPap": 2,
    "NoAuthenticationConfigured": 3, "AppleMsChapV1": 4,
}
binary = sys.argv[1]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "ppp_session")
for test, mode in TESTS.items():
    env = dict(os.environ, PPP_TRACE="1")
    r = subprocess.run([binary, f"--gtest_filter=SessionTest.{test}"], env=env, capture_output=True, text=True)
    records = bytearray([mode])
    for line in r.stderr.splitlines():
        if not line.startswith("peer "):
            continue
        proto, hexbytes = line[5:].split(":")
        frame = bytes([0xff, 0x03]) + int(proto).to_bytes(2, "big") + bytes.fromhex(hexbytes)
        records += bytes([0]) + len(frame).to_bytes(2, "big") + frame
    records += bytes([1, 0, 1, 30])  # then let three seconds pass
    with open(os.path.join(out, test.lower()), "wb") as f:
        f.write(records)
    print(test, len(records))
