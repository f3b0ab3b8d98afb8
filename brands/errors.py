from __future__ import annotations

from infra.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized


class BrandNotFound(NotFound):
    code = "BRAND_NOT_FOUND"


class BrandExists(Conflict):
    code = "BRAND_EXISTS"


class InvalidScanUrl(InvalidInput):
    code = "INVALID_SCAN_URL"


class UnknownReference(InvalidInput):
    """A seed or request names a product, region, dealer or staff member the brand does not have."""

    code = "UNKNOWN_REFERENCE"


class InvalidToken(Unauthorized):
    code = "INVALID_TOKEN"


class RoleRequired(Forbidden):
    code = "ROLE_REQUIRED"
