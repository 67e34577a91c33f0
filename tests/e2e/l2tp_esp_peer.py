#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# l2tp_esp_peer.py: an independent L2TP/IPsec client ("WAN peer") built on scapy, for e2e tests.
#
# Upstream (client -> appliance), what an OS client sends in transport mode (RFC 3193):
#
#   IPv4 peer -> gw  [UDP 4500 -> 4500 (RFC 3948)]  ESP (RFC 4303)
#     ( UDP peer_l2tp_port -> 1701  L2TPv2 data header (RFC 2661 §3.1)  PPP (RFC 1661 §2)
#       IPv4 client -> LAN host )
#
# Downstream (appliance -> client): the same stack, decrypted with the appliance's "out" SA and
# parsed down to the inner IPv4 packet with every outer field checked.
#
# The ESP transform is scapy's own (scapy.layers.ipsec.SecurityAssociation, transport mode) on
# top of python3-cryptography, so nothing here shares code with the appliance. The L2TP and PPP
# headers are built and parsed here with struct, straight from the RFC diagrams, because scapy
# cannot express all the variants the appliance must accept: its L2TP "offset" field is padded
# to a 4-byte boundary instead of carrying an Offset Size and that many pad bytes, and its PPP
# layer always compresses protocol numbers below 0x100 (so it cannot emit 0x0021 uncompressed).
# The self-test cross-checks the hand-built headers against scapy's L2TP/PPP layers wherever
# scapy can express them.
#
# Run `/usr/bin/python3 tests/e2e/l2tp_esp_peer.py --selftest` to round-trip every algorithm.

from __future__ import annotations

import argparse
import os
import socket
import struct
import sys
import hashlib
import hmac
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.ciphers import Cipher as CgCipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.ipsec import ESP, IPSecIntegrityError, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.layers.l2tp import L2TP
from scapy.layers.ppp import PPP
from scapy.packet import Raw
from scapy.utils import checksum

GW_WAN_ADDR = "203.0.113.1"
L2TP_PORT = 1701
NATT_PORT = 4500
PPP_PROTO_IPV4 = 0x0021


class PeerError(Exception):
    """A received frame is not what a correct appliance would have sent."""


# ---------------------------------------------------------------------------------------------
# Algorithms: the appliance's CLI names, scapy's names and key lengths.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cipher:
    cli: str           # l2tpgw-sessionctl --cipher
    scapy: str         # scapy.layers.ipsec.CRYPT_ALGOS key
    key_len: int       # bytes, including the 4-byte salt for GCM (RFC 4106 §8.1)
    aead: bool = False


@dataclass(frozen=True)
class Auth:
    cli: str           # l2tpgw-sessionctl --auth
    scapy: str | None  # scapy.layers.ipsec.AUTH_ALGOS key
    key_len: int


CIPHERS = {c.cli: c for c in [
    Cipher("aes-cbc", "AES-CBC", 16),        # RFC 3602
    Cipher("aes256-cbc", "AES-CBC", 32),
    Cipher("3des-cbc", "3DES", 24),          # RFC 2451
    Cipher("des-cbc", "DES", 8),             # RFC 2405
    Cipher("aes-gcm", "AES-GCM", 16 + 4, aead=True),      # RFC 4106, 16-byte ICV
    Cipher("aes256-gcm", "AES-GCM", 32 + 4, aead=True),
]}

AUTHS = {a.cli: a for a in [
    Auth("sha-hmac", "HMAC-SHA1-96", 20),    # RFC 2404
    Auth("md5-hmac", "HMAC-MD5-96", 16),     # RFC 2403
    Auth("sha256-hmac", "SHA2-256-128", 32),  # RFC 4868
    Auth("none", None, 0),
]}


@dataclass(frozen=True)
class Algo:
    cipher: Cipher
    auth: Auth

    @property
    def name(self) -> str:
        return self.cipher.cli if self.cipher.aead else f"{self.cipher.cli}+{self.auth.cli}"


