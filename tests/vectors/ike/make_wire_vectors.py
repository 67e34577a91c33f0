#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Regenerates wire.txt: ISAKMP messages built by scapy 2.5's ISAKMP layer (SA, Proposal,
# Transform, KE, Nonce, ID, Hash, Vendor ID) and, for the payloads scapy lacks (Notification,
# Delete, NAT-D, NAT-OA, IPsec DOI attributes), by struct.pack straight from the RFC diagrams:
# an encoder independent of controlplane/ike/wire.cpp.
#
#   /usr/bin/python3 tests/vectors/ike/make_wire_vectors.py
#
# Each record: name, msg (the ISAKMP message), and the fields the decoder must report.
import struct
from pathlib import Path

from scapy.layers.isakmp import (ISAKMP, ISAKMP_payload_Hash, ISAKMP_payload_ID, ISAKMP_payload_KE,
                                 ISAKMP_payload_Nonce, ISAKMP_payload_Proposal, ISAKMP_payload_SA,
                                 ISAKMP_payload_Transform, ISAKMP_payload_VendorID)
from scapy.packet import Raw

HERE = Path(__file__).resolve().parent
ICKY = bytes.fromhex("0102030405060708")
RCKY = bytes.fromhex("a1a2a3a4a5a6a7a8")
VID_RFC3947 = bytes.fromhex("4a131c81070358455c5728f20e95452f")
VID_DRAFT02N = bytes.fromhex("90cb80913ebb696e086381b5ec427b1f")
VID_DPD = bytes.fromhex("afcad71368a1f1c96b8696fc77570100")


def pat(n, seed):
    return bytes((i * 31 + seed) & 0xFF for i in range(n))


def generic(next_payload, body):
    return struct.pack("!BBH", next_payload, 0, 4 + len(body)) + body


def tv(t, v):
    return struct.pack("!HH", 0x8000 | t, v)


def tlv(t, v):
    return struct.pack("!HH", t, len(v)) + v


def transform_raw(next_payload, num, tid, attrs):
    return generic(next_payload, struct.pack("!BBH", num, tid, 0) + attrs)


def proposal_raw(next_payload, num, proto, spi, transforms):
    body = struct.pack("!BBBB", num, proto, len(spi), len(transforms)) + spi
    for i, (tnum, tid, attrs) in enumerate(transforms):
        body += transform_raw(3 if i + 1 < len(transforms) else 0, tnum, tid, attrs)
    return generic(next_payload, body)


def header(next_payload, exch, flags, msgid, body, icky=ICKY, rcky=bytes(8)):
    return icky + rcky + struct.pack("!BBBBII", next_payload, 0x10, exch, flags, msgid,
                                     28 + len(body)) + body


def phase1_transform(num, enc, keylen, hsh, group, life):
    t = [("Encryption", enc)]
    if keylen:
        t.append(("KeyLength", keylen))
    t += [("Hash", hsh), ("GroupDesc", group), ("Authentication", "PSK"),
          ("LifeType", "Seconds"), ("LifeDuration", life)]
    return ISAKMP_payload_Transform(num=num, id=1, transforms=t)


records = []

# Main Mode message 1 as Windows sends it: one ISAKMP proposal, transforms for AES-256,
# AES-128 and 3DES, then vendor IDs (RFC 3947, draft-02\n, DPD).
trans = (phase1_transform(1, "AES-CBC", 256, "SHA", "1024MODPgr", 28800) /
         phase1_transform(2, "AES-CBC", 128, "SHA", "1024MODPgr", 28800) /
         phase1_transform(3, "3DES-CBC", 0, "SHA", "2048MODPgr", 28800))
mm1 = (ISAKMP(init_cookie=ICKY, exch_type=2, next_payload=1) /
       ISAKMP_payload_SA(prop=ISAKMP_payload_Proposal(proposal=1, proto=1, trans_nb=3, trans=trans),
                         next_payload=13) /
       ISAKMP_payload_VendorID(load=VID_RFC3947, next_payload=13) /
       ISAKMP_payload_VendorID(load=VID_DRAFT02N, next_payload=13) /
       ISAKMP_payload_VendorID(load=VID_DPD, next_payload=0))
