"""QR images (qrcode + pillow): one PNG per code, and label sheets for sample printing.

The URL is upper case so the QR uses alphanumeric mode; with error correction M a cap code's URL
fits version 3 (29x29 modules), small enough for a bottle cap.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from codegen.format import display


def qr_matrix(url: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def qr_image(url: str, *, box_size: int = 8) -> Image.Image:
    qr = qr_matrix(url)
    qr.box_size = box_size
    image: Image.Image = qr.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("L")


def qr_png(url: str, *, box_size: int = 8) -> bytes:
    buffer = io.BytesIO()
    qr_image(url, box_size=box_size).save(buffer, format="PNG")
    return buffer.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()


def label_sheet(
    items: Sequence[tuple[str, str]], *, columns: int = 4, box_size: int = 6
) -> Image.Image:
    """(url, code) pairs -> one page of labels: the QR with the grouped code printed under it."""
    if not items:
        raise ValueError("a label sheet needs at least one code")
    tiles = [qr_image(url, box_size=box_size) for url, _ in items]
    size = max(t.width for t in tiles)
    pad = size // 10
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    font_size = size // 8
    while font_size > 8 and probe.textlength(display(items[0][1]), font=_font(font_size)) > size:
        font_size -= 1
    font = _font(font_size)
    text_h = font_size * 2
    rows = -(-len(items) // columns)
    sheet = Image.new("L", (columns * (size + pad) + pad, rows * (size + text_h + pad) + pad), 255)
    draw = ImageDraw.Draw(sheet)
    for i, (tile, (_, code)) in enumerate(zip(tiles, items, strict=True)):
        x = pad + (i % columns) * (size + pad)
        y = pad + (i // columns) * (size + text_h + pad)
        sheet.paste(tile, (x + (size - tile.width) // 2, y))
        label = display(code)
        width = draw.textlength(label, font=font)
        draw.text((x + (size - width) / 2, y + size), label, fill=0, font=font)
    return sheet


def label_sheet_bytes(
    items: Sequence[tuple[str, str]], *, fmt: str = "PNG", columns: int = 4
) -> bytes:
    buffer = io.BytesIO()
    label_sheet(items, columns=columns).convert("RGB" if fmt == "PDF" else "L").save(
        buffer, format=fmt
    )
    return buffer.getvalue()
