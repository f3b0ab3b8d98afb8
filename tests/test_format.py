"""The printed format: alphabet, check character, typos."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from codegen import format as fmt

bodies = st.integers(0, 2**75 - 1)
key_ids = st.integers(0, fmt.KEY_ID_SPACE - 1).map(fmt.int_to_key_id)


@settings(max_examples=60)
@given(key_id=key_ids, body=bodies)
def test_every_single_substitution_is_caught(key_id: str, body: int) -> None:
    code = fmt.assemble(key_id, body)
    assert fmt.split(code) == (key_id, body)
    for i in range(fmt.CODE_LENGTH):
        for ch in fmt.ALPHABET:
            if ch != code[i]:
                assert fmt.split(code[:i] + ch + code[i + 1 :]) is None


@settings(max_examples=60)
@given(key_id=key_ids, body=bodies, data=st.data())
def test_insertions_and_deletions_are_not_codes(
    key_id: str, body: int, data: st.DataObject
) -> None:
    code = fmt.assemble(key_id, body)
    i = data.draw(st.integers(0, fmt.CODE_LENGTH - 1))
    assert fmt.normalize(code[:i] + code[i + 1 :]) is None
    assert fmt.normalize(code[:i] + data.draw(st.sampled_from(fmt.ALPHABET)) + code[i:]) is None


@settings(max_examples=200)
@given(key_id=key_ids, body=bodies)
def test_adjacent_swaps_are_caught_but_for_luhns_one_blind_pair(key_id: str, body: int) -> None:
    code = fmt.assemble(key_id, body)
    # Luhn mod N cannot see a swap of the values 0 and N-1 (as 09 <-> 90 in base 10); every
    # other adjacent swap of two different characters must fail the check.
    blind = {fmt.ALPHABET[0], fmt.ALPHABET[-1]}
    for i in range(fmt.CODE_LENGTH - 1):
        pair = {code[i], code[i + 1]}
        if len(pair) == 1 or pair == blind:
            continue
        assert fmt.split(code[:i] + code[i + 1] + code[i] + code[i + 2 :]) is None, i


def test_normalize_reads_what_people_type() -> None:
    code = fmt.assemble("7KQ", 123456789)
    messy = fmt.display(code).lower()
    assert fmt.normalize(messy) == code
    assert fmt.normalize(" " + code[:5] + " " + code[5:] + "\t") == code
    zero_code = fmt.assemble("00A", 0)
    assert fmt.normalize(zero_code.replace("0", "O")) == zero_code
    assert fmt.normalize(code[:-1]) is None
    assert fmt.normalize(code[:-1] + "U") is None  # U is not in the alphabet
    assert fmt.normalize(code[:-1] + "?") is None


def test_alphabet_is_qr_alphanumeric_without_lookalikes() -> None:
    qr_alnum = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert set(fmt.ALPHABET) <= qr_alnum
    assert not set("ILOU") & set(fmt.ALPHABET)
    assert len(set(fmt.ALPHABET)) == fmt.RADIX


@settings(max_examples=20)
@given(key_id=key_ids, values=st.lists(bodies, min_size=1, max_size=200))
def test_vectorized_assembly_equals_scalar(key_id: str, values: list[int]) -> None:
    high = np.array([v >> 40 for v in values], dtype=np.uint64)
    low = np.array([v & (2**40 - 1) for v in values], dtype=np.uint64)
    rows = fmt.assemble_many(key_id, high, low)
    assert [r.tobytes().decode() for r in rows] == [fmt.assemble(key_id, v) for v in values]


def test_key_id_round_trip() -> None:
    for value in (0, 1, 31, 32, 1000, fmt.KEY_ID_SPACE - 1):
        assert fmt.key_id_to_int(fmt.int_to_key_id(value)) == value
