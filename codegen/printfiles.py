"""Print files: a batch streamed to encrypted files that an inkjet or label printer takes.

Each part is `part-NNNNN.zip`: one text file of `codes_per_file` lines in an AES-256 zip (WinZip
AES, which 7-Zip, WinRAR and every plant's tools open), written by a worker process so parts are
generated in parallel and memory stays flat whatever the batch size. `manifest.json` lists counts
and SHA-256 of each part (of the zip as delivered and of the text inside). The password is
returned once to the caller and never stored; downloads are limited and logged.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brands.models import Brand
from codegen import gs1
from codegen.batches import get_batch, key_of
from codegen.errors import DownloadLimitReached, ExportNotFound, ExportNotReady
from codegen.models import CodeBatch, CodeKey, ExportDownload, PackRange, PrintExport
from codegen.printparts import ChildSpec, PartJob, PartResult, write_part
from codegen.sealing import secret_of
from infra.db import utcnow
from infra.errors import InvalidInput
from infra.logging import get_logger
from infra.settings import get_settings

log = get_logger(__name__)
# The alphabet passwords are drawn from: no 0/O, 1/l/I to misread over the phone.
_PASSWORD_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"  # noqa: S105
Progress = Callable[[int], None]


def new_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(20))


def _child_specs(session: Session, batch: CodeBatch) -> tuple[ChildSpec, ...]:
    specs = []
    for rng in session.scalars(select(PackRange).where(PackRange.parent_batch_id == batch.id)):
        child = session.get_one(CodeBatch, rng.child_batch_id)
        key = session.get_one(CodeKey, child.key_id)
        specs.append(
            ChildSpec(
                key.key_id,
                secret_of(key),
                rng.parent_start,
                rng.parent_count,
                rng.child_start,
                rng.child_count,
                rng.per_parent,
            )
        )
    return tuple(specs)


def create_export(
    session: Session,
    *,
    brand_id: int,
    batch_id: int,
    codes_per_file: int | None = None,
    with_children: bool = False,
    compress: bool = False,
    actor: str = "",
    max_downloads: int | None = None,
    gtin: str | None = None,
    lot: str | None = None,
    with_sscc: bool = False,
) -> tuple[PrintExport, str]:
    """Record a new export and choose its password; `run_export` writes the files.

    With a `gtin`, each line is the code's GS1 Digital Link (`…/01/<GTIN-14>[/10/<lot>]/21/
    <code>`) instead of onecode's URL; `with_sscc` adds each case's or pallet's SSCC.
    """
    settings = get_settings()
    batch = get_batch(session, brand_id=brand_id, batch_id=batch_id)
    per_file = codes_per_file or settings.codes_per_print_file
    if per_file < 1:
        raise InvalidInput("codes_per_file must be at least 1", codes_per_file=per_file)
    if lot and not gtin:
        raise InvalidInput("a lot is printed in a Digital Link, which needs the GTIN")
    if with_sscc and batch.sscc_first is None:
        raise InvalidInput("this batch has no SSCCs: assign them first", batch_id=batch.id)
    link = {}
    if gtin:
        brand = session.get_one(Brand, brand_id)
        gs1.link_prefix(brand.scan_base_url, gtin=gtin, lot=lot)  # refuse a bad GTIN or lot now
        link = {"gtin": gs1.gtin14(gtin), "lot": lot or None}
    export = PrintExport(
        id=secrets.token_hex(8),
        brand_id=brand_id,
        batch_id=batch.id,
        codes_per_file=per_file,
        with_children=with_children,
        manifest={"compress": compress, "with_sscc": with_sscc, **link},
        max_downloads=max_downloads or settings.export_max_downloads,
        created_by=actor,
    )
    session.add(export)
    session.flush()
    return export, new_password()


def export_dir(export: PrintExport) -> Path:
    return get_settings().export_dir / f"brand-{export.brand_id}" / export.id


def run_export(
    session: Session,
    *,
    export: PrintExport,
    password: str,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the parts in parallel processes, then the manifest; mark the export done or failed."""
    batch = session.get_one(CodeBatch, export.batch_id)
    brand = session.get_one(Brand, export.brand_id)
    key = key_of(session, batch)
    compress = bool((export.manifest or {}).get("compress"))
    out = export_dir(export)
    out.mkdir(parents=True, exist_ok=True)
    options = export.manifest or {}
    gtin = options.get("gtin")
    prefix = (
        gs1.link_prefix(brand.scan_base_url, gtin=gtin, lot=options.get("lot"))
        if gtin
        else brand.scan_base_url + "/C/"
    ).encode()
    sscc_offset = (
        batch.sscc_first - batch.first_serial
        if options.get("with_sscc") and batch.sscc_first is not None
        else None
    )
    children = _child_specs(session, batch) if export.with_children else ()
    jobs = []
    for n, lo in enumerate(range(0, batch.count, export.codes_per_file), start=1):
        hi = min(lo + export.codes_per_file, batch.count)
        jobs.append(
            PartJob(
                path=str(out / f"part-{n:05d}.zip"),
                inner_name=f"batch-{batch.id}-part-{n:05d}.txt",
                key_id=key.key_id,
                secret=secret_of(key),
                prefix=prefix,
                first=batch.first_serial + lo,
                end=batch.first_serial + hi,
                password=password.encode(),
                compress=compress,
                children=children,
                sscc_offset=sscc_offset,
            )
        )
    n_workers = max(1, min(workers or get_settings().workers or os.cpu_count() or 1, len(jobs)))
    parts: list[PartResult] = []
    try:
        if n_workers == 1:
            done = map(write_part, jobs)
            for job, res in zip(jobs, done, strict=True):
                parts.append(PartResult(res[0], job.first - batch.first_serial, *res[1:]))
                if progress:
                    progress(res[1])
        else:
            # spawn, not fork: the API server calls this from a thread, and forking a threaded
            # process can copy a held lock. Workers need nothing but their job's plain data.
            with ProcessPoolExecutor(n_workers, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(write_part, job): job for job in jobs}
                for fut in as_completed(futures):
                    job, res = futures[fut], fut.result()
                    parts.append(PartResult(res[0], job.first - batch.first_serial, *res[1:]))
                    if progress:
                        progress(res[1])
    except BaseException as exc:
        export.status, export.error = "failed", str(exc)[:500]
        session.flush()
        shutil.rmtree(out, ignore_errors=True)
        raise
    parts.sort(key=lambda p: p.first_index)
    manifest = {
        "export_id": export.id,
        "brand": brand.slug,
        "batch_id": batch.id,
        "kind": batch.kind,
        "codes": batch.count,
        "files": [asdict(p) for p in parts],
        "line_format": ("DIGITAL_LINK" if gtin else "SCAN_URL")
        + (",SSCC" if sscc_offset is not None else "")
        + (",CHILD_CODE…" if export.with_children else ""),
        "gtin": gtin,
        "lot": options.get("lot"),
        "encryption": "zip AES-256 (WinZip AE-2); password delivered separately",
        "compress": compress,
        "created_at": utcnow().isoformat(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    export.manifest = manifest
    export.status = "done"
    session.flush()
    log.info("print_export_done", export_id=export.id, batch_id=batch.id, codes=batch.count)
    return manifest


def get_export(session: Session, *, brand_id: int, export_id: str) -> PrintExport:
    export = session.scalar(
        select(PrintExport).where(PrintExport.id == export_id, PrintExport.brand_id == brand_id)
    )
    if export is None:
        raise ExportNotFound(f"no export {export_id}", export_id=export_id)
    return export


def list_exports(session: Session, *, brand_id: int, batch_id: int) -> list[PrintExport]:
    """A batch's print exports, newest first."""
    get_batch(session, brand_id=brand_id, batch_id=batch_id)  # NOT_FOUND for another brand's
    return list(
        session.scalars(
            select(PrintExport)
            .where(PrintExport.brand_id == brand_id, PrintExport.batch_id == batch_id)
            .order_by(PrintExport.created_at.desc())
        )
    )


def open_download(
    session: Session,
    *,
    brand_id: int,
    export_id: str,
    file_name: str,
    actor: str,
    client_ip: str = "",
    user_agent: str = "",
) -> Path:
    """Check the limit, log who takes the file, and return its path."""
    export = get_export(session, brand_id=brand_id, export_id=export_id)
    if export.status != "done" or export.manifest is None:
        raise ExportNotReady(f"export {export_id} is {export.status}", status=export.status)
    names = {f["name"] for f in export.manifest["files"]} | {"manifest.json"}
    if file_name not in names:
        raise ExportNotFound(f"export {export_id} has no file {file_name!r}", file=file_name)
    if file_name != "manifest.json":
        taken = session.scalar(
            select(func.count())
            .select_from(ExportDownload)
            .where(ExportDownload.export_id == export.id, ExportDownload.file_name == file_name)
        )
        if (taken or 0) >= export.max_downloads:
            raise DownloadLimitReached(
                f"{file_name} was downloaded {taken} times, the limit for this export",
                limit=export.max_downloads,
            )
    session.add(
        ExportDownload(
            brand_id=brand_id,
            export_id=export.id,
            file_name=file_name,
            actor=actor,
            client_ip=client_ip[:64],
            user_agent=user_agent[:300],
        )
    )
    export.downloads += 1
    session.flush()
    return export_dir(export) / file_name
