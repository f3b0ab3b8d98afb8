from __future__ import annotations

from infra.errors import Conflict, Forbidden, InvalidInput, NotFound, OnecodeError, Unauthorized


class BrandNotFound(NotFound):
    """No brand with this slug."""

    code = "BRAND_NOT_FOUND"


class BrandExists(Conflict):
    """A brand with this slug exists already."""

    code = "BRAND_EXISTS"


class InvalidScanUrl(InvalidInput):
    """The brand's scan URL must be https with a host name and no path."""

    code = "INVALID_SCAN_URL"


class UnknownReference(InvalidInput):
    """A seed or request names a product, region, dealer or staff member the brand does not have."""

    code = "UNKNOWN_REFERENCE"


class InvalidToken(Unauthorized):
    """No token, or an unknown, expired or revoked one. Sign in again."""

    code = "INVALID_TOKEN"


class RoleRequired(Forbidden):
    """The caller's role may not do this (details name the roles that may)."""

    code = "ROLE_REQUIRED"


class InvalidCredentials(Unauthorized):
    """The brand, user name and password do not match a staff member who may sign in (which of
    them is wrong is not said)."""

    code = "INVALID_CREDENTIALS"


class LoginLocked(OnecodeError):
    """Too many failed sign-ins for this user lately; try again after `Retry-After` seconds."""

    code = "LOGIN_LOCKED"
    status = 429


class WeakPassword(InvalidInput):
    """The new password is too short, too long, contains the user name or repeats a few
    characters; details say which."""

    code = "WEAK_PASSWORD"


class CredentialNotFound(NotFound):
    """No field account or PDA device with this id in the caller's brand."""

    code = "CREDENTIAL_NOT_FOUND"
