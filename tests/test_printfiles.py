"""Print files: every code once, in order, encrypted, checksummed, with limited logged downloads."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import pyzipper

import codegen
from codegen.errors import DownloadLimitReached, ExportNotFound
from infra.db import session_scope
from tests.conftest import BrandCtx
from tests.helpers import code, info, issue


def _export(brand: BrandCtx, batch: int, workers: int = 1, **kw: object) -> tuple[str, str, dict]:  # type: ignore[type-arg]
    with session_scope() as s:
        export, password = codegen.create_export(s, brand_id=brand.id, batch_id=batch, **kw)  # type: ignore[arg-type]
        manifest = codegen.run_export(s, export=export, password=password, workers=workers)
        return export.id, password, manifest


def _read(brand: BrandCtx, export_id: str, password: str) -> list[str]:
    with session_scope() as s:
        directory = codegen.export_dir(
            codegen.get_export(s, brand_id=brand.id, export_id=export_id)
        )
    manifest = json.loads((directory / "manifest.json").read_text())
    lines = []
    for f in manifest["files"]:
        path = directory / f["name"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"]
        with pyzipper.AESZipFile(path) as zf:
            zf.setpassword(password.encode())
            (name,) = zf.namelist()
            text = zf.read(name)
        assert hashlib.sha256(text).hexdigest() == f["text_sha256"]
        part = text.decode().splitlines()
        assert len(part) == f["codes"]
        lines += part
    return lines


def test_every_code_once_in_print_order(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 2500)
    export_id, password, manifest = _export(brand, batch, codes_per_file=1000)
    assert [f["codes"] for f in manifest["files"]] == [1000, 1000, 500]
    lines = _read(brand, export_id, password)
    assert len(lines) == len(set(lines)) == 2500
    assert all(
        line.startswith("HTTPS://QR.EXAMPLE.CN/C/") and line == line.upper() for line in lines
    )
    for i in (0, 999, 1000, 2499):
        assert lines[i].rsplit("/", 1)[1] == code(brand.id, batch, i)


def test_parallel_workers_write_the_same_files(brand: BrandCtx) -> None:
    batch = issue(brand.id, "bottle", 3000)
    one_id, one_pw, _ = _export(brand, batch, workers=1, codes_per_file=1000)
    two_id, two_pw, _ = _export(brand, batch, workers=2, codes_per_file=1000)
    assert _read(brand, one_id, one_pw) == _read(brand, two_id, two_pw)


def test_wrong_password_cannot_read(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 10)
    export_id, _, manifest = _export(brand, batch)
    with session_scope() as s:
        path = codegen.export_dir(codegen.get_export(s, brand_id=brand.id, export_id=export_id))
    with pyzipper.AESZipFile(path / manifest["files"][0]["name"]) as zf:
        zf.setpassword(b"not-the-password")
        with pytest.raises(RuntimeError, match="Bad password"):
            zf.read(zf.namelist()[0])


def test_case_lines_list_their_packed_bottles(brand: BrandCtx) -> None:
    bottles = issue(brand.id, "bottle", 30)  # 2 full cases of 12 and one of 6
    cases = issue(brand.id, "case", 4)  # the 4th case is empty
    with session_scope() as s:
        codegen.pack_in_order(
            s, brand_id=brand.id, child_batch_id=bottles, parent_batch_id=cases, per_parent=12
        )
    export_id, password, _ = _export(brand, cases, with_children=True)
    lines = [line.split(",") for line in _read(brand, export_id, password)]
    assert [len(line) - 1 for line in lines] == [12, 12, 6, 0]
    for _i, line in enumerate(lines):
        case_code = line[0].rsplit("/", 1)[1]
        assert line[1:] == [c.code for c in info(brand.id, case_code).children]


def test_downloads_are_limited_and_logged(brand: BrandCtx) -> None:
    from sqlalchemy import select

    from codegen.models import ExportDownload

    batch = issue(brand.id, "cap", 10)
    export_id, _, manifest = _export(brand, batch, max_downloads=2)
    name = manifest["files"][0]["name"]
    for _ in range(2):
        with session_scope() as s:
            path = codegen.open_download(
                s,
                brand_id=brand.id,
                export_id=export_id,
                file_name=name,
                actor="plant",
                client_ip="10.1.2.3",
                user_agent="test",
            )
            assert Path(path).exists()
    with pytest.raises(DownloadLimitReached), session_scope() as s:
        codegen.open_download(s, brand_id=brand.id, export_id=export_id, file_name=name, actor="x")
    with pytest.raises(ExportNotFound), session_scope() as s:
        codegen.open_download(
            s, brand_id=brand.id, export_id=export_id, file_name="../../etc/passwd", actor="x"
        )
    with session_scope() as s:
        log = s.scalars(select(ExportDownload).where(ExportDownload.export_id == export_id)).all()
        assert [(d.actor, d.client_ip, d.file_name) for d in log] == [
            ("plant", "10.1.2.3", name)
        ] * 2
