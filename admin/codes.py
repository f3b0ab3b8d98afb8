"""Admin API for codes: thin handlers over `codegen`, scoped to the caller's brand."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import FileResponse, Response

import codegen
from admin.deps import CODE_READERS, CODE_WRITERS, roles
from admin.schemas import (
    ActivationIn,
    BatchIn,
    BatchOut,
    CodeInfoOut,
    CodeOut,
    CountOut,
    ExportCreated,
    ExportIn,
    ExportOut,
    KeyOut,
    PackLinksIn,
    PackRangeIn,
    PackRangeOut,
    ParentActivationIn,
    RangeOut,
    SsccIn,
    UnpackIn,
    VoidIn,
)
from admin.tabular import TabularRoute
from brands.models import Brand
from brands.service import Principal
from codegen import qr
from codegen.models import CodeBatch, PrintExport
from infra.db import session_scope
from infra.logging import get_logger
from infra.redis import brand_key, get_redis
from infra.web import ErrorResponse, SessionDep
from reports import codes as codes_report
from reports.codes import CodeHistory

router = APIRouter(
    route_class=TabularRoute,
    prefix="/v1/admin",
    tags=["admin: codes"],
    responses={
        401: {"model": ErrorResponse, "description": "No token, or an invalid or expired one."},
        403: {"model": ErrorResponse, "description": "The caller's role may not do this."},
        422: {"model": ErrorResponse, "description": "Bad input; nothing was changed."},
    },
)
log = get_logger(__name__)
MAX_LIST = 1000
MAX_LABELS = 200


def _range_out(r: codegen.RangeResult) -> RangeOut:
    return RangeOut(batch_id=r.batch_id, start=r.start_index, count=r.count, changed=r.changed)


@router.post("/batches", status_code=201)
def issue_batch(
    body: BatchIn, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> BatchOut:
    """Issue a batch of codes: one row, whatever the count. Print files are a separate step."""
    batch = codegen.issue_batch(
        session,
        brand_id=who.brand_id,
        kind=body.kind,
        count=body.count,
        note=body.note,
        actor=who.username,
    )
    return _batch_out(batch)


@router.get("/batches")
def list_batches(
    session: SessionDep, who: Annotated[Principal, roles(*CODE_READERS)]
) -> list[BatchOut]:
    return [_batch_out(b) for b in codegen.list_batches(session, brand_id=who.brand_id)]


@router.get("/batches/{batch_id}")
def get_batch(
    batch_id: int, session: SessionDep, who: Annotated[Principal, roles(*CODE_READERS)]
) -> BatchOut:
    return _batch_out(codegen.get_batch(session, brand_id=who.brand_id, batch_id=batch_id))


@router.post("/batches/{batch_id}/sscc")
def assign_sscc(
    batch_id: int,
    body: SsccIn,
    session: SessionDep,
    who: Annotated[Principal, roles(*CODE_WRITERS)],
) -> BatchOut:
    """Give a case or pallet batch SSCCs (GS1 AI 00), one a code in the batch's order, so that
    dealers' scanners, print files and EPCIS events can use them beside or instead of the case
    codes. Once per batch; SSCCs never overlap another batch's."""
    batch = codegen.assign_sscc(
        session,
        brand_id=who.brand_id,
        batch_id=batch_id,
        extension=body.extension,
        company_prefix=body.company_prefix,
        first_reference=body.first_reference,
    )
    return _batch_out(batch)


def _batch_out(batch: CodeBatch) -> BatchOut:
    out = BatchOut.model_validate(batch)
    out.first_sscc = codegen.sscc_of(batch, batch.first_serial)
    return out


@router.get("/batches/{batch_id}/codes")
def list_codes(
    batch_id: int,
    session: SessionDep,
    who: Annotated[Principal, roles(*CODE_WRITERS)],
    start: Annotated[int, Query(ge=0)] = 0,
    count: Annotated[int, Query(gt=0, le=MAX_LIST)] = 100,
) -> list[CodeOut]:
    """A window of a batch's codes, for samples and checks (print files are for volume)."""
    batch = codegen.get_batch(session, brand_id=who.brand_id, batch_id=batch_id)
    base = session.get_one(Brand, who.brand_id).scan_base_url
    count = max(1, min(count, batch.count - start))  # a start past the end is refused below
    out = []
    for i in range(start, start + count):
        code = codegen.code_at(session, batch, i)
        out.append(CodeOut(index=i, code=code, url=f"{base}/C/{code}"))
    return out