def algo(cipher: str, auth: str = "none") -> Algo:
    c, a = CIPHERS[cipher], AUTHS[auth]
    if c.aead != (a.scapy is None):
        raise ValueError(f"{cipher} needs {'--auth none' if c.aead else 'an HMAC'}, not {auth}")
    return Algo(c, a)


# The combinations the appliance supports and the e2e test exercises.
ALL_ALGOS = [
    algo("aes-cbc", "sha-hmac"),
    algo("aes-cbc", "md5-hmac"),
    algo("aes-cbc", "sha256-hmac"),
    algo("aes256-cbc", "sha-hmac"),
    algo("aes256-cbc", "sha256-hmac"),
    algo("3des-cbc", "sha-hmac"),
    algo("3des-cbc", "md5-hmac"),
    algo("des-cbc", "md5-hmac"),
    algo("des-cbc", "sha-hmac"),
    algo("aes-gcm"),
    algo("aes256-gcm"),
]


@dataclass(frozen=True)
class SaKeys:
    """One direction of an ESP SA: SPI chosen by the receiver, keys shared."""
    spi: int
    algo: Algo
    enc_key: bytes
    auth_key: bytes


def random_keys(a: Algo, spi: int) -> SaKeys:
    return SaKeys(spi, a, os.urandom(a.cipher.key_len), os.urandom(a.auth.key_len))


def scapy_sa(keys: SaKeys) -> SecurityAssociation:
    # NAT-T is deliberately not scapy's nat_t_header: scapy 2.5.0 freezes the UDP length at 8
    # (it serialises the IP/UDP header before the ESP payload is attached). natt_wrap() and
    # natt_unwrap() below add and remove the RFC 3948 UDP header instead.
    return SecurityAssociation(
        ESP, spi=keys.spi,
        crypt_algo=keys.algo.cipher.scapy, crypt_key=keys.enc_key,
        auth_algo=keys.algo.auth.scapy, auth_key=keys.auth_key or None)


# ---------------------------------------------------------------------------------------------
# L2TPv2 data header, RFC 2661 §3.1
#
#    0                   1                   2                   3
#    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
#   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#   |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
#   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#   |           Tunnel ID           |           Session ID          |
#   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#   |             Ns (opt)          |             Nr (opt)          |
#   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#   |      Offset Size (opt)        |    Offset pad... (opt)
#   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# ---------------------------------------------------------------------------------------------

L2TP_T = 0x8000
L2TP_L = 0x4000
L2TP_S = 0x0800
L2TP_O = 0x0200
L2TP_P = 0x0100
L2TP_VER_MASK = 0x000F


@dataclass(frozen=True)
class L2tpVariant:
    length: bool = False          # L bit: Length field present
    sequence: bool = False        # S bit: Ns/Nr present
    ns: int = 0
    nr: int = 0
    offset_pad: int | None = None  # O bit: Offset Size = offset_pad, then that many pad bytes

    @property
    def label(self) -> str:
        parts = [p for p, on in (("L", self.length), ("S", self.sequence),
                                 (f"O{self.offset_pad}", self.offset_pad is not None)) if on]
        return "l2tp[" + ",".join(parts) + "]" if parts else "l2tp[]"


def l2tp_data_header(tunnel_id: int, session_id: int, v: L2tpVariant, payload_len: int) -> bytes:
    flags = 2  # Ver
    body = b""
    if v.sequence:
        flags |= L2TP_S
    if v.offset_pad is not None:
        flags |= L2TP_O
    hdr_len = 6 + (2 if v.length else 0) + (4 if v.sequence else 0) + \
        (2 + v.offset_pad if v.offset_pad is not None else 0)
    if v.length:
        flags |= L2TP_L
        body += struct.pack("!H", hdr_len + payload_len)
    body += struct.pack("!HH", tunnel_id, session_id)
    if v.sequence:
        body += struct.pack("!HH", v.ns, v.nr)
    if v.offset_pad is not None:
        body += struct.pack("!H", v.offset_pad) + b"\x00" * v.offset_pad
    return struct.pack("!H", flags) + body


@dataclass
class L2tpHeader:
    flags: int
    tunnel_id: int
    session_id: int
    length: int | None = None
    ns: int | None = None
    nr: int | None = None
    offset_size: int | None = None


