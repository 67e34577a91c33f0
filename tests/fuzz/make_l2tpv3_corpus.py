#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Makes the fuzz_l2tpv3 seed corpus: exchanges with the fuzzer's LCCE written as its records
# ([flags][length][message], fuzz_l2tpv3.cpp), with messages encoded here independently of
# controlplane/l2tp/v3 (RFC 3931 §3.2.1 header, §5.1 AVPs). Usage, from the repository root:
#   tests/fuzz/make_l2tpv3_corpus.py
import os, struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "l2tpv3")
SCCRQ, SCCRP, SCCCN, STOPCCN, HELLO, ICRQ, ICRP, ICCN, CDN, SLI, ACK = 1, 2, 3, 4, 6, 10, 11, 12, 14, 16, 20


def avp(t, v, m=True):
    return struct.pack("!HHH", (0x8000 if m else 0) | (6 + len(v)), 0, t) + v


def u16(t, v): return avp(t, struct.pack("!H", v))
def u32(t, v): return avp(t, struct.pack("!I", v))
def u64(t, v): return avp(t, struct.pack("!Q", v))


def msg(mtype, ccid, ns, nr, *avps):
    body = u16(0, mtype) + b"".join(avps)
    return struct.pack("!HHIHH", 0xC803, 12 + len(body), ccid, ns, nr) + body


def zlb(ccid, ns, nr):
    return struct.pack("!HHIHH", 0xC803, 12, ccid, ns, nr)


def record(m, peer=0, patch=True, secs=0):
    flags = peer | (2 if patch else 0) | (secs << 4)
    return bytes([flags]) + struct.pack("!H", len(m)) + m


def connection(mtype, ccid=100, rid=0xC0A86402, tb=None):
    a = [avp(7, b"RTX830"), u32(60, rid), u32(61, ccid), u16(62, 5), u16(10, 8),
         avp(8, b"YAMAHA Corporation", False)]
    if tb is not None:
        a.append(u64(5, tb))
    return a


# Tunnel 1 is always-on: its SCCRQ (Ns 0) is out; we answer it as YAMAHA02 would and take
# the call it makes (its session id is 1, from the fuzzer's hooks).
initiator = b"".join([
    record(msg(SCCRP, 0, 0, 1, *connection(SCCRP))),
    record(msg(ICRP, 0, 1, 3, u32(63, 25157), u32(64, 1), u16(71, 3), avp(65, bytes(range(8))))),
    record(zlb(0, 2, 4)),
    record(msg(HELLO, 0, 2, 4), secs=15),
    record(msg(SLI, 0, 3, 5, u32(63, 25157), u32(64, 1), u16(71, 0))),
    record(msg(CDN, 0, 4, 5, avp(1, struct.pack("!H", 3)), u32(63, 25157), u32(64, 1))),
    record(msg(STOPCCN, 0, 5, 5, avp(1, struct.pack("!H", 6)), u32(61, 100)), secs=6),
])

# Our SCCRQ and tunnel 1's cross: the lower tie breaker wins; then we call (ICRQ).
collision = b"".join([
    record(msg(SCCRQ, 0, 0, 0, *connection(SCCRQ, tb=1)), patch=False),
    record(msg(SCCCN, 0, 1, 1)),
    record(msg(ICRQ, 0, 2, 1, u32(63, 38520), u32(64, 0), u32(15, 1), u16(68, 5),
               avp(66, b"TESTEND"), u16(71, 3), avp(65, bytes(range(4))), u64(5, 7))),
    record(msg(ICCN, 0, 3, 2, u32(63, 38520), u32(64, 1))),
    record(zlb(0, 4, 2), secs=12),
])

# Tunnel 2 wants a digest; this SCCRQ has none (refused), then one with a wrong digest.
auth = b"".join([
    record(msg(SCCRQ, 0, 0, 0, *connection(SCCRQ, ccid=200, rid=1)), peer=1, patch=False),
    record(msg(SCCRQ, 0, 0, 0, avp(59, b"\x00" + bytes(16), False),
               *connection(SCCRQ, ccid=201, rid=1), avp(73, bytes(range(16)))),
           peer=1, patch=False, secs=1),
    record(msg(SCCCN, 0, 1, 1, avp(59, b"\x01" + bytes(20), False)), peer=1, secs=1),
])

seeds = {
    "initiator": initiator,
    "collision": collision,
    "auth_refused": auth,
    "sccrq_alone": msg(SCCRQ, 0, 0, 0, *connection(SCCRQ, tb=5)),  # the codec layer's input
}
os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print(name, len(data))
