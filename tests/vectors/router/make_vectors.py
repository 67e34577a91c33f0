#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Regenerates fragments.txt and icmp_errors.txt with scapy (an implementation independent of
# dataplane/stages/ip4_fragment.cpp and icmp_error.cpp):
#
#   /usr/bin/python3 tests/vectors/router/make_vectors.py
#
# Fragments come from scapy's fragment() with fragsize = (mtu - header) rounded down to 8, which
# is RFC 791's cut when every option is a copied one (scapy repeats all options in every
# fragment; the RFC keeps only the copied ones, which the unit tests check separately).
# ICMP errors are scapy IP()/ICMP() with the original's header and first 8 data bytes as the
# body (RFC 792), precedence 6 (RFC 1812 §4.3.2.5), TTL 64, DF clear.
from pathlib import Path

from scapy.layers.inet import ICMP, IP, UDP, TCP, IPOption_LSRR, IPOption_Security, fragment
from scapy.packet import Raw

HERE = Path(__file__).resolve().parent


def payload(n: int) -> bytes:
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


FRAGMENT_CASES = [
    # name, packet, mtu
    ("udp_1500_mtu_1400",
     IP(src="192.0.2.10", dst="198.51.100.10", id=0x1234, ttl=63) /
     UDP(sport=5555, dport=9999) / Raw(payload(1472)), 1400),
    ("udp_1500_mtu_576_tos",
     IP(src="192.0.2.10", dst="198.51.100.10", id=0xbeef, tos=0x28, ttl=5) /
     UDP(sport=1, dport=2) / Raw(payload(1472)), 576),
    ("icmp_odd_length_mtu_1000",
     IP(src="198.51.100.10", dst="192.0.2.10", id=7) / ICMP(id=1, seq=2) / Raw(payload(1993)), 1000),
    ("min_mtu_68",
     IP(src="198.51.100.10", dst="192.0.2.10", id=9) / UDP() / Raw(payload(300)), 68),
    ("mtu_not_multiple_of_8",
     IP(src="198.51.100.10", dst="192.0.2.10", id=10) / TCP(flags="A") / Raw(payload(1400)), 1013),
    ("copied_options_lsrr_security",
     IP(src="198.51.100.10", dst="192.0.2.10", id=11,
        options=[IPOption_LSRR(routers=["192.0.2.1", "192.0.2.2"]),
                 IPOption_Security(security=0x1234, compartment=1, handling_restrictions=2,
                                   transmission_control_code=b"abc")]) /
     UDP() / Raw(payload(900)), 500),
    # A fragment cut again: offsets continue from its own, the last keeps its MF.
    ("refragment_middle_fragment",
     IP(src="192.0.2.10", dst="198.51.100.10", id=12, flags="MF", frag=185) / Raw(payload(1480)),
     600),
    ("refragment_last_fragment",
     IP(src="192.0.2.10", dst="198.51.100.10", id=13, frag=370) / Raw(payload(1000)), 400),
]

ICMP_CASES = [
    # name, original, type, code, next-hop mtu, our source, our IPv4 id
    ("frag_needed_udp", IP(src="192.0.2.10", dst="198.51.100.10", id=0x4242, flags="DF", ttl=63) /
     UDP(sport=5555, dport=9999) / Raw(payload(1500)), 3, 4, 1400, "192.0.2.1", 1),
    ("frag_needed_tos_kept", IP(src="198.51.100.10", dst="192.0.2.10", id=5, flags="DF", tos=0xb8) /
     TCP(sport=4000, dport=80, flags="PA", seq=0x01020304) / Raw(payload(1600)), 3, 4, 1500,
     "192.0.2.1", 0xffff),
    ("time_exceeded_echo", IP(src="198.51.100.10", dst="192.0.2.10", id=77, ttl=1) /
     ICMP(type=8, id=0x99, seq=3) / Raw(payload(56)), 11, 0, 0, "192.0.2.1", 2),
    ("time_exceeded_options", IP(src="192.0.2.10", dst="198.51.100.10", ttl=1,
                                 options=[IPOption_LSRR(routers=["192.0.2.1"])]) /
     UDP(sport=33434, dport=33435) / Raw(payload(32)), 11, 0, 0, "192.0.2.1", 3),
    ("time_exceeded_short_data", IP(src="192.0.2.10", dst="198.51.100.10", ttl=0, proto=17) /
     Raw(b"\x01\x02\x03"), 11, 0, 0, "192.0.2.1", 4),
    # The MTU field only means something for type 3 code 4: elsewhere it is sent as zero.
    ("time_exceeded_mtu_ignored", IP(src="192.0.2.10", dst="198.51.100.10", ttl=1) /
     UDP() / Raw(payload(8)), 11, 0, 1400, "192.0.2.1", 5),
]


def hexs(b: bytes) -> str:
    return b.hex()


def main() -> None:
    out = ["# IPv4 fragments (RFC 791) made by scapy 2.5 fragment(); see make_vectors.py.",
           "# name, packet, mtu, count, then fragment_<k> for k < count.", ""]
    for name, pkt, mtu in FRAGMENT_CASES:
        pkt = IP(bytes(pkt))
        hl = pkt.ihl * 4
        frags = [IP(bytes(f)) for f in fragment(pkt, fragsize=(mtu - hl) & ~7)]
        out += [f"name = {name}", f"packet = {hexs(bytes(pkt))}", f"mtu = {mtu}",
                f"count = {len(frags)}"]
        out += [f"fragment_{k} = {hexs(bytes(f))}" for k, f in enumerate(frags)]
        out.append("")
    (HERE / "fragments.txt").write_text("\n".join(out))

    out = ["# ICMP errors (RFC 792, RFC 1191 §4) made by scapy 2.5; see make_vectors.py.",
           "# name, original, type, code, mtu, src, id, message.", ""]
    for name, orig, t, c, mtu, src, ident in ICMP_CASES:
        orig = IP(bytes(orig))
        raw = bytes(orig)
        hl = orig.ihl * 4
        quoted = raw[:hl + min(8, orig.len - hl)]
        icmp = ICMP(type=t, code=c, nexthopmtu=mtu) if (t, c) == (3, 4) else ICMP(type=t, code=c)
        msg = IP(src=src, dst=orig.src, tos=0xC0 | (orig.tos & 0x1E), id=ident, flags=0,
                 ttl=64) / icmp / Raw(quoted)
        out += [f"name = {name}", f"original = {hexs(raw)}", f"type = {t}", f"code = {c}",
                f"mtu = {mtu}", f"src = {src}", f"id = {ident}", f"message = {hexs(bytes(msg))}",
                ""]
    (HERE / "icmp_errors.txt").write_text("\n".join(out))


if __name__ == "__main__":
    main()