def parse_l2tp_data(data: bytes) -> tuple[L2tpHeader, bytes]:
    """Decode then validate an L2TPv2 data message; returns the header and the PPP frame."""
    def need(n: int, what: str) -> None:
        if len(data) < n:
            raise PeerError(f"L2TP: truncated at {what} ({len(data)} bytes)")

    need(6, "header")
    (flags,) = struct.unpack_from("!H", data, 0)
    if flags & L2TP_VER_MASK != 2:
        raise PeerError(f"L2TP: version {flags & L2TP_VER_MASK}, expected 2")
    if flags & L2TP_T:
        raise PeerError("L2TP: T bit set on a data-path packet (control message)")
    off = 2
    length = None
    if flags & L2TP_L:
        need(off + 2, "Length")
        (length,) = struct.unpack_from("!H", data, off)
        off += 2
    need(off + 4, "Tunnel/Session ID")
    tunnel_id, session_id = struct.unpack_from("!HH", data, off)
    off += 4
    ns = nr = None
    if flags & L2TP_S:
        need(off + 4, "Ns/Nr")
        ns, nr = struct.unpack_from("!HH", data, off)
        off += 4
    offset_size = None
    if flags & L2TP_O:
        need(off + 2, "Offset Size")
        (offset_size,) = struct.unpack_from("!H", data, off)
        off += 2
        need(off + offset_size, "Offset pad")
        off += offset_size
    if length is not None:
        if length != len(data):
            raise PeerError(f"L2TP: Length field {length} != {len(data)} bytes received")
    return L2tpHeader(flags, tunnel_id, session_id, length, ns, nr, offset_size), data[off:]


# ---------------------------------------------------------------------------------------------
# PPP in HDLC-like framing without flags/FCS as carried by L2TP (RFC 1661 §2, RFC 1662 §3.1):
#   [FF 03] (absent with Address-and-Control-Field-Compression)
#   Protocol: 2 bytes, or 1 byte when Protocol-Field-Compression is on (LSB of the last byte
#   is always 1, the first byte is even).
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PppVariant:
    addr_ctrl: bool = True   # FF 03 present
    pfc: bool = False        # 1-byte protocol field

    @property
    def label(self) -> str:
        return f"ppp[{'ff03' if self.addr_ctrl else 'acfc'},{'pfc' if self.pfc else 'proto2'}]"


def ppp_header(proto: int, v: PppVariant) -> bytes:
    hdr = b"\xff\x03" if v.addr_ctrl else b""
    if v.pfc and proto < 0x100:
        return hdr + bytes([proto])
    return hdr + struct.pack("!H", proto)


def parse_ppp(data: bytes) -> tuple[int, bytes, PppVariant]:
    addr_ctrl = data[:2] == b"\xff\x03"
    if addr_ctrl:
        data = data[2:]
    if not data:
        raise PeerError("PPP: no protocol field")
    if data[0] & 1:  # compressed protocol field
        return data[0], data[1:], PppVariant(addr_ctrl, pfc=True)
    if len(data) < 2 or not data[1] & 1:
        raise PeerError(f"PPP: malformed protocol field {data[:2].hex()}")
    return struct.unpack_from("!H", data)[0], data[2:], PppVariant(addr_ctrl, pfc=False)


def udp_checksum(src: str, dst: str, udp: bytes) -> int:
    """RFC 768 checksum of a UDP datagram (its own checksum field ignored) under an IPv4
    pseudo-header; 0 is sent as 0xFFFF."""
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!xBH", 17, len(udp))
    ck = checksum(pseudo + udp[:6] + b"\x00\x00" + udp[8:])
    return ck or 0xFFFF


# ---------------------------------------------------------------------------------------------
# NAT-T, RFC 3948 §2.1: UDP 4500 with the ESP header directly after it (first word = SPI, never
# 0: a zero "non-ESP marker" means IKE, and a single 0xFF byte is a NAT-keepalive, §2.3).
# ---------------------------------------------------------------------------------------------

