#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Independent reference for RFC 2661 §4.3 AVP hiding (hashlib only), used to produce the
# expected bytes in tests/unit/controlplane/l2tp/control_message_test.cpp:
#   b(1) = MD5(attribute type | secret | random vector), c(i) = p(i) xor b(i),
#   b(i) = MD5(secret | c(i-1)); p = Original Length (2 bytes) | value | padding.
import hashlib
import struct
import sys


def hide(attr_type: int, value: bytes, secret: bytes, rv: bytes, padding: bytes = b"") -> bytes:
    plain = struct.pack("!H", len(value)) + value + padding
    out = b""
    b = hashlib.md5(struct.pack("!H", attr_type) + secret + rv).digest()
    for off in range(0, len(plain), 16):
        block = bytes(p ^ k for p, k in zip(plain[off:off + 16], b))
        out += block
        b = hashlib.md5(secret + block).digest()
    return out


if __name__ == "__main__":
    # The cases of the unit test: a 2-byte Assigned Tunnel ID (one MD5 block) and a 40-byte
    # Host Name with 3 bytes of padding (three blocks, the chaining exercised).
    rv = bytes(range(0x10, 0x20))
    print("tunnel_id", hide(9, bytes([0x12, 0x34]), b"yamaha-secret", rv).hex())
    print("hostname", hide(7, b"l2tp-client-with-a-long-host-name.example", b"s3cr3t", rv,
                           b"\x00\x01\x02").hex())
    sys.exit(0)
