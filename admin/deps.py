"""Who is calling: a bearer token resolved to a brand-scoped principal; and, for a request that
may change something, the audit log's entry (brands/audit.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from brands import audit, service as brands
from brands.errors import InvalidToken
from brands.service import Principal
from infra.web import SessionDep

_bearer = HTTPBearer(auto_error=False, description="A staff API token: `onecode brand token`.")


def current_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's raw bearer token, not yet checked (PrincipalDep checks it)."""
    if credentials is None:
        raise InvalidToken("send Authorization: Bearer <token>")
    return credentials.credentials


TokenDep = Annotated[str, Depends(current_token)]


def current_principal(request: Request, session: SessionDep, token: TokenDep) -> Principal:
    who = brands.authenticate(session, token)
    if request.method not in audit.SAFE_METHODS:
        # Here, where every admin endpoint passes, so that none can forget it.
        route = getattr(request.scope.get("route"), "path", None) or request.url.path
        target = {**request.path_params, **request.query_params}
        audit.record(session, who, action=f"{request.method} {route}", target=target)
    return who


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def roles(*allowed: str) -> Any:
    """The caller, as a dependency, if their role is one of `allowed` (brand admins always
    are): `who: Annotated[Principal, roles("finance")]`. Checked with the token, before the body
    is validated or anything is read, and declared on the route where the route table shows it
    (tests/test_admin_routes.py holds every route's roles to docs/roles.md)."""

    def allowed_role(who: PrincipalDep) -> Principal:
        who.require(*allowed)
        return who

    return Depends(allowed_role)


# Who may do what with codes; brand_admin may do everything.
CODE_WRITERS = ("code_operator",)
CODE_READERS = ("code_operator", "campaign_manager", "risk_analyst", "finance")