def natt_wrap(esp_ip: IP, sport: int, dport: int) -> IP:
    """IP/ESP -> IP/UDP/ESP with correct lengths; UDP checksum 0 as RFC 3948 §2.1 allows."""
    esp_bytes = bytes(esp_ip[ESP])
    outer = IP(src=esp_ip.src, dst=esp_ip.dst, id=esp_ip.id, ttl=esp_ip.ttl, proto=17)
    return IP(bytes(outer / UDP(sport=sport, dport=dport, chksum=0) / Raw(esp_bytes)))


def natt_keepalive(src: str, dst: str, sport: int = NATT_PORT, dport: int = NATT_PORT) -> IP:
    return IP(bytes(IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(b"\xff")))


# ---------------------------------------------------------------------------------------------
# The peer
# ---------------------------------------------------------------------------------------------

@dataclass
class PeerConfig:
    """One client session. "tx" is client -> appliance (the appliance's --*-in), "rx" is
    appliance -> client (the appliance's --*-out)."""
    client_ip: str                  # inner address assigned from the pool
    peer_ip: str                    # outer address of the client
    tx: SaKeys                      # SPI chosen by the appliance (its spi_in)
    rx: SaKeys                      # SPI chosen by us (the appliance's --spi-out)
    peer_tunnel_id: int             # our ids: the appliance must put these in what it sends
    peer_session_id: int
    gw_tunnel_id: int = 0           # the appliance's ids: we must put these in what we send
    gw_session_id: int = 0
    gw_ip: str = GW_WAN_ADDR
    natt: bool = False
    peer_natt_port: int = NATT_PORT
    peer_l2tp_port: int = L2TP_PORT


@dataclass
class Received:
    outer: IP
    spi: int
    seq: int
    l2tp: L2tpHeader
    ppp_proto: int
    ppp: PppVariant
    inner_udp_checksum: int
    inner: IP