records.append({"name": "mm1_windows", "msg": bytes(mm1).hex(), "exchange": "2", "payloads": "1,13,13,13",
                "transforms": "3", "t1_attrs": "1:7/14:256/2:2/4:2/3:1/11:1/12:28800",
                "t3_attrs": "1:5/2:2/4:14/3:1/11:1/12:28800"})

# Main Mode message 3: KE (128 bytes, MODP 1024), Nonce (32), NAT-D x2 (RFC 3947 type 20).
ke = pat(128, 5)
ni = pat(32, 9)
natd1 = pat(20, 11)
natd2 = pat(20, 13)
body = (generic(10, ke) + generic(20, ni) + generic(20, natd1) + generic(0, natd2))
records.append({"name": "mm3_ke_nonce_natd", "msg": header(4, 2, 0, 0, body, rcky=RCKY).hex(),
                "exchange": "2", "payloads": "4,10,20,20", "ke": ke.hex(), "nonce": ni.hex(),
                "natd1": natd1.hex()})

# Scapy builds the same KE/Nonce pair (cross-check of the generic header layout).
mm3s = (ISAKMP(init_cookie=ICKY, resp_cookie=RCKY, exch_type=2, next_payload=4) /
        ISAKMP_payload_KE(load=ke, next_payload=10) / ISAKMP_payload_Nonce(load=ni, next_payload=0))
records.append({"name": "mm3_scapy", "msg": bytes(mm3s).hex(), "exchange": "2", "payloads": "4,10",
                "ke": ke.hex(), "nonce": ni.hex()})

# Main Mode message 5 payloads in the clear (what decrypts out of it): ID_IPV4_ADDR
# 192.0.2.10 proto 17 port 500, HASH_I (20 bytes), INITIAL-CONTACT notify (SPI = cookies).
idp = ISAKMP_payload_ID(IDtype=1, ProtoID=17, Port=500, load=bytes([192, 0, 2, 10]), next_payload=8)
hsh = ISAKMP_payload_Hash(load=pat(20, 17), next_payload=11)
notify = generic(0, struct.pack("!IBBH", 1, 1, 16, 24578) + ICKY + RCKY)
mm5 = (ISAKMP(init_cookie=ICKY, resp_cookie=RCKY, exch_type=2, next_payload=5) / idp / hsh /
       Raw(notify))
records.append({"name": "mm5_clear", "msg": bytes(mm5).hex(), "exchange": "2", "payloads": "5,8,11",
                "id_type": "1", "id_protocol": "17", "id_port": "500", "id_data": "c000020a",
                "notify_type": "24578", "notify_spi": (ICKY + RCKY).hex()})

# Quick Mode message 1 in the clear: HASH(1), SA with two ESP proposals (AES-256-CBC +
# HMAC-SHA1 in UDP-Encapsulated-Transport; AES-GCM-16 256 with draft encapsulation), Nonce,
# IDci 10.0.0.2 udp/1701, IDcr 203.0.113.1 udp/1701, NAT-OAi, NAT-OAr.
esp1 = (tv(1, 1) + tlv(2, struct.pack("!I", 3600)) + tv(4, 4) + tv(5, 2) + tv(6, 256) +
        tv(1, 2) + tlv(2, struct.pack("!I", 250000)))
esp2 = tv(1, 1) + tv(2, 3600) + tv(4, 61444) + tv(6, 256)
sa = struct.pack("!II", 1, 1) + proposal_raw(2, 1, 3, bytes.fromhex("c0ffee01"), [(1, 12, esp1)]) + \
    proposal_raw(0, 2, 3, bytes.fromhex("c0ffee02"), [(1, 20, esp2)])
