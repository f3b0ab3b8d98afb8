"""GS1 identifiers: GTIN and SSCC check digits, GS1 Digital Link URIs and EPC URNs.

onecode's sealed code is the GS1 serial (AI 21): `https://<domain>/01/<GTIN-14>/21/<code>`, so a
Digital Link label verifies offline like any other onecode label. Which library does what:

- biip (GS1 General Specifications): GTIN and SSCC parsing with their check digits, company
  prefixes from GS1's prefix table, and GS1 Digital Link URI parsing and building: any domain and
  path prefix, the primary key and its qualifiers in the mandatory order, percent-encoding,
  application identifiers in the query string.
- epcpy (EPC Tag Data Standard): EPC pure-identity URNs (`urn:epc:id:sgtin:…`, `…:sscc:…`) to
  and from GS1 element strings.
- Here, what biip leaves to its caller: it reports a wrong GTIN or SSCC check digit inside a
  Digital Link in a field instead of raising, accepts a GTIN of any length up to 14 (zero-filled),
  and does not read Digital Link 1.0's alphabetic short names (`/gtin/…/ser/…`), which older
  printed labels still carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.sscc import Sscc
from epcpy.epc_schemes.sgtin import SGTIN
from epcpy.epc_schemes.sscc import SSCC

from codegen.errors import InvalidGtin, InvalidSscc, MalformedDigitalLink

GTIN_LENGTHS = (8, 12, 13, 14)
# Digital Link 1.0's short names, still on printed labels; 1.2 and later print the numeric AIs.
_SHORT_NAMES = {"gtin": "01", "cpv": "22", "lot": "10", "ser": "21", "sscc": "00"}
# Any http(s) URI with a GTIN or SSCC path segment (numeric or short name) is read as a Digital
# Link; onecode's own `/C/<code>` URLs never have one.
_LOOKS_LIKE_LINK = re.compile(r"^https?://[^/?#]+(?:/[^?#]*)?/(?:01|00|gtin|sscc)/", re.I)
# What a scanner sends for a GS1 DataMatrix or GS1 QR (element strings, FNC1 as the GS
# character, maybe a symbology identifier such as ]d2 or ]Q3), or what people type, with the
# AIs in parentheses. Longer than a onecode code, so a bare code is never read as one.
_ELEMENT_STRING = re.compile(r"^(?:\][A-Za-z]\d|\(\d{2,4}\)|0[01]\d{14}.)")
# GS1's table has no company prefix for GTIN-8s and some ranges; the URN split is then a
# convention only: the digits, and so the GTIN read back, are the same for any split.
_DEFAULT_PREFIX_LENGTH = 7


@dataclass(frozen=True)
class Link:
    """What a GS1 Digital Link (or EPC URN) identifies: an item (GTIN + serial), a product class
    (GTIN alone) or a logistic unit (SSCC); `attributes` are the query string's other AIs."""

    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    sscc: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


def gtin14(text: str) -> str:
    """A GTIN-8, -12, -13 or -14 with a valid check digit, padded to 14 digits."""
    value = text.strip()
    if not value.isdigit() or len(value) not in GTIN_LENGTHS:
        raise InvalidGtin("a GTIN is 8, 12, 13 or 14 digits", gtin=value[:32])
    try:
        return Gtin.parse(value).as_gtin_14()
    except ParseError as exc:
        raise InvalidGtin(str(exc), gtin=value) from None


