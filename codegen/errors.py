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
    """No batch with this id in the brand."""

    code = "BATCH_NOT_FOUND"


class RangeOutsideBatch(InvalidInput):
    """The range asked for goes past the batch's first or last code."""

    code = "RANGE_OUTSIDE_BATCH"


class ActivationConflict(Conflict):
    """Part of the range is already activated with another binding."""

    code = "ACTIVATION_CONFLICT"


class CodeVoided(Conflict):
    """The code is voided: it was printed but must never be honoured."""

    code = "CODE_VOIDED"


class InvalidPacking(InvalidInput):
    """A packing link is not parent-above-child (e.g. a cap into a pallet) or repeats a code."""

    code = "INVALID_PACKING"


class PackingConflict(Conflict):
    """A child is already packed into another parent; unpack it first."""

    code = "PACKING_CONFLICT"


class UnknownParent(InvalidInput):
    """The parent code named by a packing link was never issued."""

    code = "UNKNOWN_PARENT"


class KeySpaceExhausted(Conflict):
    """The brand's key has no serials left; rotate the key to issue more."""

    code = "KEY_SPACE_EXHAUSTED"


class MasterKeyMismatch(OnecodeError):
    """The configured master key cannot unwrap the brand keys: the operator set the wrong key."""

    code = "MASTER_KEY_MISMATCH"
    status = 500


class ExportNotFound(NotFound):
    """No print-file export with this id in the brand."""

    code = "EXPORT_NOT_FOUND"


class ExportNotReady(Conflict):
    """The print files are still being written; follow the export's progress."""

    code = "EXPORT_NOT_READY"


class DownloadLimitReached(Conflict):
    """This print file was downloaded as often as allowed; make a new export."""

    code = "DOWNLOAD_LIMIT_REACHED"


class InvalidGtin(InvalidInput):
    """A GTIN is 8, 12, 13 or 14 digits whose last digit is the GS1 mod-10 check digit."""

    code = "GTIN_INVALID"


class InvalidSscc(InvalidInput):
    """An SSCC is 18 digits: extension digit, company prefix, serial reference, check digit."""

    code = "SSCC_INVALID"


class MalformedDigitalLink(InvalidInput):
    """The URI looks like a GS1 Digital Link but breaks its syntax (the message says where)."""

    code = "DIGITAL_LINK_MALFORMED"


class NotAnItemLink(InvalidInput):
    """A valid Digital Link that names no single onecode item: a product class (a GTIN without
    a serial), or a logistic unit (an SSCC) where an item code is asked for."""

    code = "DIGITAL_LINK_NOT_AN_ITEM"


class SsccTaken(Conflict):
    """The batch has SSCCs already, or some of these SSCCs belong to another batch."""

    code = "SSCC_TAKEN"
