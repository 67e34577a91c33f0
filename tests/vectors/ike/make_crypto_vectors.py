#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Regenerates derivations.txt and rfc5903_ecp.txt: an independent reference for the IKEv1
# key-exchange crypto of controlplane/ike/crypto.cpp, written from RFC 2409 with Python's
# hashlib/hmac, pow() and python3-cryptography (no code shared with the C++ side):
#
#   /usr/bin/python3 tests/vectors/ike/make_crypto_vectors.py
#
# - MODP primes are computed from their RFC 2409 §6.1/§6.2 and RFC 3526 §2/§3 definitions
#   (2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + k)) with mpmath, and checked to be safe
#   primes with sympy, so the C++ hex constants are checked against the formula.
# - ECP groups 19/20 use RFC 5903 §8's test vectors, checked here with cryptography's ECDH
#   (KE data = x | y, shared secret = x, RFC 5903 §7).
# - Per suite: SKEYID for pre-shared keys and SKEYID_d/a/e (RFC 2409 §5), the cipher key with
#   Appendix B expansion, the phase-1 IV (App. B), HASH_I/HASH_R (§5), a CBC encryption of a
#   sample payload, the Quick Mode IV, HASH(1)/(2)/(3) and KEYMAT with and without PFS (§5.5),
#   the Informational HASH(1) (§5.7) and a NAT-D hash (RFC 3947 §3.2).
import hashlib
import hmac
from pathlib import Path

import mpmath
import sympy
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = Path(__file__).resolve().parent

mpmath.mp.prec = 2300


def modp(n, k):
    pi_part = int(mpmath.floor(mpmath.mpf(2) ** (n - 130) * mpmath.pi))
    p = 2 ** n - 2 ** (n - 64) - 1 + 2 ** 64 * (pi_part + k)
    assert sympy.isprime(p) and sympy.isprime((p - 1) // 2), n
    return p


MODP = {1: modp(768, 149686), 2: modp(1024, 129093), 5: modp(1536, 741804), 14: modp(2048, 124476)}
ECP = {19: (ec.SECP256R1(), 32), 20: (ec.SECP384R1(), 48)}

# RFC 5903 §8.1 and §8.2.
RFC5903 = [
    {"group": 19,
     "i": "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
     "gix": "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180",
     "giy": "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
     "r": "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
     "grx": "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63",
     "gry": "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
     "girx": "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"},
    {"group": 20,
     "i": "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
     "grx": "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571",
     "gry": "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
     "girx": "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"},
]

HASHES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}
CIPHERS = {  # name: (key length, block size)
    "des": (8, 8), "3des": (24, 8), "aes128": (16, 16), "aes256": (32, 16)}
ESP_ENC_LEN = {"des": 8, "3des": 24, "aes128": 16, "aes256": 32, "aes128gcm": 20, "aes256gcm": 36}
ESP_AUTH_LEN = {"none": 0, "md5": 16, "sha1": 20, "sha256": 32}


def pat(n, seed):
    return bytes((i * 29 + seed * 7 + 1) & 0xFF for i in range(n))


def prf(h, key, *parts):
    return hmac.new(key, b"".join(parts), HASHES[h]).digest()


def H(h, *parts):
    return HASHES[h](b"".join(parts)).digest()


def i2b(v, n):
    return v.to_bytes(n, "big")


