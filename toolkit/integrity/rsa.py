"""RSA public keys and PKCS#1 v1.5 SHA-256 signatures (RFC 8017), as CloudTrail signs digests.

Verification needs one modular exponentiation with a small public exponent, which Python's `pow`
does in well under a millisecond, so trailcsi carries no cryptography dependency. A signature is
checked the robust way: the expected encoded message is built from the hash and compared in full
with the one recovered from the signature (nothing is parsed out of attacker-controlled bytes).

Key generation and signing exist for the synthetic sample archive only (its digests must be signed
by some key); they are deterministic given a seeded random generator and are not meant to protect
anything. Signing is two modular exponentiations of 1,024-bit numbers, about 10 ms in Python: half
of the time of writing the sample's 432 digests. Where the `cryptography` package is installed
(it is not required), it signs instead, in about 0.5 ms. A PKCS#1 v1.5 signature is deterministic,
and each one it gives is checked here (`PublicKey.verify`, which compares the whole encoded
message: a signature that passes is the one Python would give) before it is used: else, or if the
package fails in any way, Python signs. The bytes are the same either way.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import random
from dataclasses import dataclass
from typing import Any

#: DER of DigestInfo{sha256, NULL} followed by the OCTET STRING header of a 32-byte hash.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")


class KeyFormatError(ValueError):
    """The bytes are not an RSA public key in PKCS#1 or SubjectPublicKeyInfo DER."""


@dataclass(frozen=True)
class PublicKey:
    n: int
    e: int

    @property
    def size(self) -> int:
        """The modulus length in bytes (the length of every signature)."""
        return (self.n.bit_length() + 7) // 8

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if `signature` is this key's PKCS#1 v1.5 SHA-256 signature of `message`."""
        if len(signature) != self.size:
            return False
        value = int.from_bytes(signature, "big")
        if value >= self.n:
            return False
        recovered = pow(value, self.e, self.n).to_bytes(self.size, "big")
        return hmac.compare_digest(recovered, encode_sha256(message, self.size))

    def der(self) -> bytes:
        """PKCS#1 RSAPublicKey DER (what CloudTrail's ListPublicKeys returns, base64-encoded)."""
        return _sequence(_integer(self.n) + _integer(self.e))

    def fingerprint(self) -> str:
        """MD5 of the DER key, hex: the shape of CloudTrail's `digestPublicKeyFingerprint`."""
        return hashlib.md5(self.der(), usedforsecurity=False).hexdigest()

    def base64(self) -> str:
        return base64.b64encode(self.der()).decode("ascii")


@dataclass(frozen=True)
class PrivateKey:
    n: int
    e: int
    d: int
    p: int
    q: int

    def public(self) -> PublicKey:
        return PublicKey(self.n, self.e)

    def sign(self, message: bytes) -> bytes:
        """PKCS#1 v1.5 SHA-256 signature: by the `cryptography` package when it is installed and
        its signature verifies, else in Python (`sign_in_python`); the same bytes either way."""
        fast = _signed_by_cryptography(self, message)
        if fast is not None and self.public().verify(message, fast):
            return fast
        return self.sign_in_python(message)

    def sign_in_python(self, message: bytes) -> bytes:
        """PKCS#1 v1.5 SHA-256 signature (CRT)."""
        size = (self.n.bit_length() + 7) // 8
        m = int.from_bytes(encode_sha256(message, size), "big")
        s1 = pow(m, self.d % (self.p - 1), self.p)
        s2 = pow(m, self.d % (self.q - 1), self.q)
        h = (pow(self.q, -1, self.p) * (s1 - s2)) % self.p
        return (s2 + h * self.q).to_bytes(size, "big")


#: Whether `PrivateKey.sign` may use the `cryptography` package when it is installed.
USE_CRYPTOGRAPHY = True


@functools.lru_cache(maxsize=8)
def _cryptography_key(key: PrivateKey) -> Any:
    """The key as the `cryptography` package holds it, or None (not installed, broken, or the key
    refused)."""
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa as crypto

        return crypto.RSAPrivateNumbers(
            key.p,
            key.q,
            key.d,
            crypto.rsa_crt_dmp1(key.d, key.p),
            crypto.rsa_crt_dmq1(key.d, key.q),
            crypto.rsa_crt_iqmp(key.p, key.q),
            crypto.RSAPublicNumbers(key.e, key.n),
        ).private_key()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # (a broken install can raise a BaseException: pyo3's PanicException)
        return None