class Peer:
    def __init__(self, cfg: PeerConfig):
        self.cfg = cfg
        self.tx_sa = scapy_sa(cfg.tx)
        self.rx_sa = scapy_sa(cfg.rx)

    # --- upstream -----------------------------------------------------------------------------

    def l2tp_udp(self, inner: bytes, l2tp: L2tpVariant = L2tpVariant(),
                 ppp: PppVariant = PppVariant(), ppp_proto: int = PPP_PROTO_IPV4,
                 tunnel_id: int | None = None, session_id: int | None = None) -> UDP:
        c = self.cfg
        payload = ppp_header(ppp_proto, ppp) + inner
        hdr = l2tp_data_header(c.gw_tunnel_id if tunnel_id is None else tunnel_id,
                               c.gw_session_id if session_id is None else session_id,
                               l2tp, len(payload))
        return UDP(sport=c.peer_l2tp_port, dport=L2TP_PORT) / Raw(hdr + payload)

    def encrypt(self, udp: UDP, seq: int | None = None, spi: int | None = None) -> IP:
        """Wrap an L2TP/UDP datagram in transport-mode ESP (+ NAT-T). Sequence numbers come
        from the SA unless `seq` is given; `spi` overrides the SPI on the wire only."""
        c = self.cfg
        sa = self.tx_sa if spi is None else scapy_sa(replace(c.tx, spi=spi))
        # Serialise first so the inner UDP checksum covers the transport-mode pseudo-header
        # (RFC 4303 §3.1.1: the outer addresses).
        plain = IP(bytes(IP(src=c.peer_ip, dst=c.gw_ip) / udp))
        if seq is None:
            seq = self.tx_sa.seq_num
            self.tx_sa.seq_num += 1
        pkt = IP(bytes(sa.encrypt(plain, seq_num=seq)))
        if c.natt:
            pkt = natt_wrap(pkt, c.peer_natt_port, NATT_PORT)
        return pkt

    def upstream(self, inner: IP | bytes, **kw) -> IP:
        """Client -> appliance: inner IPv4 packet -> outer IPv4 packet ready to send."""
        enc_kw = {k: kw.pop(k) for k in ("seq", "spi") if k in kw}
        return self.encrypt(self.l2tp_udp(bytes(inner), **kw), **enc_kw)

    # --- downstream ---------------------------------------------------------------------------

    def open(self, outer: IP) -> Received:
        """Appliance -> client: check the outer headers, verify + decrypt with the rx SA, and
        parse L2TP/PPP down to the inner IPv4 packet. Raises PeerError on any mismatch."""
        c = self.cfg
        if outer.src != c.gw_ip or outer.dst != c.peer_ip:
            raise PeerError(f"outer {outer.src} -> {outer.dst}, expected {c.gw_ip} -> {c.peer_ip}")
        if outer.flags.MF or outer.frag:
            raise PeerError("outer IPv4 is a fragment")
        raw_ip = bytes(outer)
        if c.natt:
            if outer.proto != 17 or UDP not in outer:
                raise PeerError(f"outer proto {outer.proto}, expected UDP (NAT-T)")
            u = outer[UDP]
            if (u.sport, u.dport) != (NATT_PORT, c.peer_natt_port):
                raise PeerError(f"NAT-T ports {u.sport}->{u.dport}, "
                                f"expected {NATT_PORT}->{c.peer_natt_port}")
            udp_payload = raw_ip[outer.ihl * 4 + 8:]
            if u.len != 8 + len(udp_payload):
                raise PeerError(f"NAT-T UDP length {u.len} != {8 + len(udp_payload)}")
            if udp_payload[:4] == b"\x00\x00\x00\x00":
                raise PeerError("NAT-T: non-ESP marker (IKE) where ESP was expected")
            esp_ip = IP(bytes(IP(src=outer.src, dst=outer.dst, ttl=outer.ttl, id=outer.id,
                                 proto=50) / Raw(udp_payload)))
        else:
            if outer.proto != 50:
                raise PeerError(f"outer proto {outer.proto}, expected ESP (50)")
            esp_ip = IP(raw_ip)
        if len(raw_ip) != outer.len:
            raise PeerError(f"outer IPv4 total length {outer.len} != {len(raw_ip)} received")
        esp = esp_ip[ESP]
        if esp.spi != c.rx.spi:
            raise PeerError(f"SPI 0x{esp.spi:08x}, expected 0x{c.rx.spi:08x}")
        try:
            plain = self.rx_sa.decrypt(esp_ip)
        except IPSecIntegrityError as e:
            raise PeerError(f"ESP integrity check failed: {e}") from e
        if plain.proto != 17 or UDP not in plain:
            raise PeerError(f"ESP next header {plain.proto}, expected UDP (17)")
        u = plain[UDP]
        if (u.sport, u.dport) != (L2TP_PORT, c.peer_l2tp_port):
            raise PeerError(f"L2TP UDP ports {u.sport}->{u.dport}, "
                            f"expected {L2TP_PORT}->{c.peer_l2tp_port}")
        udp_raw = bytes(plain)[plain.ihl * 4:]
        if u.len != len(udp_raw):
            raise PeerError(f"inner UDP length {u.len} != {len(udp_raw)}")
        if u.chksum != 0:
            # Transport mode: the checksum covers the outer addresses (RFC 4303 §3.1.1).
            want = udp_checksum(outer.src, outer.dst, udp_raw)
            if want != u.chksum:
                raise PeerError(f"inner UDP checksum 0x{u.chksum:04x}, expected 0x{want:04x}")
        l2tp, ppp_frame = parse_l2tp_data(udp_raw[8:])
        if (l2tp.tunnel_id, l2tp.session_id) != (c.peer_tunnel_id, c.peer_session_id):
            raise PeerError(f"L2TP tunnel/session {l2tp.tunnel_id}/{l2tp.session_id}, "
                            f"expected the peer's {c.peer_tunnel_id}/{c.peer_session_id}")
        proto, payload, ppp = parse_ppp(ppp_frame)
        inner = IP(payload) if proto == PPP_PROTO_IPV4 else None
        return Received(outer, esp.spi, esp.seq, l2tp, proto, ppp, u.chksum, inner)

    def open_frame(self, frame: bytes) -> Received:
        eth = Ether(frame)
        if eth.type != 0x0800:
            raise PeerError(f"ethertype 0x{eth.type:04x}, expected IPv4")
        return self.open(IP(bytes(eth.payload)))


