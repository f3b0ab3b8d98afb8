"""Issuing, sealing and opening codes: forgeries and typos are told apart, with no database."""

from __future__ import annotations

import random
import secrets
from unittest import mock

import pytest

import codegen
from codegen import format as fmt
from codegen.batches import batch_of
from codegen.errors import CodeCheckFailed, CodeNotGenuine, MalformedCode
from codegen.keys import KeyRing
from infra.db import session_scope
from tests.conftest import BrandCtx


def _issue(brand: BrandCtx, kind: str = "cap", count: int = 1000) -> tuple[int, list[str]]:
    with session_scope() as s:
        batch = codegen.issue_batch(s, brand_id=brand.id, kind=kind, count=count)
        sample = [codegen.code_at(s, batch, i) for i in (0, 1, count // 2, count - 1)]
        return batch.id, sample


def test_issued_codes_open_to_their_serials(brand: BrandCtx) -> None:
    with session_scope() as s:
        batch = codegen.issue_batch(s, brand_id=brand.id, kind="cap", count=500)
        codes = [codegen.code_at(s, batch, i) for i in range(500)]
        first = batch.first_serial
    assert len(set(codes)) == 500
    assert all(len(c) == fmt.CODE_LENGTH and set(c) <= set(fmt.ALPHABET) for c in codes)
    for i, code in enumerate(codes):
        sealed = codegen.open_code(code)
        assert (sealed.brand_id, sealed.serial) == (brand.id, first + i)


def test_scan_url_and_human_forms_are_accepted(brand: BrandCtx) -> None:
    _, codes = _issue(brand)
    code = codes[0]
    expected = codegen.open_code(code).serial
    for form in (
        f"HTTPS://QR.EXAMPLE.CN/C/{code}",
        f"https://qr.example.cn/c/{code.lower()}?from=wechat",
        fmt.display(code),
        fmt.display(code).lower(),
    ):
        assert codegen.open_code(form).serial == expected


def test_typos_are_check_failures_not_forgeries(brand: BrandCtx) -> None:
    _, codes = _issue(brand)
    code = codes[1]
    for i in range(fmt.CODE_LENGTH):
        typo = code[:i] + random.choice([c for c in fmt.ALPHABET if c != code[i]]) + code[i + 1 :]
        with pytest.raises(CodeCheckFailed) as err:
            codegen.open_code(typo)
        assert err.value.code == "CODE_CHECK_FAILED"


@pytest.mark.parametrize(
    "text", ["", "ABC", "A" * 40, "7KQ-!!!!-????", "https://x.cn/c/", "中文码"]
)
def test_malformed_input(text: str) -> None:
    with pytest.raises(MalformedCode) as err:
        codegen.open_code(text)
    assert err.value.code == "CODE_MALFORMED"


def test_forgeries_with_a_valid_check_character_are_rejected(brand: BrandCtx) -> None:
    """A forger who knows the format and the brand's key id: 2^-35 odds per try."""
    _, codes = _issue(brand)
    key_id = codes[0][: fmt.KEY_ID_LENGTH]
    accepted = 0
    for _ in range(20_000):
        forged = fmt.assemble(key_id, secrets.randbits(75))
        try:
            codegen.open_code(forged)
            accepted += 1
        except CodeNotGenuine:
            pass
    assert accepted == 0


def test_unknown_key_id_is_not_genuine(brand: BrandCtx) -> None:
    _, codes = _issue(brand)
    used = codes[0][: fmt.KEY_ID_LENGTH]
    other = next(
        fmt.int_to_key_id(v)
        for v in range(fmt.KEY_ID_SPACE)
        if fmt.int_to_key_id(v) != used and codegen.keyring.entry(fmt.int_to_key_id(v)) is None
    )
    forged = fmt.assemble(other, fmt.split(codes[0])[1])  # type: ignore[index]
    with pytest.raises(CodeNotGenuine):
        codegen.open_code(forged)


def test_verification_reads_no_database_once_keys_are_loaded(brand: BrandCtx) -> None:
    _, codes = _issue(brand)
    ring = KeyRing()
    ring.reload()
    broken = mock.Mock(side_effect=AssertionError("database touched"))
    with mock.patch("codegen.keys.get_sessionmaker", broken):
        assert codegen.open_code(codes[2], ring=ring).brand_id == brand.id
        with pytest.raises(CodeNotGenuine):
            codegen.open_code(fmt.assemble(codes[2][:3], 12345), ring=ring)
    broken.assert_not_called()


def test_forgeries_under_random_key_ids_query_rarely(brand: BrandCtx) -> None:
    ring = KeyRing(miss_seconds=60, lookups_per_second=0.001, burst=5)
    with mock.patch("codegen.keys.get_sessionmaker", wraps=codegen.keys.get_sessionmaker) as db:
        for v in range(200):
            with pytest.raises(CodeNotGenuine):
                codegen.open_code(fmt.assemble(fmt.int_to_key_id(v), 1), ring=ring)
    assert db.call_count == 5


def test_key_rotation_keeps_old_codes_valid(brand: BrandCtx) -> None:
    old_batch, old_codes = _issue(brand)
    with session_scope() as s:
        new_key = codegen.rotate_key(s, brand_id=brand.id).key_id
    new_batch, new_codes = _issue(brand)
    assert new_codes[0][:3] == new_key != old_codes[0][:3]
    with session_scope() as s:
        for code, batch_id in ((old_codes[0], old_batch), (new_codes[0], new_batch)):
            sealed = codegen.open_code(code)
            assert (
                batch_of(s, brand_id=brand.id, key_id=sealed.key_id, serial=sealed.serial).id
                == batch_id
            )


def test_keys_are_stored_wrapped(brand: BrandCtx) -> None:
    from sqlalchemy import select

    from codegen.models import CodeKey
    from codegen.sealing import secret_of

    _issue(brand)
    with session_scope() as s:
        row = s.scalar(select(CodeKey).where(CodeKey.brand_id == brand.id))
        assert row is not None
        secret = secret_of(row)
        assert secret not in row.wrapped_key
        assert len(row.wrapped_key) == 12 + 32 + 16


def test_bad_batch_requests_change_nothing(brand: BrandCtx) -> None:
    from infra.errors import InvalidInput

    for kind, count in (("bottle-cap", 10), ("cap", 0), ("cap", -5)):
        with pytest.raises(InvalidInput), session_scope() as s:
            codegen.issue_batch(s, brand_id=brand.id, kind=kind, count=count)
    with session_scope() as s:
        assert codegen.list_batches(s, brand_id=brand.id) == []


def test_a_key_created_in_an_open_transaction_verifies_right_after_commit(brand: BrandCtx) -> None:
    """As `onecode demo` does: seed (keys, batches, activation by code) and then serve at once."""
    from codegen.batches import resolve

    with session_scope() as s:
        codegen.rotate_key(s, brand_id=brand.id)
        batch = codegen.issue_batch(s, brand_id=brand.id, kind="cap", count=5)
        text = codegen.code_at(s, batch, 0)
        resolve(s, brand_id=brand.id, text=text)  # the ring misses; the session finds it
    assert codegen.open_code(text).brand_id == brand.id


def test_a_key_id_just_seen_forged_is_not_handed_to_a_new_key(brand: BrandCtx) -> None:
    """A forged code under an unused key id makes the ring remember the miss; a key created
    under that id right after would have its codes refused until the miss ran out."""
    with session_scope() as s:
        from sqlalchemy import select

        from codegen.models import CodeKey

        used = set(s.scalars(select(CodeKey.key_id)))
    free = [v for v in range(fmt.KEY_ID_SPACE) if fmt.int_to_key_id(v) not in used][:2]
    forged = fmt.int_to_key_id(free[0])
    assert codegen.keyring.entry(forged) is None  # the miss is remembered
    with mock.patch("codegen.keys.secrets.randbelow", side_effect=free), session_scope() as s:
        key_id = codegen.rotate_key(s, brand_id=brand.id).key_id
    assert key_id == fmt.int_to_key_id(free[1])
    _, codes = _issue(brand)
    assert codegen.open_code(codes[0]).key_id == key_id