def dh_public(group, x):
    if group in MODP:
        p = MODP[group]
        return i2b(pow(2, x, p), (p.bit_length() + 7) // 8)
    curve, n = ECP[group]
    pub = ec.derive_private_key(x, curve).public_key().public_numbers()
    return i2b(pub.x, n) + i2b(pub.y, n)


def dh_shared(group, x, peer):
    if group in MODP:
        p = MODP[group]
        return i2b(pow(int.from_bytes(peer, "big"), x, p), (p.bit_length() + 7) // 8)
    curve, n = ECP[group]
    peer_key = ec.EllipticCurvePublicNumbers(int.from_bytes(peer[:n], "big"),
                                             int.from_bytes(peer[n:], "big"), curve).public_key()
    return ec.derive_private_key(x, curve).exchange(ec.ECDH(), peer_key)


def cipher_key(h, skeyid_e, length):
    # RFC 2409 Appendix B: K = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1),
    # only when SKEYID_e is shorter than the key.
    if len(skeyid_e) >= length:
        return skeyid_e[:length]
    k = prf(h, skeyid_e, b"\x00")
    out = k
    while len(out) < length:
        k = prf(h, skeyid_e, k)
        out += k
    return out[:length]


def cbc_encrypt(name, key, iv, data):
    if name in ("des", "3des"):
        algo = algorithms.TripleDES(key * 3 if name == "des" else key)
    else:
        algo = algorithms.AES(key)
    enc = Cipher(algo, modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def keymat(h, skeyid_d, gqm, protocol, spi, ni, nr, length):
    seed = (gqm or b"") + bytes([protocol]) + spi + ni + nr
    k = prf(h, skeyid_d, seed)
    out = k
    while len(out) < length:
        k = prf(h, skeyid_d, k + seed)
        out += k
    return out[:length]


SUITES = [
    # name, cipher, hash, group, ESP cipher, ESP auth, PFS group (None = no PFS)
    ("windows_aes256_sha1_modp1024", "aes256", "sha1", 2, "aes256", "sha1", None),
    ("macos_aes256_sha256_modp2048", "aes256", "sha256", 14, "aes256", "sha256", None),
    ("android_3des_sha1_modp1024", "3des", "sha1", 2, "3des", "sha1", None),
    ("des_md5_modp768_pfs", "des", "md5", 1, "des", "md5", 1),
    ("aes128_md5_modp1536", "aes128", "md5", 5, "aes128", "sha256", None),
    ("aes128_sha256_ecp256_gcm_pfs", "aes128", "sha256", 19, "aes128gcm", "none", 19),
    ("aes256_sha256_ecp384_gcm", "aes256", "sha256", 20, "aes256gcm", "none", None),
    ("3des_md5_modp2048_pfs14", "3des", "md5", 14, "3des", "md5", 14),
]

out = []
for idx, (name, cname, hname, group, esp_c, esp_a, pfs) in enumerate(SUITES):
    s = idx + 1
    r = {"name": name, "cipher": cname, "hash": hname, "group": str(group),
         "esp_cipher": esp_c, "esp_auth": esp_a, "pfs_group": str(pfs or 0)}
    cky_i, cky_r = pat(8, s), pat(8, s + 50)
    psk = b"psk-" + name.encode()
    ni, nr = pat(16 + s, s + 1), pat(20 + s, s + 2)
    xi = int.from_bytes(pat(32, s + 3), "big") | 1
    xr = int.from_bytes(pat(32, s + 4), "big") | 1
    gxi, gxr = dh_public(group, xi), dh_public(group, xr)
    gxy = dh_shared(group, xi, gxr)
    assert gxy == dh_shared(group, xr, gxi)
    sai_b = pat(48, s + 5)
    idii_b = bytes([1, 17, 1, 0xF4]) + pat(4, s + 6)
    idir_b = bytes([1, 17, 1, 0xF4]) + pat(4, s + 7)
    r.update({"cky_i": cky_i.hex(), "cky_r": cky_r.hex(), "psk": psk.hex(), "ni": ni.hex(),
              "nr": nr.hex(), "xi": i2b(xi, 32).hex(), "xr": i2b(xr, 32).hex(), "gxi": gxi.hex(),
              "gxr": gxr.hex(), "gxy": gxy.hex(), "sai_b": sai_b.hex(), "idii_b": idii_b.hex(),
              "idir_b": idir_b.hex()})
    skeyid = prf(hname, psk, ni, nr)
    skeyid_d = prf(hname, skeyid, gxy, cky_i, cky_r, b"\x00")
    skeyid_a = prf(hname, skeyid, skeyid_d, gxy, cky_i, cky_r, b"\x01")
    skeyid_e = prf(hname, skeyid, skeyid_a, gxy, cky_i, cky_r, b"\x02")
    klen, block = CIPHERS[cname]
    key = cipher_key(hname, skeyid_e, klen)
    iv = H(hname, gxi, gxr)[:block]
    hash_i = prf(hname, skeyid, gxi, gxr, cky_i, cky_r, sai_b, idii_b)
    hash_r = prf(hname, skeyid, gxr, gxi, cky_r, cky_i, sai_b, idir_b)
    plain = pat(48, s + 8)
    ct = cbc_encrypt(cname, key, iv, plain)
    r.update({"skeyid": skeyid.hex(), "skeyid_d": skeyid_d.hex(), "skeyid_a": skeyid_a.hex(),
              "skeyid_e": skeyid_e.hex(), "enc_key": key.hex(), "iv": iv.hex(),
              "hash_i": hash_i.hex(), "hash_r": hash_r.hex(), "plain": plain.hex(),
              "cipher_text": ct.hex()})
    # Phase 2: the IV from the last CBC block of phase 1 (here: of cipher_text) and M-ID.
    msgid = 0x10203040 + s
    last_block = ct[-block:]
    qm_iv = H(hname, last_block, msgid.to_bytes(4, "big"))[:block]
    ni2, nr2 = pat(24, s + 9), pat(28, s + 10)
    after1 = pat(40 + s, s + 11)  # the payloads after HASH(1) (SA, Ni, [KE], [IDs])
    after2 = pat(36 + s, s + 12)
    mid = msgid.to_bytes(4, "big")
    hash1 = prf(hname, skeyid_a, mid, after1)
    hash2 = prf(hname, skeyid_a, mid, ni2, after2)
    hash3 = prf(hname, skeyid_a, b"\x00", mid, ni2, nr2)
    spi_i, spi_r = pat(4, s + 13), pat(4, s + 14)
    gqm = None
    if pfs:
        yi = int.from_bytes(pat(32, s + 15), "big") | 1
        yr = int.from_bytes(pat(32, s + 16), "big") | 1
        gyi, gyr = dh_public(pfs, yi), dh_public(pfs, yr)
        gqm = dh_shared(pfs, yi, gyr)
        r.update({"yi": i2b(yi, 32).hex(), "yr": i2b(yr, 32).hex(), "gyi": gyi.hex(),
                  "gyr": gyr.hex(), "gqm_xy": gqm.hex()})
    kl = ESP_ENC_LEN[esp_c] + ESP_AUTH_LEN[esp_a]
    km_i = keymat(hname, skeyid_d, gqm, 3, spi_i, ni2, nr2, kl)
    km_r = keymat(hname, skeyid_d, gqm, 3, spi_r, ni2, nr2, kl)
    info_mid = (0xA0B0C0D0 + s).to_bytes(4, "big")
    info_after = pat(28, s + 17)
    info_hash = prf(hname, skeyid_a, info_mid, info_after)
    natd = H(hname, cky_i, cky_r, bytes([192, 0, 2, s]), (4500).to_bytes(2, "big"))
    r.update({"last_block": last_block.hex(), "msgid": str(msgid), "qm_iv": qm_iv.hex(),
              "ni2": ni2.hex(), "nr2": nr2.hex(), "qm_after_hash1": after1.hex(),
              "qm_after_hash2": after2.hex(), "hash1": hash1.hex(), "hash2": hash2.hex(),
              "hash3": hash3.hex(), "spi_i": spi_i.hex(), "spi_r": spi_r.hex(),
              "keymat_len": str(kl), "keymat_spi_i": km_i.hex(), "keymat_spi_r": km_r.hex(),
              "info_msgid": str(int.from_bytes(info_mid, "big")), "info_after_hash": info_after.hex(),
              "info_hash": info_hash.hex(), "natd_addr": f"192.0.2.{s}", "natd_port": "4500",
              "natd_hash": natd.hex()})
    out.append(r)

with open(HERE / "derivations.txt", "w") as f:
    f.write("# IKEv1 derivations (RFC 2409 §5, §5.5, App. B; RFC 3947 §3.2) per suite, computed by\n"
            "# make_crypto_vectors.py with hashlib/hmac/pow/python3-cryptography. Nonces, cookies,\n"
            "# DH private values, SPIs and payload bytes are fixed patterns; see the script.\n\n")
    for r in out:
        for k, v in r.items():
            f.write(f"{k} = {v}\n")
        f.write("\n")

# RFC 5903 §8 checked with cryptography, plus our public values for i (and r where given).
with open(HERE / "rfc5903_ecp.txt", "w") as f:
    f.write("# RFC 5903 §8.1 (group 19, ECP-256) and §8.2 (group 20, ECP-384): private i, its\n"
            "# public g^i = x | y, the peer's g^r, and the shared secret g^ir = x only (§7). §8.1's\n"
            "# g^i and r/g^r are as published; §8.2's g^i is i*G computed by make_crypto_vectors.py,\n"
            "# and both shared secrets are checked there with python3-cryptography.\n\n")
    for v in RFC5903:
        curve, n = ECP[v["group"]]
        i = int(v["i"], 16)
        gi = dh_public(v["group"], i)
        if "gix" in v:
            assert gi.hex().upper() == v["gix"] + v["giy"]
        gr = bytes.fromhex(v["grx"] + v["gry"])
        z = dh_shared(v["group"], i, gr)
        assert z.hex().upper() == v["girx"], v["group"]
        if "r" in v:
            assert dh_shared(v["group"], int(v["r"], 16), gi) == z
        f.write(f"group = {v['group']}\ni = {v['i'].lower()}\ngi = {gi.hex()}\n")
        f.write(f"gr = {gr.hex()}\ngir = {z.hex()}\n")
        if "r" in v:
            f.write(f"r = {v['r'].lower()}\n")
        f.write("\n")

# The MODP primes (for the C++ constants' test).
with open(HERE / "modp_primes.txt", "w") as f:
    f.write("# RFC 2409 §6.1/§6.2 and RFC 3526 §2/§3 primes computed from their pi formulas by\n"
            "# make_crypto_vectors.py (safe primes, checked with sympy); generator 2.\n\n")
    for g, p in MODP.items():
        f.write(f"group = {g}\np = {i2b(p, (p.bit_length() + 7) // 8).hex()}\n\n")
