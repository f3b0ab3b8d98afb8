"""Staff sign in with a password: Argon2id hashes, short sessions, sign-out, lock-out after
repeated failures, and the same answer whoever is wrong."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from brands import login, passwords
from brands.errors import WeakPassword
from brands.models import ApiToken, Staff
from infra.db import session_scope, utcnow
from infra.settings import get_settings
from tests.conftest import BrandCtx, auth

PASSWORD = "correct horse battery"


def _set(brand: BrandCtx, username: str = "admin", password: str = PASSWORD) -> None:
    with session_scope() as s:
        mine = (Staff.brand_id == brand.id, Staff.username == username)
        staff = s.scalar(select(Staff).where(*mine))
        assert staff is not None
        login.set_password(s, staff, password)


def _sign_in(client: TestClient, brand: str, username: str, password: str) -> tuple[int, Any]:
    r = client.post(
        "/v1/admin/session", json={"brand": brand, "username": username, "password": password}
    )
    return r.status_code, r.json()


def test_a_password_is_stored_as_an_argon2id_hash_only(brand: BrandCtx) -> None:
    _set(brand)
    with session_scope() as s:
        # The brand has several staff; without the username the database picks any row.
        admin = (Staff.brand_id == brand.id, Staff.username == "admin")
        stored = s.scalar(select(Staff.password_hash).where(*admin))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert passwords.verify(stored, PASSWORD)
    assert not passwords.verify(stored, PASSWORD + "!")
    assert not passwords.verify(None, PASSWORD)
    assert not passwords.verify("not a hash", PASSWORD)


@pytest.mark.parametrize(
    "weak", ["short", "x" * 200, "aaaaaaaaaaaaaa", "admin-password-1", "ababababababab"]
)
def test_weak_passwords_are_refused(brand: BrandCtx, weak: str) -> None:
    with pytest.raises(WeakPassword):
        _set(brand, password=weak)


def test_sign_in_gives_a_session_that_works_expires_and_ends(
    client: TestClient, brand: BrandCtx
) -> None:
    _set(brand)
    status, body = _sign_in(client, brand.slug, "admin", PASSWORD)
    assert status == 201, body
    assert (body["brand"], body["username"], body["role"]) == (brand.slug, "admin", "brand_admin")
    hours = get_settings().session_hours
    expires = body["expires_at"]
    token = body["token"]
    who = client.get("/v1/admin/session", headers=auth(token))
    assert who.json() == {"brand_id": brand.id, "username": "admin", "role": "brand_admin"}
    assert client.get("/v1/admin/batches", headers=auth(token)).status_code == 200
    with session_scope() as s:
        mine = (ApiToken.brand_id == brand.id, ApiToken.name == "sign-in")
        row = s.scalar(select(ApiToken).where(*mine))
        assert row is not None
        assert row.expires_at is not None
        life = row.expires_at - utcnow()
        assert timedelta(hours=hours) - timedelta(minutes=1) < life <= timedelta(hours=hours)
        assert row.expires_at.isoformat().startswith(expires[:16])
        row.expires_at = utcnow() - timedelta(seconds=1)  # the session runs out
    r = client.get("/v1/admin/session", headers=auth(token))
    assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_TOKEN")

    _, again = _sign_in(client, brand.slug, "admin", PASSWORD)
    assert client.delete("/v1/admin/session", headers=auth(again["token"])).status_code == 204
    r = client.get("/v1/admin/batches", headers=auth(again["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    log = client.get("/v1/admin/audit", headers=auth(brand.admin_token)).json()
    assert [e["action"] for e in log] == ["DELETE /v1/admin/session", "sign in", "sign in"]


def test_every_wrong_part_gets_the_same_answer(
    client: TestClient,
    brand: BrandCtx,
    make_brand,  # type: ignore[no-untyped-def]
) -> None:
    _set(brand)
    other = make_brand()
    _set(other, password="another long secret")
    for attempt in (
        (brand.slug, "admin", "wrong password!"),
        (brand.slug, "nobody", PASSWORD),
        ("no-such-brand", "admin", PASSWORD),
        (other.slug, "admin", PASSWORD),  # another brand's admin, this brand's password
        (brand.slug, "plant", PASSWORD),  # a staff member without a password
    ):
        status, body = _sign_in(client, *attempt)
        assert (status, body["error"]["code"]) == (401, "INVALID_CREDENTIALS"), attempt
        assert body["error"]["details"] == {}


def test_repeated_failures_lock_the_user_name_out(client: TestClient, brand: BrandCtx) -> None:
    _set(brand)
    limit = get_settings().login_max_failures
    for _ in range(limit):
        status, _ = _sign_in(client, brand.slug, "admin", "wrong password!")
        assert status == 401
    r = client.post(
        "/v1/admin/session", json={"brand": brand.slug, "username": "admin", "password": PASSWORD}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (429, "LOGIN_LOCKED")
    assert 0 < int(r.headers["Retry-After"]) <= get_settings().login_lock_minutes * 60
    # Another user of the brand is not locked; nor is a name that does not exist told apart.
    _set(brand, username="cfo", password="finance team secret")
    assert _sign_in(client, brand.slug, "cfo", "finance team secret")[0] == 201
    for _ in range(limit):
        _sign_in(client, brand.slug, "ghost", "whatever it is")
    assert _sign_in(client, brand.slug, "ghost", "whatever it is")[1]["error"]["code"] == (
        "LOGIN_LOCKED"
    )


def test_a_success_clears_earlier_failures(client: TestClient, brand: BrandCtx) -> None:
    _set(brand)
    limit = get_settings().login_max_failures
    for _ in range(limit - 1):
        _sign_in(client, brand.slug, "admin", "wrong password!")
    assert _sign_in(client, brand.slug, "admin", PASSWORD)[0] == 201
    for _ in range(limit - 1):
        _sign_in(client, brand.slug, "admin", "wrong password!")
    assert _sign_in(client, brand.slug, "admin", PASSWORD)[0] == 201


def test_changing_ones_password_needs_the_current_one(client: TestClient, brand: BrandCtx) -> None:
    _set(brand)
    token = _sign_in(client, brand.slug, "admin", PASSWORD)[1]["token"]
    change = "/v1/admin/session/password"
    wrong = {"current_password": "not it at all", "new_password": "a brand new secret"}
    r = client.post(change, headers=auth(token), json=wrong)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_CREDENTIALS")
    weak = {"current_password": PASSWORD, "new_password": "short"}
    r = client.post(change, headers=auth(token), json=weak)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "WEAK_PASSWORD")
    assert _sign_in(client, brand.slug, "admin", PASSWORD)[0] == 201  # nothing changed
    good = {"current_password": PASSWORD, "new_password": "a brand new secret"}
    assert client.post(change, headers=auth(token), json=good).status_code == 204
    assert _sign_in(client, brand.slug, "admin", PASSWORD)[0] == 401
    assert _sign_in(client, brand.slug, "admin", "a brand new secret")[0] == 201


def test_malformed_sign_ins_are_refused_with_their_problems(client: TestClient) -> None:
    r = client.post("/v1/admin/session", json={"brand": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
    wheres = {p["where"] for p in r.json()["error"]["details"]["problems"]}
    assert wheres == {"body.username", "body.password"}


def test_no_cookie_carries_a_session_so_another_site_cannot_ride_it(
    client: TestClient, brand: BrandCtx
) -> None:
    """CSRF needs a credential the browser sends by itself; the session is a bearer token the
    console puts in each request, and no answer sets a cookie or lets another origin read it."""
    _set(brand)
    r = client.post(
        "/v1/admin/session",
        json={"brand": brand.slug, "username": "admin", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 201
    assert "set-cookie" not in r.headers
    assert "access-control-allow-origin" not in r.headers
    token = r.json()["token"]
    client.cookies.set("token", token)  # even if a cookie held it, it would not count
    try:
        forged = client.post(
            "/v1/admin/campaigns",
            json={"slug": "forged", "name": "Forged", "total_budget_fen": 1},
            headers={"Origin": "https://evil.example"},
        )
    finally:
        client.cookies.clear()
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    assert client.get("/v1/admin/campaigns", headers=auth(token)).json() == []