@router.get(
    "/batches/{batch_id}/labels",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "application/pdf": {}}}},
)
def label_sheet(
    batch_id: int,
    session: SessionDep,
    who: Annotated[Principal, roles(*CODE_WRITERS)],
    start: Annotated[int, Query(ge=0)] = 0,
    count: Annotated[int, Query(gt=0, le=MAX_LABELS)] = 24,
    columns: Annotated[int, Query(gt=0, le=20)] = 4,
    format: Annotated[Literal["png", "pdf"], Query()] = "png",
) -> Response:
    """A sheet of labels (QR with the code under it) for sample printing."""
    batch = codegen.get_batch(session, brand_id=who.brand_id, batch_id=batch_id)
    base = session.get_one(Brand, who.brand_id).scan_base_url
    codes = [codegen.code_at(session, batch, i) for i in range(start, start + count)]
    data = qr.label_sheet_bytes(
        [(f"{base}/C/{c}", c) for c in codes], fmt=format.upper(), columns=columns
    )
    return Response(data, media_type="application/pdf" if format == "pdf" else "image/png")


@router.get("/codes/{code}")
def lookup_code(
    code: str, session: SessionDep, who: Annotated[Principal, roles(*CODE_READERS)]
) -> CodeInfoOut:
    """A code's state, product binding, parent chain and children."""
    info = codegen.lookup(session, brand_id=who.brand_id, text=code)
    return CodeInfoOut.model_validate(dataclasses.asdict(info))


@router.get("/codes/{code}/history")
def code_history(
    code: str, session: SessionDep, who: Annotated[Principal, roles(*CODE_READERS)]
) -> CodeHistory:
    """A code's scans (newest first, the latest 200) with their outcome and risk decision,
    and what it paid: its prize, a guide's sale bonus, a store's case-opening reward."""
    return codes_report.history(session, brand_id=who.brand_id, text=code)


