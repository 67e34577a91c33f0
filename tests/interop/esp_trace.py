#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# esp_trace.py: an L2TP/PPP trace of a capture of ESP transport traffic, decrypted with the
# keys of `ip xfrm state` (what dialin_e2e.py --pcap keeps: vm-eth0.pcap, vm-xfrm-state.txt).
# One line per packet: time, direction, ESP sequence number, and the L2TP message type or the
# PPP protocol, code and identifier inside.
#
#   /usr/bin/python3 tests/interop/esp_trace.py LOGDIR/vm-eth0.pcap LOGDIR/vm-xfrm-state.txt

from __future__ import annotations

import argparse
import re
import sys

from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.utils import rdpcap

# `ip xfrm state` names -> scapy's.
CIPHERS = {"cbc(aes)": "AES-CBC", "cbc(des3_ede)": "3DES", "cbc(des)": "DES"}
AUTHS = {("hmac(sha1)", 96): "HMAC-SHA1-96", ("hmac(sha256)", 128): "SHA2-256-128",
         ("hmac(md5)", 96): "HMAC-MD5-96"}

L2TP_TYPES = {1: "SCCRQ", 2: "SCCRP", 3: "SCCCN", 4: "StopCCN", 6: "HELLO", 7: "OCRQ",
              8: "OCRP", 9: "OCCN", 10: "ICRQ", 11: "ICRP", 12: "ICCN", 14: "CDN", 15: "WEN",
              16: "SLI"}
PPP_PROTOCOLS = {0xC021: "LCP", 0xC023: "PAP", 0xC223: "CHAP", 0x8021: "IPCP",
                 0x8057: "IPV6CP", 0x80FD: "CCP", 0x0021: "IPv4"}
CP_CODES = {1: "ConfReq", 2: "ConfAck", 3: "ConfNak", 4: "ConfRej", 5: "TermReq",
            6: "TermAck", 7: "CodeRej", 8: "ProtRej", 9: "EchoReq", 10: "EchoRep",
            11: "DiscardReq"}
AUTH_CODES = {"PAP": {1: "AuthReq", 2: "AuthAck", 3: "AuthNak"},
              "CHAP": {1: "Challenge", 2: "Response", 3: "Success", 4: "Failure"}}


def load_sas(text: str) -> dict[int, SecurityAssociation]:
    """Every ESP SA of `ip xfrm state` output with a cipher and HMAC scapy knows, by SPI."""
    sas = {}
    for block in re.split(r"(?m)^(?=src )", text):
        spi = re.search(r"proto esp spi (0x[0-9a-f]+)", block)
        enc = re.search(r"\benc (\S+) 0x([0-9a-f]+)", block)
        auth = re.search(r"\bauth-trunc (\S+) 0x([0-9a-f]+) (\d+)", block)
        if not (spi and enc and auth) or enc[1] not in CIPHERS or \
                (auth[1], int(auth[3])) not in AUTHS:
            continue
        sas[int(spi[1], 16)] = SecurityAssociation(
            ESP, spi=int(spi[1], 16), crypt_algo=CIPHERS[enc[1]],
            crypt_key=bytes.fromhex(enc[2]), auth_algo=AUTHS[(auth[1], int(auth[3]))],
            auth_key=bytes.fromhex(auth[2]))
    return sas


def describe_l2tp(b: bytes) -> str:
    """RFC 2661 §3.1 header; control messages by their Message Type AVP, data by PPP."""
    if len(b) < 6:
        return f"runt L2TP ({len(b)} bytes)"
    flags = int.from_bytes(b[:2], "big")
    if flags & 0x8000:  # T: control
        if len(b) <= 12:
            return "L2TP ZLB"
        mt = int.from_bytes(b[18:20], "big") if len(b) >= 20 else -1
        return f"L2TP {L2TP_TYPES.get(mt, mt)}"
    off = 4 if flags & 0x4000 else 2
    tid, sid = int.from_bytes(b[off:off + 2], "big"), int.from_bytes(b[off + 2:off + 4], "big")
    off += 4
    if flags & 0x0800:
        off += 4
    if flags & 0x0200:
        off += 2 + int.from_bytes(b[off:off + 2], "big")
    ppp = b[off:]
    if ppp[:2] == b"\xff\x03":
        ppp = ppp[2:]
    proto = int.from_bytes(ppp[:2], "big")
    name = PPP_PROTOCOLS.get(proto, f"0x{proto:04x}")
    if name == "IPv4" or len(ppp) < 4:
        return f"PPP {name} ({len(ppp) - 2} bytes) t{tid}/s{sid}"
    code = ppp[2]
    codes = AUTH_CODES.get(name, CP_CODES)
    return f"PPP {name} {codes.get(code, code)} id={ppp[3]} t{tid}/s{sid}"


def main() -> int:
    ap = argparse.ArgumentParser(description="L2TP/PPP trace of ESP transport traffic, "
                                 "decrypted with `ip xfrm state` keys")
    ap.add_argument("pcap")
    ap.add_argument("xfrm_state", help="`ip xfrm state` output with the SAs' keys")
    args = ap.parse_args()
    sas = load_sas(open(args.xfrm_state).read())
    packets = rdpcap(args.pcap)
    if not packets:
        return 0
    start = float(packets[0].time)
    for p in packets:
        if IP not in p:
            continue
        ip = IP(bytes(p[IP]))
        what = ""
        if ip.proto == 50:
            spi, seq = ip[ESP].spi, ip[ESP].seq
            sa = sas.get(spi)
            if sa is None:
                what = f"ESP spi {spi:08x} seq {seq} (no key)"
            else:
                try:
                    inner = sa.decrypt(ip)
                    what = f"seq {seq:<4} " + (describe_l2tp(bytes(inner[UDP].payload))
                                               if UDP in inner else inner.summary())
                except Exception as e:  # noqa: BLE001 -- a wrong key or a corrupt packet
                    what = f"ESP spi {spi:08x} seq {seq}: cannot decrypt ({e})"
        elif UDP in ip and ip[UDP].dport in (500, 4500) and ip[UDP].sport in (500, 4500):
            what = "IKE" if ip[UDP].dport == 500 or bytes(ip[UDP].payload)[:4] == bytes(4) \
                else "NAT-T ESP (not decoded)"
        else:
            continue
        print(f"{float(p.time) - start:9.3f} {ip.src:>15} -> {ip.dst:<15} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
