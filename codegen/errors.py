"""What can go wrong with codes, each with a stable error code for clients."""

from __future__ import annotations

from infra.errors import Conflict, InvalidInput, NotFound, OnecodeError


class MalformedCode(InvalidInput):
    """Wrong length or a character outside the alphabet."""

    code = "CODE_MALFORMED"


class CodeCheckFailed(InvalidInput):
    """The check character does not match: almost always a typo."""

    code = "CODE_CHECK_FAILED"


class CodeNotGenuine(InvalidInput):
    """Well-formed, but no brand key sealed it: a forgery or a guess."""

    code = "CODE_NOT_GENUINE"


class CodeNotFound(NotFound):
    """Genuine format, but not issued in any batch the caller may see."""

    code = "CODE_NOT_FOUND"


class BatchNotFound(NotFound):
    code = "BATCH_NOT_FOUND"


class RangeOutsideBatch(InvalidInput):
    code = "RANGE_OUTSIDE_BATCH"


class ActivationConflict(Conflict):
    code = "ACTIVATION_CONFLICT"


class CodeVoided(Conflict):
    code = "CODE_VOIDED"


class InvalidPacking(InvalidInput):
    code = "INVALID_PACKING"


class PackingConflict(Conflict):
    code = "PACKING_CONFLICT"


class UnknownParent(InvalidInput):
    code = "UNKNOWN_PARENT"


class KeySpaceExhausted(Conflict):
    code = "KEY_SPACE_EXHAUSTED"


class MasterKeyMismatch(OnecodeError):
    code = "MASTER_KEY_MISMATCH"
    status = 500


class ExportNotFound(NotFound):
    code = "EXPORT_NOT_FOUND"


class ExportNotReady(Conflict):
    code = "EXPORT_NOT_READY"


class DownloadLimitReached(Conflict):
    code = "DOWNLOAD_LIMIT_REACHED"