@router.get(
    "/codes/{code}/qr.png", response_class=Response, responses={200: {"content": {"image/png": {}}}}
)
def code_qr(
    code: str, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> Response:
    sealed, _ = codegen.resolve(session, brand_id=who.brand_id, text=code)
    base = session.get_one(Brand, who.brand_id).scan_base_url
    return Response(qr.qr_png(f"{base}/C/{sealed.code}"), media_type="image/png")


@router.post("/activations")
def activate(
    body: ActivationIn, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> RangeOut:
    """Bind blank codes to a product, lot, date, factory and campaign (空码赋值)."""
    batch_id, start, count = body.selected(session, who.brand_id)
    binding = body.binding()
    return _range_out(
        codegen.activate_range(
            session,
            brand_id=who.brand_id,
            batch_id=batch_id,
            start_index=start,
            count=count,
            binding=binding,
            actor=who.username,
        )
    )


@router.post("/activations/by-parent")
def activate_by_parent(
    body: ParentActivationIn, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> list[RangeOut]:
    """Activate a case or pallet and everything packed in it, all or nothing."""
    binding = body.binding()
    results = codegen.activate_by_parent(
        session,
        brand_id=who.brand_id,
        parent_code=body.parent_code,
        binding=binding,
        actor=who.username,
    )
    return [_range_out(r) for r in results]


@router.post("/voids")
def void(
    body: VoidIn, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> RangeOut:
    """Take codes out of use (recall, damaged roll); they scan as voided."""
    batch_id, start, count = body.selected(session, who.brand_id)
    return _range_out(
        codegen.void_range(
            session,
            brand_id=who.brand_id,
            batch_id=batch_id,
            start_index=start,
            count=count,
            reason=body.reason,
            actor=who.username,
        )
    )


@router.post("/packing/ranges", status_code=201)
def pack_range(
    body: PackRangeIn, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> PackRangeOut:
    """In-order packing from the line, e.g. bottles 0..11999 into cases 0..999, 12 each."""
    row = codegen.pack_in_order(
        session,
        brand_id=who.brand_id,
        child_batch_id=body.child_batch_id,
        parent_batch_id=body.parent_batch_id,
        per_parent=body.per_parent,
        child_start_index=body.child_start,
        child_count=body.child_count,
        parent_start_index=body.parent_start,
    )
    return PackRangeOut(id=row.id, child_count=row.child_count, parent_count=row.parent_count)


@router.post("/packing/links")
def pack_links(
    body: PackLinksIn, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> CountOut:
    """Out-of-order packing or repacking: put these children into this parent."""
    return CountOut(
        count=codegen.pack_links(
            session,
            brand_id=who.brand_id,
            parent_code=body.parent_code,
            child_codes=body.child_codes,
            actor=who.username,
        )
    )


@router.post("/packing/unpack")
def unpack(
    body: UnpackIn, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> CountOut:
    return CountOut(
        count=codegen.unpack(
            session, brand_id=who.brand_id, child_codes=body.child_codes, actor=who.username
        )
    )


@router.post("/keys/rotate", status_code=201)
def rotate_key(session: SessionDep, who: Annotated[Principal, roles()]) -> KeyOut:
    """New batches are sealed with a new key; every older code stays valid. Brand admins only."""
    return KeyOut(key_id=codegen.rotate_key(session, brand_id=who.brand_id).key_id)


# --- print files ---------------------------------------------------------------------------


def _progress_key(export: PrintExport) -> str:
    return brand_key(export.brand_id, "export", export.id, "done")


def _export_out(export: PrintExport, total: int) -> ExportOut:
    done = total if export.status == "done" else int(get_redis().get(_progress_key(export)) or 0)
    return ExportOut(
        id=export.id,
        batch_id=export.batch_id,
        status=export.status,
        codes=total,
        codes_done=done,
        max_downloads=export.max_downloads,
        downloads=export.downloads,
        manifest=export.manifest if export.status == "done" else None,
        error=export.error,
    )


def _run_export(brand_id: int, export_id: str, password: str) -> None:
    redis = get_redis()
    with session_scope() as session:
        export = codegen.get_export(session, brand_id=brand_id, export_id=export_id)
        key = _progress_key(export)
        redis.set(key, 0, ex=86_400)

        def advance(n: int) -> None:
            redis.incrby(key, n)

        try:
            codegen.run_export(session, export=export, password=password, progress=advance)
        except Exception:
            log.exception("print_export_failed", export_id=export_id)
            session.commit()


@router.post("/batches/{batch_id}/exports", status_code=202)
def create_export(
    batch_id: int,
    body: ExportIn,
    tasks: BackgroundTasks,
    session: SessionDep,
    who: Annotated[Principal, roles(*CODE_WRITERS)],
) -> ExportCreated:
    """Start writing encrypted print files. The password is in this response only.

    Poll `GET /v1/admin/exports/{id}` for progress; download each file when it is `done`.
    """
    export, password = codegen.create_export(
        session,
        brand_id=who.brand_id,
        batch_id=batch_id,
        codes_per_file=body.codes_per_file,
        with_children=body.with_children,
        compress=body.compress,
        actor=who.username,
        gtin=body.gtin,
        lot=body.lot,
        with_sscc=body.with_sscc,
    )
    total = codegen.get_batch(session, brand_id=who.brand_id, batch_id=batch_id).count
    session.commit()  # the background task reads the export in its own session
    tasks.add_task(_run_export, who.brand_id, export.id, password)
    return ExportCreated(**_export_out(export, total).model_dump(), password=password)


@router.get("/batches/{batch_id}/exports")
def list_exports(
    batch_id: int, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> list[ExportOut]:
    """The batch's print exports, newest first, with their progress and files."""
    total = codegen.get_batch(session, brand_id=who.brand_id, batch_id=batch_id).count
    return [
        _export_out(e, total)
        for e in codegen.list_exports(session, brand_id=who.brand_id, batch_id=batch_id)
    ]


@router.get("/exports/{export_id}")
def get_export(
    export_id: str, session: SessionDep, who: Annotated[Principal, roles(*CODE_WRITERS)]
) -> ExportOut:
    export = codegen.get_export(session, brand_id=who.brand_id, export_id=export_id)
    total = codegen.get_batch(session, brand_id=who.brand_id, batch_id=export.batch_id).count
    return _export_out(export, total)


@router.get(
    "/exports/{export_id}/files/{file_name}",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}, "application/json": {}}}},
)
def download(
    export_id: str,
    file_name: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, roles(*CODE_WRITERS)],
) -> FileResponse:
    """Download one print file (limited count, each download logged) or the manifest."""
    path = codegen.open_download(
        session,
        brand_id=who.brand_id,
        export_id=export_id,
        file_name=file_name,
        actor=who.username,
        client_ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    session.commit()  # the download is on record before a byte leaves
    media = "application/json" if file_name.endswith(".json") else "application/zip"
    return FileResponse(path, media_type=media, filename=file_name)