# ---------------------------------------------------------------------------------------------
# What the appliance does, as an independent model for the self-test
# ---------------------------------------------------------------------------------------------

def appliance_downstream(cfg: PeerConfig, sa: SecurityAssociation, inner: IP,
                         l2tp: L2tpVariant = L2tpVariant(),
                         ppp: PppVariant = PppVariant()) -> IP:
    payload = ppp_header(PPP_PROTO_IPV4, ppp) + bytes(inner)
    hdr = l2tp_data_header(cfg.peer_tunnel_id, cfg.peer_session_id, l2tp, len(payload))
    plain = IP(bytes(IP(src=cfg.gw_ip, dst=cfg.peer_ip) /
                     UDP(sport=L2TP_PORT, dport=cfg.peer_l2tp_port) / Raw(hdr + payload)))
    pkt = IP(bytes(sa.encrypt(plain)))
    if cfg.natt:
        pkt = natt_wrap(pkt, NATT_PORT, cfg.peer_natt_port)
    return pkt


def appliance_upstream(cfg: PeerConfig, sa: SecurityAssociation, outer: IP) -> tuple[int, bytes]:
    """Decrypt what the peer sent; returns (ESP seq, L2TP payload after the UDP header)."""
    if cfg.natt:
        raw_ip = bytes(outer)
        assert outer[UDP].dport == NATT_PORT and outer[UDP].len == len(raw_ip) - 20, \
            f"bad NAT-T UDP header {outer[UDP].sport}->{outer[UDP].dport} len {outer[UDP].len}"
        outer = IP(bytes(IP(src=outer.src, dst=outer.dst, proto=50) / Raw(raw_ip[28:])))
    seq = outer[ESP].seq
    plain = sa.decrypt(IP(bytes(outer)))
    assert plain.proto == 17, f"next header {plain.proto}"
    plain = IP(bytes(plain))  # re-dissect, and verify the inner UDP checksum survived
    u = plain[UDP]
    want = udp_checksum(plain.src, plain.dst, bytes(plain)[plain.ihl * 4:])
    assert u.chksum == want, f"inner UDP checksum 0x{u.chksum:04x} != 0x{want:04x}"
    return seq, bytes(u.payload)


# ---------------------------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------------------------

L2TP_VARIANTS = [
    L2tpVariant(),
    L2tpVariant(length=True),
    L2tpVariant(sequence=True, ns=7, nr=0),
    L2tpVariant(length=True, sequence=True, ns=0xfffe, nr=3),
    L2tpVariant(offset_pad=0),
    L2tpVariant(offset_pad=3),
    L2tpVariant(length=True, sequence=True, ns=1, nr=2, offset_pad=8),
]
PPP_VARIANTS = [
    PppVariant(addr_ctrl=True, pfc=False),
    PppVariant(addr_ctrl=True, pfc=True),
    PppVariant(addr_ctrl=False, pfc=False),
    PppVariant(addr_ctrl=False, pfc=True),
]


