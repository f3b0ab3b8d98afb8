"""FF1 format-preserving encryption (NIST SP 800-38G), over AES.

Why FF1: it is the NIST-approved way to encrypt a short string of digits into another string of the
same alphabet and length, which is exactly a printed code. (FF3-1 was withdrawn from the draft
revision of SP 800-38G in 2025; FF1 stands.) No maintained Python package does FF1 at millions of
codes per second, so there are two implementations here, checked against each other:

- `FF1`: the algorithm as the standard writes it, any radix and tweak; tests run NIST's samples.
- `Radix32FF1`: the same function for onecode's code body (15 base-32 numerals, empty tweak),
  where every NUM/STR conversion is a bit shift. Its `encrypt_many` runs the ten Feistel rounds on
  numpy arrays, with one bulk AES-ECB call per round (the PRF of a one-block input is one AES call),
  which is what lets a packaging plant's print files stream at line speed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

U64 = npt.NDArray[np.uint64]


def _ecb(key: bytes) -> Cipher[modes.ECB]:
    if len(key) not in (16, 24, 32):
        raise ValueError("FF1 needs an AES key of 16, 24 or 32 bytes")
    # ECB is right here: FF1 uses AES as a block function on one-block inputs, never on data.
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305


class FF1:
    """FF1 exactly as in SP 800-38G section 5.1 (Algorithms 7 and 8)."""

    def __init__(self, key: bytes, radix: int) -> None:
        if not 2 <= radix <= 2**16:
            raise ValueError("radix must be in [2, 65536]")
        self.radix = radix
        self._aes = _ecb(key).encryptor()

    def _prf(self, data: bytes) -> bytes:
        y = bytes(16)
        for j in range(0, len(data), 16):
            block = bytes(a ^ b for a, b in zip(y, data[j : j + 16], strict=True))
            y = self._aes.update(block)
        return y

    def _num(self, numerals: Sequence[int]) -> int:
        x = 0
        for digit in numerals:
            x = x * self.radix + digit
        return x

    def _str(self, x: int, m: int) -> list[int]:
        out = [0] * m
        for j in range(m - 1, -1, -1):
            x, out[j] = divmod(x, self.radix)
        return out

    def _y(self, p: bytes, tweak: bytes, b: int, d: int, i: int, numerals: Sequence[int]) -> int:
        pad = (-len(tweak) - b - 1) % 16
        q = tweak + bytes(pad) + bytes([i]) + self._num(numerals).to_bytes(b, "big")
        r = self._prf(p + q)
        s = r
        j = 1
        while len(s) < d:
            s += self._aes.update((int.from_bytes(r, "big") ^ j).to_bytes(16, "big"))
            j += 1
        return int.from_bytes(s[:d], "big")

    def _setup(self, n: int, tweak: bytes) -> tuple[int, int, int, int, bytes]:
        if n < 2 or self.radix**n < 1_000_000:
            raise ValueError("FF1 domain must hold at least a million values")
        u, v = n // 2, n - n // 2
        # ceil(ceil(v * log2(radix)) / 8) in exact arithmetic, as ceil(log2 N) = (N-1).bit_length()
        b = ((self.radix**v - 1).bit_length() + 7) // 8
        d = 4 * math.ceil(b / 4) + 4
        p = (
            bytes([1, 2, 1])
            + self.radix.to_bytes(3, "big")
            + bytes([10, u % 256])
            + n.to_bytes(4, "big")
            + len(tweak).to_bytes(4, "big")
        )
        return u, v, b, d, p

    def encrypt(self, numerals: Sequence[int], tweak: bytes = b"") -> list[int]:
        n = len(numerals)
        u, _v, b, d, p = self._setup(n, tweak)
        a, bb = list(numerals[:u]), list(numerals[u:])
        for i in range(10):
            m = u if i % 2 == 0 else n - u
            c = (self._num(a) + self._y(p, tweak, b, d, i, bb)) % self.radix**m
            a, bb = bb, self._str(c, m)
        return a + bb

    def decrypt(self, numerals: Sequence[int], tweak: bytes = b"") -> list[int]:
        n = len(numerals)
        u, _v, b, d, p = self._setup(n, tweak)
        a, bb = list(numerals[:u]), list(numerals[u:])
        for i in range(9, -1, -1):
            m = u if i % 2 == 0 else n - u
            c = (self._num(bb) - self._y(p, tweak, b, d, i, a)) % self.radix**m
            a, bb = self._str(c, m), a
        return a + bb


_MASKS = ((1 << 35) - 1, (1 << 40) - 1)  # mod radix^u in even rounds, radix^v in odd ones


class Radix32FF1:
    """FF1 with radix 32, 15 numerals (75 bits) and an empty tweak, on integers.

    The 15 numerals are the 75-bit integer's 5-bit groups, most significant first, so
    NUM_radix(A) is simply the top 35 bits and NUM_radix(B) the low 40 bits.
    """

    N, U, V = 15, 7, 8
    BITS = 75
    _B, _D = 5, 12  # bytes of NUM(B) in Q, and bytes of S, per the standard for these sizes

    def __init__(self, key: bytes) -> None:
        self._aes = _ecb(key).encryptor()
        p = bytes([1, 2, 1]) + (32).to_bytes(3, "big") + bytes([10, self.U])
        p += self.N.to_bytes(4, "big") + (0).to_bytes(4, "big")
        # CBC-MAC of P||Q = AES(AES(P) xor Q): the first block is constant per key.
        self._c0 = int.from_bytes(self._aes.update(p), "big")
        self._round_c0 = [self._c0 ^ (i << 40) for i in range(10)]  # Q's round byte folded in
        c0 = np.frombuffer(self._c0.to_bytes(16, "big"), dtype=np.uint8)
        self._c0_lo = c0[:8].copy()
        self._c0_hi_word = c0[8:].view("<u8")[0]

    def _y(self, i: int, b: int) -> int:
        # Q = 0^10 || [i]_1 || [NUM(B)]_5 ; y mod 2^40 is bytes 7..11 of the 12-byte S.
        out = self._aes.update((self._c0 ^ (i << 40) ^ b).to_bytes(16, "big"))
        return int.from_bytes(out[7:12], "big")

    def encrypt(self, x: int) -> int:
        a, b = x >> 40, x & 0xFF_FFFF_FFFF
        for i in range(10):
            mask = (1 << 35) - 1 if i % 2 == 0 else (1 << 40) - 1
            a, b = b, (a + self._y(i, b)) & mask
        return (a << 40) | b

    def decrypt(self, x: int) -> int:
        # The scan path's one cryptographic cost: the rounds are inlined to keep it under ~10 µs.
        a, b = x >> 40, x & 0xFF_FFFF_FFFF
        aes, c0, num = self._aes.update, self._round_c0, int.from_bytes
        for i in range(9, -1, -1):
            y = num(aes((c0[i] ^ a).to_bytes(16, "big"))[7:12], "big")
            a, b = (b - y) & _MASKS[i & 1], a
        return (a << 40) | b

    def encrypt_many(self, high: U64, low: U64) -> tuple[U64, U64]:
        """Encrypt arrays of (top 35 bits, low 40 bits); returns the same split of the results.

        Callers pass chunks of a few tens of thousands so the working set stays in cache.
        """
        n = len(low)
        block = np.empty((n, 16), dtype=np.uint8)
        block[:, :8] = self._c0_lo
        words = block.view(np.uint64).reshape(n, 2)
        out = np.empty(n * 16 + 15, dtype=np.uint8)  # update_into wants a block of slack
        out_words = out[: n * 16].view(np.uint64).reshape(n, 2)
        y = np.empty(n, dtype=np.uint64)
        tmp = np.empty(n, dtype=np.uint64)
        a, b = high.astype(np.uint64, copy=True), low.astype(np.uint64, copy=True)
        s32, s56 = np.uint64(32), np.uint64(56)
        for i in range(10):
            mask = np.uint64((1 << 35) - 1 if i % 2 == 0 else (1 << 40) - 1)
            # Bytes 8..15 of the block as a little-endian word: C0 xor (i at byte 10, B big-endian
            # at bytes 11..15). Byte-swapping B (< 2^40) puts its five bytes at memory bytes 3..7.
            np.bitwise_xor(b.byteswap(), self._c0_hi_word ^ np.uint64(i << 16), out=words[:, 1])
            self._aes.update_into(block.data, out.data)
            np.right_shift(out_words[:, 0], s56, out=y)  # byte 7
            np.left_shift(y, s32, out=y)
            np.right_shift(out_words[:, 1].byteswap(), s32, out=tmp)  # bytes 8..11
            np.bitwise_or(y, tmp, out=y)
            np.add(a, y, out=a)
            np.bitwise_and(a, mask, out=a)
            a, b = b, a
        return a, b
