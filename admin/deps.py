"""Who is calling: a bearer token resolved to a brand-scoped principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from brands import service as brands
from brands.errors import InvalidToken
from brands.service import Principal
from infra.web import SessionDep

_bearer = HTTPBearer(auto_error=False, description="A staff API token: `onecode brand token`.")


def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise InvalidToken("send Authorization: Bearer <token>")
    return brands.authenticate(session, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def current_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's raw token (to end its own session); authenticated by `PrincipalDep`."""
    if credentials is None:
        raise InvalidToken("send Authorization: Bearer <token>")
    return credentials.credentials


TokenDep = Annotated[str, Depends(current_token)]

# Who may do what with codes; brand_admin may do everything.
CODE_WRITERS = ("code_operator",)
CODE_READERS = ("code_operator", "campaign_manager", "risk_analyst", "finance")