def _selftest_headers() -> None:
    # Our L2TP builder against scapy's, where scapy can express the variant.
    for v in L2TP_VARIANTS:
        ours = l2tp_data_header(0x1234, 0xabcd, v, 10)
        hdr, rest = parse_l2tp_data(ours + b"x" * 10)
        assert (hdr.tunnel_id, hdr.session_id) == (0x1234, 0xabcd) and rest == b"x" * 10, v
        if v.sequence:
            assert (hdr.ns, hdr.nr) == (v.ns, v.nr), v
        if v.offset_pad is None:
            flags = (["length"] if v.length else []) + (["sequence"] if v.sequence else [])
            theirs = L2TP(hdr="+".join(flags) or 0, tunnel_id=0x1234, session_id=0xabcd,
                          ns=v.ns, nr=v.nr)
            if not v.length:
                theirs.len = None
            theirs = bytes(theirs / Raw(b"x" * 10))
            assert theirs == ours + b"x" * 10, f"{v.label}: {theirs.hex()} != {ours.hex()}"
            dis = UDP(bytes(UDP(sport=1701, dport=1701) / Raw(ours + b"x" * 10)))
            assert dis[L2TP].tunnel_id == 0x1234 and dis[L2TP].session_id == 0xabcd, v
    # Our PPP framing against scapy's dissector.
    icmp = IP(src="198.51.100.10", dst="192.0.2.10") / ICMP()
    for v in PPP_VARIANTS:
        frame = ppp_header(PPP_PROTO_IPV4, v) + bytes(icmp)
        proto, payload, got = parse_ppp(frame)
        assert (proto, payload, got) == (PPP_PROTO_IPV4, bytes(icmp), v), v
        assert IP in PPP(frame) and PPP(frame)[IP].dst == "192.0.2.10", v.label
    # Negative cases of the parsers.
    for bad in (b"", b"\x00", b"\x80\x02\x00\x01\x00\x01", b"\x00\x03\x00\x01\x00\x01",
                b"\x40\x02\x00\x09\x00\x01\x00\x01", b"\x02\x02\x00\x01\x00\x01\x00\x05xx"):
        try:
            parse_l2tp_data(bad)
        except PeerError:
            continue
        raise AssertionError(f"L2TP parser accepted {bad.hex()}")


def _selftest_algo(a: Algo, natt: bool) -> int:
    cfg = PeerConfig(client_ip="198.51.100.10", peer_ip="203.0.113.10",
                     tx=random_keys(a, 0x1000_0001), rx=random_keys(a, 0xc000_0002),
                     peer_tunnel_id=11, peer_session_id=22, gw_tunnel_id=33, gw_session_id=44,
                     natt=natt, peer_natt_port=4500 if not natt else 34567)
    peer = Peer(cfg)
    gw_in = scapy_sa(cfg.tx)    # the appliance's view of the client's tx SA
    gw_out = scapy_sa(cfg.rx)
    checks = 0
    icmp = IP(src=cfg.client_ip, dst="192.0.2.10") / ICMP(id=7, seq=1) / Raw(b"ping" * 5)
    for i, (lv, pv) in enumerate((lv, pv) for lv in L2TP_VARIANTS for pv in PPP_VARIANTS):
        pkt = peer.upstream(icmp, l2tp=lv, ppp=pv)
        if natt:
            assert pkt.proto == 17 and pkt[UDP].sport == 34567 and pkt[UDP].dport == NATT_PORT
        else:
            assert pkt.proto == 50
        seq, l2tp_payload = appliance_upstream(cfg, gw_in, pkt)
        assert seq == i + 1, f"seq {seq} != {i + 1}"
        hdr, ppp_frame = parse_l2tp_data(l2tp_payload)
        assert (hdr.tunnel_id, hdr.session_id) == (33, 44)
        proto, payload, got = parse_ppp(ppp_frame)
        assert proto == PPP_PROTO_IPV4 and payload == bytes(icmp) and got == pv
        # And back: the appliance's reply, parsed by the peer.
        reply = IP(src="192.0.2.10", dst=cfg.client_ip) / ICMP(type=0, id=7, seq=1) / \
            Raw(b"pong" * 5)
        rx = peer.open(appliance_downstream(cfg, gw_out, reply, lv, pv))
        assert rx.spi == cfg.rx.spi and rx.seq == i + 1 and rx.ppp == pv
        assert bytes(rx.inner) == bytes(reply), "inner reply differs"
        checks += 2
    # A flipped bit anywhere in the protected part must fail verification.
    good = appliance_downstream(cfg, gw_out, icmp)
    raw_ip = bytearray(bytes(good))
    raw_ip[-3] ^= 0x10  # inside the ICV
    try:
        peer.open(IP(bytes(raw_ip)))
        raise AssertionError("a flipped ICV bit was accepted")
    except PeerError as e:
        assert "integrity" in str(e), e
    # A wrong SPI is reported as such.
    other = replace(cfg, rx=replace(cfg.rx, spi=cfg.rx.spi + 1))
    try:
        Peer(other).open(good)
        raise AssertionError("a wrong SPI was accepted")
    except PeerError as e:
        assert "SPI" in str(e), e
    return checks + 2