def sscc_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit of 17 digits (biip's, the one of GTINs and GLNs too)."""
    return gs1_standard_check_digit(payload)


def sscc(extension: int, company_prefix: str, serial_reference: int) -> str:
    """The 18-digit SSCC: extension digit, company prefix, serial reference, check digit."""
    if (
        not 0 <= extension <= 9
        or not company_prefix.isdigit()
        or not 7 <= len(company_prefix) <= 10
    ):
        raise InvalidSscc(
            "an SSCC needs an extension digit 0-9 and a GS1 company prefix of 7 to 10 digits",
            extension=extension,
            company_prefix=company_prefix[:16],
        )
    width = 16 - len(company_prefix)
    if not 0 <= serial_reference < 10**width:
        raise InvalidSscc(
            f"with a {len(company_prefix)}-digit company prefix the serial reference has "
            f"{width} digits",
            serial_reference=serial_reference,
        )
    payload = f"{extension}{company_prefix}{serial_reference:0{width}d}"
    return payload + str(sscc_check_digit(payload))


def parse_sscc(text: str) -> str:
    """An SSCC as 18 digits, with or without its `00` or `(00)` application identifier."""
    value = text.strip().removeprefix("(00)")
    if len(value) == 20 and value.startswith("00"):
        value = value[2:]
    if not value.isdigit() or len(value) != 18:
        raise InvalidSscc("an SSCC is 18 digits", sscc=value[:32])
    try:
        return Sscc.parse(value).value
    except ParseError as exc:
        raise InvalidSscc(str(exc), sscc=value) from None


def looks_like_link(text: str) -> bool:
    return _LOOKS_LIKE_LINK.match(text) is not None


def looks_like_element_string(text: str) -> bool:
    t = text.strip()
    return len(t) > 20 and _ELEMENT_STRING.match(t) is not None


def parse_element_string(text: str) -> Link:
    """GS1 element strings, raw (`0106901234567892217KQ…`) or human-readable (`(01)…(21)…`)."""
    t = text.strip()
    if t.startswith("]"):  # the symbology identifier: which barcode, not what it says
        t = t[3:]
    try:
        message = GS1Message.parse_hri(t) if t.startswith("(") else GS1Message.parse(t)
    except ParseError as exc:
        raise MalformedDigitalLink(f"not valid GS1 element strings: {exc}", value=t[:120]) from None
    return _link_of(message.element_strings, t)


def parse_link(uri: str) -> Link:
    """Read a GS1 Digital Link URI (uncompressed form), or raise MalformedDigitalLink."""
    parts = urlsplit(uri.strip())
    segments = parts.path.split("/")
    # The path ends in key/value pairs (anything before them is the brand's own prefix); read
    # Digital Link 1.0's short names as their numeric keys.
    for i in range(len(segments) - 2, 0, -2):
        segments[i] = _SHORT_NAMES.get(segments[i].lower(), segments[i])
        if segments[i] == "01" and len(segments[i + 1]) not in GTIN_LENGTHS:
            raise MalformedDigitalLink("a GTIN is 8, 12, 13 or 14 digits", uri=uri[:200])
    try:
        parsed = GS1DigitalLinkURI.parse(parts._replace(path="/".join(segments)).geturl())
    except ParseError as exc:
        raise MalformedDigitalLink(str(exc), uri=uri[:200]) from None
    return _link_of(parsed.element_strings, uri)


def _link_of(elements: GS1ElementStrings, source: str) -> Link:
    found: dict[str, str] = {}
    for element in elements:
        problem = element.gtin_error or element.sscc_error
        if problem:
            raise MalformedDigitalLink(problem, uri=source[:200])
        found.setdefault(element.ai.ai, element.value)
    return Link(
        gtin=found.pop("01", None),
        serial=found.pop("21", None),
        lot=found.pop("10", None),
        sscc=found.pop("00", None),
        attributes=found,
    )


def build_link(base_url: str, *, gtin: str, serial: str, lot: str | None = None) -> str:
    """`<base>/01/<GTIN-14>[/10/<lot>]/21/<serial>`, keeping the base's scheme and host as given
    (onecode prints them upper case so the QR stays in alphanumeric mode)."""
    elements = GS1ElementStrings()
    elements.append(GS1ElementString.parse("01" + gtin14(gtin)))
    if lot:
        elements.append(_element("10", lot))
    elements.append(_element("21", serial))
    return _on_base(base_url, GS1DigitalLinkURI.from_element_strings(elements))


def sscc_link(base_url: str, code: str) -> str:
    elements = GS1ElementStrings()
    elements.append(GS1ElementString.parse("00" + parse_sscc(code)))
    return _on_base(base_url, GS1DigitalLinkURI.from_element_strings(elements))


def link_prefix(base_url: str, *, gtin: str, lot: str | None = None) -> str:
    """Everything of a printed item link before its serial, for print files."""
    probe = "0"
    link = build_link(base_url, gtin=gtin, serial=probe, lot=lot)
    return link[: -len(probe)]


def _element(ai: str, value: str) -> GS1ElementString:
    try:
        return GS1ElementString.parse(ai + value)
    except ParseError as exc:
        raise MalformedDigitalLink(f"AI ({ai}): {exc}", value=value[:40]) from None


def _on_base(base_url: str, link: GS1DigitalLinkURI) -> str:
    """The link under the brand's base URL (scheme, host and any path prefix) as given."""
    return base_url.rstrip("/") + link.as_uri(domain="x.invalid").removeprefix("https://x.invalid")


@lru_cache(maxsize=4096)
def prefix_length(gtin: str) -> int:
    """The GS1 company prefix's length, from GS1's prefix table (biip), if known."""
    prefix = Gtin.parse(gtin).company_prefix
    return len(prefix.value) if prefix else _DEFAULT_PREFIX_LENGTH


def sgtin_urn(gtin: str, serial: str) -> str:
    g = gtin14(gtin)
    return str(
        SGTIN.from_gs1_element_string(
            f"(01){g}(21){serial}", company_prefix_length=prefix_length(g)
        ).epc_uri
    )


def sscc_urn(code: str) -> str:
    value = parse_sscc(code)
    prefix = Sscc.parse(value).company_prefix
    length = len(prefix.value) if prefix else _DEFAULT_PREFIX_LENGTH
    return str(SSCC.from_gs1_element_string(f"(00){value}", company_prefix_length=length).epc_uri)


def parse_identifier(uri: str) -> Link:
    """An EPC URN (SGTIN, SSCC) or a GS1 Digital Link, as a Link."""
    text = uri.strip()
    lowered = text.lower()
    try:
        if lowered.startswith("urn:epc:id:sgtin:"):
            sgtin = SGTIN(text)
            return Link(gtin=sgtin.gtin(), serial=sgtin.gs1_element_string().split("(21)", 1)[1])
        if lowered.startswith("urn:epc:id:sscc:"):
            return Link(sscc=SSCC(text).gs1_key())
    except Exception as exc:  # epcpy raises its own ConvertException and ValueErrors
        raise MalformedDigitalLink(f"not a valid EPC URN: {exc}", uri=text[:200]) from None
    return parse_link(text)


def canonical(link: Link) -> str:
    """The identifier's canonical Digital Link (`https://id.gs1.org/…`), one spelling per thing."""
    if link.sscc:
        return sscc_link("https://id.gs1.org", link.sscc)
    if link.gtin and link.serial:
        return build_link("https://id.gs1.org", gtin=link.gtin, serial=link.serial, lot=None)
    raise MalformedDigitalLink("an identifier names one item (GTIN and serial) or one SSCC")


def sscc_in(text: str) -> str | None:
    """The SSCC if `text` names one (18 digits, `00`/`(00)` element string, Digital Link, EPC
    URN), else None."""
    t = text.strip()
    if t.startswith("(00)") or (t.isdigit() and len(t) in (18, 20)):
        return parse_sscc(t)
    if looks_like_link(t) or t.lower().startswith("urn:epc:id:sscc:"):
        return parse_identifier(t).sscc
    return None