idci = struct.pack("!BBH", 1, 17, 1701) + bytes([10, 0, 0, 2])
idcr = struct.pack("!BBH", 4, 17, 1701) + bytes([203, 0, 113, 1, 255, 255, 255, 255])
oai = struct.pack("!BBH", 1, 0, 0) + bytes([10, 0, 0, 2])
oar = struct.pack("!BBH", 1, 0, 0) + bytes([203, 0, 113, 1])
body = (generic(1, pat(20, 3)) + generic(10, sa) + generic(5, pat(16, 4)) + generic(5, idci) +
        generic(21, idcr) + generic(21, oai) + generic(0, oar))
records.append({"name": "qm1_clear", "msg": header(8, 32, 0, 0x12345678, body, rcky=RCKY).hex(),
                "exchange": "32", "payloads": "8,1,10,5,5,21,21", "message_id": "305419896",
                "proposals": "2", "p1_spi": "c0ffee01", "p1_attrs": "1:1/2:3600/4:4/5:2/6:256/1:2/2:250000",
                "p2_attrs": "1:1/2:3600/4:61444/6:256", "idcr_data": "cb007101ffffffff",
                "oa1": "0a000002"})

# Informational in the clear: HASH(1), Delete of one ISAKMP SA; another with two ESP SPIs;
# a DPD R-U-THERE (RFC 3706 §5.2: SPI = cookies, data = 32-bit sequence number).
del1 = struct.pack("!IBBH", 1, 1, 16, 1) + ICKY + RCKY
del2 = struct.pack("!IBBH", 1, 3, 4, 2) + bytes.fromhex("c0ffee01c0ffee02")
body = generic(12, pat(20, 1)) + generic(12, del1) + generic(0, del2)
records.append({"name": "info_delete", "msg": header(8, 5, 0, 0xdeadbeef, body, rcky=RCKY).hex(),
                "exchange": "5", "payloads": "8,12,12", "delete2_spis": "c0ffee01,c0ffee02"})
dpd = struct.pack("!IBBH", 1, 1, 16, 36136) + ICKY + RCKY + struct.pack("!I", 7)
body = generic(11, pat(20, 2)) + generic(0, dpd)
records.append({"name": "info_dpd", "msg": header(8, 5, 0, 0x01020304, body, rcky=RCKY).hex(),
                "exchange": "5", "payloads": "8,11", "notify_type": "36136",
                "notify_spi": (ICKY + RCKY).hex(), "notify_data": "00000007"})

# Draft NAT-D (type 130) and NAT-OA (type 131).
body = generic(130, pat(20, 21)) + generic(131, pat(20, 22)) + generic(0, oai)
records.append({"name": "draft_natd_natoa", "msg": header(130, 2, 0, 0, body, rcky=RCKY).hex(),
                "exchange": "2", "payloads": "130,130,131", "oa1": "0a000002"})

# Whole frames as the controlplane sends IKE (controlplane/ike/frame.cpp), built by scapy's
# Ether/IP/UDP with their checksums: port 500, and port 4500 with the RFC 3948 non-ESP marker.
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

for name, sport, dport, ipid in (("frame_500", 500, 500, 7), ("frame_4500", 4500, 41234, 0xBEEF)):
    msg = bytes(mm3s)
    payload = (b"\x00" * 4 if 4500 in (sport, dport) else b"") + msg
    frame = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
             IP(src="192.0.2.1", dst="203.0.113.7", id=ipid, ttl=64, flags=0) /
             UDP(sport=sport, dport=dport) / Raw(payload))
    records.append({"name": name, "msg": msg.hex(), "exchange": "2", "payloads": "4,10",
                    "frame": bytes(frame).hex(), "sport": str(sport), "dport": str(dport),
                    "ip_id": str(ipid)})

with open(HERE / "wire.txt", "w") as f:
    f.write("# ISAKMP messages from make_wire_vectors.py (scapy 2.5 + struct.pack from the RFC\n"
            "# diagrams). Attributes are type:value lists in wire order.\n\n")
    for r in records:
        for k, v in r.items():
            f.write(f"{k} = {v}\n")
        f.write("\n")