def esp_open_independently(keys: SaKeys, esp: bytes) -> tuple[int, bytes, int]:
    """RFC 4303 §2 decryption written directly against python3-cryptography and hashlib, as a
    check that scapy's transform (used everywhere else) puts the right bytes on the wire.
    Returns (seq, payload, next header)."""
    a = keys.algo
    spi, seq = struct.unpack_from("!II", esp)
    assert spi == keys.spi, f"SPI {spi:#x}"
    if a.cipher.aead:  # RFC 4106: nonce = salt || IV, AAD = SPI || seq, 16-byte ICV
        key, salt = keys.enc_key[:-4], keys.enc_key[-4:]
        iv, ct = esp[8:16], esp[16:]
        plain = AESGCM(key).decrypt(salt + iv, ct, esp[:8])
    else:
        icv_len = {"md5-hmac": 12, "sha-hmac": 12, "sha256-hmac": 16}[a.auth.cli]
        digest = {"md5-hmac": hashlib.md5, "sha-hmac": hashlib.sha1,
                  "sha256-hmac": hashlib.sha256}[a.auth.cli]
        body, icv = esp[:-icv_len], esp[-icv_len:]
        want = hmac.new(keys.auth_key, body, digest).digest()[:icv_len]
        assert hmac.compare_digest(icv, want), "HMAC ICV mismatch (RFC 2404/2403/4868)"
        if a.cipher.cli in ("3des-cbc", "des-cbc"):
            alg, bs = algorithms.TripleDES(keys.enc_key), 8
        else:
            alg, bs = algorithms.AES(keys.enc_key), 16
        iv, ct = body[8:8 + bs], body[8 + bs:]
        assert len(ct) % bs == 0, "ciphertext is not a whole number of blocks"
        dec = CgCipher(alg, modes.CBC(iv)).decryptor()
        plain = dec.update(ct) + dec.finalize()
    pad_len, nh = plain[-2], plain[-1]
    pad = plain[-2 - pad_len:-2]
    assert pad == bytes(range(1, pad_len + 1)), f"padding {pad.hex()} is not 1, 2, 3, ..."
    return seq, plain[:-2 - pad_len], nh


def _selftest_independent(a: Algo) -> None:
    cfg = PeerConfig(client_ip="198.51.100.10", peer_ip="203.0.113.10",
                     tx=random_keys(a, 0x0abc_0001), rx=random_keys(a, 0x0abc_0002),
                     peer_tunnel_id=1, peer_session_id=2, gw_tunnel_id=3, gw_session_id=4)
    peer = Peer(cfg)
    icmp = IP(src=cfg.client_ip, dst="192.0.2.10") / ICMP() / Raw(b"independent")
    for n in (1, 2, 3):
        pkt = peer.upstream(icmp)
        seq, payload, nh = esp_open_independently(cfg.tx, bytes(pkt[ESP]))
        assert (seq, nh) == (n, 17), f"seq {seq} nh {nh}"
        assert payload[8:] == l2tp_data_header(3, 4, L2tpVariant(), 0) + \
            ppp_header(PPP_PROTO_IPV4, PppVariant()) + bytes(icmp)


def selftest() -> int:
    _selftest_headers()
    for a in ALL_ALGOS:
        _selftest_independent(a)
    print(f"selftest: scapy ESP output verified independently for {len(ALL_ALGOS)} algorithms")
    total = 0
    for a in ALL_ALGOS:
        for natt in (False, True):
            n = _selftest_algo(a, natt)
            print(f"selftest: {a.name:24} natt={'yes' if natt else 'no ':3} {n} checks ok")
            total += n
    # Key lengths the appliance's CLI expects, spelled out.
    assert {c.cli: c.key_len for c in CIPHERS.values()} == {
        "aes-cbc": 16, "aes256-cbc": 32, "3des-cbc": 24, "des-cbc": 8,
        "aes-gcm": 20, "aes256-gcm": 36}
    print(f"selftest: all {total} round trips passed")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--selftest", action="store_true",
                    help="round-trip every algorithm and header variant through scapy")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