def _signed_by_cryptography(key: PrivateKey, message: bytes) -> bytes | None:
    """The `cryptography` package's signature, or None (not to be used, or not available)."""
    if not USE_CRYPTOGRAPHY:
        return None
    held = _cryptography_key(key)
    if held is None:
        return None
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = held.sign(message, padding.PKCS1v15(), hashes.SHA256())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        return None
    return signature if isinstance(signature, bytes) else None


def encode_sha256(message: bytes, size: int) -> bytes:
    """EMSA-PKCS1-v1_5 encoding of SHA-256(message) for a `size`-byte modulus."""
    t = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    if size < len(t) + 11:
        raise ValueError("modulus too short for a SHA-256 signature")
    return b"\x00\x01" + b"\xff" * (size - len(t) - 3) + b"\x00" + t


def load_public_key(data: bytes) -> PublicKey:
    """An RSA public key from DER: PKCS#1 RSAPublicKey or X.509 SubjectPublicKeyInfo."""
    try:
        tag, body, end = _read(data, 0)
        if tag != 0x30 or end != len(data):
            raise KeyFormatError("not a DER SEQUENCE")
        first_tag, first, after = _read(body, 0)
        if first_tag == 0x02:  # PKCS#1: SEQUENCE { INTEGER n, INTEGER e }
            return _rsa_public_key(data)
        if first_tag != 0x30:
            raise KeyFormatError("neither PKCS#1 nor SubjectPublicKeyInfo")
        oid_tag, oid, _ = _read(first, 0)
        if oid_tag != 0x06 or oid != _RSA_ENCRYPTION_OID:
            raise KeyFormatError("not an RSA key (algorithm is not rsaEncryption)")
        bits_tag, bits, _ = _read(body, after)
        if bits_tag != 0x03 or not bits or bits[0] != 0:
            raise KeyFormatError("malformed subjectPublicKey BIT STRING")
        return _rsa_public_key(bits[1:])
    except IndexError:
        raise KeyFormatError("truncated DER") from None


#: The public exponent of the keys made here.
_E = 65537


def generate(rng: random.Random, bits: int = 2048) -> PrivateKey:
    """A key pair from `rng` (deterministic for a seeded generator). For the sample archive only."""
    while True:
        p = _prime(rng, bits // 2)
        q = _prime(rng, bits - bits // 2)
        n = p * q
        if p != q and n.bit_length() == bits and (p - 1) * (q - 1) % _E:
            return from_primes(p, q)


def from_primes(p: int, q: int) -> PrivateKey:
    """The key pair of primes p and q, with the public exponent 65537."""
    return PrivateKey(p * q, _E, pow(_E, -1, (p - 1) * (q - 1)), p, q)


# -- DER -------------------------------------------------------------------------------------


def _read(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, contents, position after) of the TLV at `pos` (definite lengths only)."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise KeyFormatError("unsupported DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise KeyFormatError("truncated DER")
    return tag, data[pos:end], end


def _rsa_public_key(data: bytes) -> PublicKey:
    tag, body, end = _read(data, 0)
    if tag != 0x30 or end != len(data):
        raise KeyFormatError("RSAPublicKey is not a SEQUENCE")
    n_tag, n, after = _read(body, 0)
    e_tag, e, last = _read(body, after)
    if n_tag != 0x02 or e_tag != 0x02 or last != len(body):
        raise KeyFormatError("RSAPublicKey is not two INTEGERs")
    modulus, exponent = int.from_bytes(n, "big"), int.from_bytes(e, "big")
    if modulus.bit_length() < 1024 or exponent < 3 or exponent % 2 == 0:
        raise KeyFormatError("implausible RSA key (modulus under 1024 bits or bad exponent)")
    return PublicKey(modulus, exponent)


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    return b"\x02" + _length(len(raw)) + raw


def _sequence(body: bytes) -> bytes:
    return b"\x30" + _length(len(body)) + body


# -- primes (sample keys only) -------------------------------------------------------------------

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if any(candidate % p == 0 for p in _SMALL_PRIMES):
            continue
        if _probably_prime(candidate, rng, rounds=40):
            return candidate


def _probably_prime(n: int, rng: random.Random, rounds: int) -> bool:
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True
