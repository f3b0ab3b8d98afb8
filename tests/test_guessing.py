"""Guessing codes at scale is refused: an address past the limit of codes that are not genuine
gets 429 with Retry-After, on the scan and verify endpoints, while other addresses go on."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from codegen import format as fmt
from infra.settings import get_settings
from onecode.app import create_app
from risk import guessing
from tests.conftest import BrandCtx
from tests.helpers import code, issue

LIMIT = 5


@pytest.fixture
def from_address(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ONECODE_GUESS_LIMIT", str(LIMIT))
    get_settings.cache_clear()
    address = f"198.51.100.{random.randrange(1, 255)}"
    with TestClient(create_app(), client=(address, 40000)) as c:
        yield c
    guessing.forget()
    monkeypatch.undo()
    get_settings.cache_clear()


def _forged(key_id: str, n: int) -> str:
    return fmt.assemble(key_id, 10**12 + n)  # well-formed, right check character, never sealed


def test_an_address_guessing_codes_is_refused_for_a_while(
    from_address: TestClient, client: TestClient, brand: BrandCtx
) -> None:
    real = code(brand.id, issue(brand.id, "cap", 1), 0)
    for n in range(LIMIT):
        r = from_address.post(
            "/v1/scan/consumer", json={"code": _forged(real[:3], n), "openid": "o"}
        )
        assert (r.status_code, r.json()["outcome"]) == (200, "not_genuine")
    r = from_address.get(f"/v1/codes/{_forged(real[:3], 99)}/verify")
    assert (r.status_code, r.json()["error"]["code"]) == (429, "TOO_MANY_GUESSES")
    assert 0 < int(r.headers["Retry-After"]) <= 600
    # blocked for everything now, a genuine code too, and on every endpoint that checks codes
    for refused in (
        from_address.post("/v1/scan/consumer", json={"code": real, "openid": "o"}),
        from_address.get(f"/c/{real}"),
    ):
        assert refused.status_code == 429
    # another address is not touched
    assert client.get(f"/v1/codes/{real}/verify").json()["genuine"] is True


def test_typos_count_and_every_process_learns_of_the_block(
    from_address: TestClient, brand: BrandCtx
) -> None:
    real = code(brand.id, issue(brand.id, "cap", 1), 0)
    typo = real[:-1] + ("0" if real[-1] != "0" else "1")
    for _ in range(LIMIT):
        assert from_address.get(f"/v1/codes/{typo}/verify").json()["error"]["code"] == (
            "CODE_CHECK_FAILED"
        )
    assert from_address.get(f"/v1/codes/{typo}/verify").status_code == 429
    guessing.forget()  # as another API process, which has not seen this address yet
    assert from_address.get(f"/v1/codes/{real}/verify").status_code == 200
    # its first refusal finds the shared count over the limit
    assert from_address.get(f"/v1/codes/{typo}/verify").status_code == 429
    assert from_address.get(f"/v1/codes/{real}/verify").status_code == 429
