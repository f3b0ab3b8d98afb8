"""QR images decode, with a real decoder, to the scan URL; cap QR codes stay at version 3."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from brands.service import MAX_SCAN_HOST
from codegen import format as fmt
from codegen.qr import label_sheet_bytes, qr_matrix, qr_png


def _decode(data: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


def test_png_decodes_to_the_url() -> None:
    url = "HTTPS://QR.EXAMPLE.CN/C/" + fmt.assemble("7KQ", 987654321)
    assert _decode(qr_png(url)) == [url]


def test_longest_allowed_url_is_version_3_alphanumeric() -> None:
    host = ("Q" * (MAX_SCAN_HOST - 3)) + ".CN"
    url = f"HTTPS://{host}/C/" + fmt.assemble("ZZZ", 2**75 - 1)
    qr = qr_matrix(url)
    assert qr.version <= 3
    assert _decode(qr_png(url)) == [url]


def test_label_sheet_holds_every_code() -> None:
    codes = [fmt.assemble("7KQ", n) for n in range(10)]
    items = [(f"HTTPS://QR.EXAMPLE.CN/C/{c}", c) for c in codes]
    found = _decode(label_sheet_bytes(items, columns=5))
    assert sorted(found) == sorted(url for url, _ in items)
    pdf = label_sheet_bytes(items, fmt="PDF")
    assert pdf.startswith(b"%PDF")
