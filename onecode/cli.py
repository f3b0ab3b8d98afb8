"""The `onecode` command line. `onecode --help` lists the jobs; each has its own --help."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import codegen
from brands import service as brands
from codegen import qr
from infra import migrate
from infra.db import session_scope
from infra.errors import OnecodeError
from infra.logging import configure_logging
from onecode.risk_cli import risk_app
from rewards import rollups
from rewards.models import ScanRecord

app = typer.Typer(
    help="onecode: one item, one code. Codes, scans and rewards for brands.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema (alembic migrations).", no_args_is_help=True)
brand_app = typer.Typer(help="Brands (tenants), their keys and API tokens.", no_args_is_help=True)
codes_app = typer.Typer(
    help="Codes: issue batches, print files, QR images, activation, packing, lookup.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(brand_app, name="brand")
app.add_typer(codes_app, name="codegen")
app.add_typer(risk_app, name="risk")
reports_app = typer.Typer(help="The dashboard's rollups.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")

BrandOpt = Annotated[str, typer.Option("--brand", "-b", help="Brand slug.")]


def _actor() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _fail(exc: OnecodeError) -> None:
    err.print(f"[bold red]error {exc.code}[/]: {exc.message}")
    if exc.details:
        err.print(json.dumps(exc.details, ensure_ascii=False, default=str))
    raise typer.Exit(2)


@contextmanager
def _session() -> Iterator[Session]:
    try:
        with session_scope() as session:
            yield session
    except OnecodeError as exc:
        _fail(exc)


def _run(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except OnecodeError as exc:
        _fail(exc)
        raise  # unreachable: _fail exits


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "{task.percentage:>5.1f}%",
        TimeRemainingColumn(),
        console=err,
    )


# --- db ------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(revision)
    out.print(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' empties the schema)."""
    migrate.downgrade(revision)
    out.print(f"database at {revision}")


@db_app.command("scan-partitions")
def db_scan_partitions(
    detach_before: Annotated[
        str | None,
        typer.Option(help="YYYY-MM: detach the months before it (their tables stay, to archive)."),
    ] = None,
) -> None:
    """Create the scan table's coming month partitions (PostgreSQL; the recorder does it hourly
    too), list them, and detach old ones."""
    from rewards import partitions

    with _session() as s:
        created = partitions.ensure(s)
        detached = []
        if detach_before is not None:
            month = _day(f"{detach_before}-01", "--detach-before")
            assert month is not None
            detached = partitions.detach_before(s, month)
        names = partitions.months(s)
    if not names and not created:
        out.print("the scan table is not partitioned (SQLite keeps one table)")
        return
    out.print(f"created: {', '.join(created) or 'none'}; detached: {', '.join(detached) or 'none'}")
    out.print(f"months: {', '.join(names)}")


# --- brands --------------------------------------------------------------------------------


@brand_app.command("create")
def brand_create(
    slug: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    scan_url: Annotated[str, typer.Option(help="https://host printed in every QR code.")],
) -> None:
    """Create a brand (a tenant)."""
    with _session() as s:
        brand = brands.create_brand(s, slug=slug, name=name, scan_base_url=scan_url)
        out.print(f"brand {brand.slug} id={brand.id} scan URL {brand.scan_base_url}")


@brand_app.command("rotate-key")
def brand_rotate_key(brand: BrandOpt) -> None:
    """Seal new batches with a new key; codes sealed by older keys stay valid."""
    with _session() as s:
        key = codegen.rotate_key(s, brand_id=brands.get_brand(s, brand).id)
        out.print(f"brand {brand}: new batches use key {key.key_id}")


@brand_app.command("token")
def brand_token(
    brand: BrandOpt,
    user: Annotated[str, typer.Option(help="Staff username.")],
    days: Annotated[int, typer.Option(help="Days until the token expires.")] = 30,
) -> None:
    """Issue an API bearer token for a staff member (shown once)."""
    from sqlalchemy import select

    from brands.models import Staff

    with _session() as s:
        b = brands.get_brand(s, brand)
        staff = s.scalar(select(Staff).where(Staff.brand_id == b.id, Staff.username == user))
        if staff is None:
            raise typer.BadParameter(f"brand {brand} has no staff member {user!r}")
        out.print(brands.issue_token(s, staff=staff, name="cli", ttl=timedelta(days=days)))


@brand_app.command("password")
def brand_password(
    brand: BrandOpt,
    user: Annotated[str, typer.Option(help="Staff username.")],
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from standard input (scripts).")
    ] = False,
) -> None:
    """Set a staff member's console password (asked twice, not echoed)."""
    import sys

    from sqlalchemy import select

    from brands import login
    from brands.models import Staff

    password = (
        sys.stdin.readline().rstrip("\n")
        if stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    with _session() as s:
        b = brands.get_brand(s, brand)
        staff = s.scalar(select(Staff).where(Staff.brand_id == b.id, Staff.username == user))
        if staff is None:
            raise typer.BadParameter(f"brand {brand} has no staff member {user!r}")
        login.set_password(s, staff, password)
        out.print(f"{user} of {brand} may now sign in to the console")


# --- codes ---------------------------------------------------------------------------------


@codes_app.command("issue")
def codes_issue(
    brand: BrandOpt,
    kind: Annotated[str, typer.Option(help="cap, bottle, box, case or pallet.")],
    count: Annotated[int, typer.Option(help="How many codes.")],
    note: str = "",
) -> None:
    """Reserve a batch of codes (one database row, whatever the count)."""
    with _session() as s:
        b = brands.get_brand(s, brand)
        batch = codegen.issue_batch(
            s, brand_id=b.id, kind=kind, count=count, note=note, actor=_actor()
        )
        out.print(f"batch {batch.id}: {batch.count:,} {batch.kind} codes (key {batch.key_id})")


@codes_app.command("batches")
def codes_batches(brand: BrandOpt) -> None:
    """List a brand's batches."""
    with _session() as s:
        table = Table("id", "kind", "count", "key", "note", "created")
        for batch in codegen.list_batches(s, brand_id=brands.get_brand(s, brand).id):
            table.add_row(
                str(batch.id),
                batch.kind,
                f"{batch.count:,}",
                batch.key_id,
                batch.note,
                batch.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        out.print(table)


@codes_app.command("export")
def codes_export(
    brand: BrandOpt,
    batch: Annotated[int, typer.Option(help="Batch id.")],
    per_file: Annotated[int | None, typer.Option(help="Codes per print file.")] = None,
    with_children: Annotated[
        bool, typer.Option(help="Append packed child codes to each line.")
    ] = False,
    compress: Annotated[
        bool, typer.Option(help="Deflate inside the zip (smaller, slower).")
    ] = False,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: CPUs).")] = None,
) -> None:
    """Write a batch's encrypted print files; prints where they are, then the password."""
    with _session() as s:
        b = brands.get_brand(s, brand)
        export, password = codegen.create_export(
            s,
            brand_id=b.id,
            batch_id=batch,
            codes_per_file=per_file,
            with_children=with_children,
            compress=compress,
            actor=_actor(),
        )
        total = codegen.get_batch(s, brand_id=b.id, batch_id=batch).count
        with _progress() as bar:
            task = bar.add_task(f"batch {batch}", total=total)
            codegen.run_export(
                s,
                export=export,
                password=password,
                workers=workers,
                progress=lambda n: bar.advance(task, n),
            )
        directory = codegen.export_dir(export)
    out.print(f"export {export.id}: {len(export.manifest['files'])} file(s) in {directory}")  # type: ignore[index]
    err.print("[bold]password[/] (shown once, send it separately from the files):")
    out.print(password)


@codes_app.command("verify")
def codes_verify(code: str) -> None:
    """Is CODE (or its scan URL) genuine? Uses no database once keys are loaded."""
    sealed = _run(lambda: codegen.open_code(code))
    out.print(f"genuine: key {sealed.key_id}, brand {sealed.brand_id}, serial {sealed.serial}")


def _binding(
    product: str | None, lot: str, production_date: str | None, factory: str, campaign: str | None
) -> codegen.Binding:
    if not product:
        raise typer.BadParameter("--product is required")
    return codegen.Binding(product, lot, _day(production_date, "--date"), factory, campaign)


def _day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option's value, or a clear error naming the option."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise typer.BadParameter(f"{option} must be YYYY-MM-DD, not {value!r}") from None


def _selected(
    s: Session,
    brand_id: int,
    batch: int | None,
    start: int,
    count: int | None,
    first: str | None,
    last: str | None,
) -> tuple[int, int, int]:
    """The --batch/--start/--count or --from/--to options, as codegen.select_range takes them."""
    return codegen.select_range(
        s,
        brand_id=brand_id,
        batch_id=batch,
        start=start,
        count=count,
        first_code=first,
        last_code=last,
    )


@codes_app.command("activate")
def codes_activate(
    brand: BrandOpt,
    product: Annotated[str | None, typer.Option(help="Product SKU.")] = None,
    batch: Annotated[int | None, typer.Option(help="Batch id (with --start/--count).")] = None,
    start: Annotated[int, typer.Option(help="First position in the batch (0-based).")] = 0,
    count: Annotated[int | None, typer.Option(help="How many codes (default: to the end).")] = None,
    first: Annotated[str | None, typer.Option("--from", help="First code of the range.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last code of the range.")] = None,
    parent: Annotated[
        str | None, typer.Option(help="Activate this code and all packed in it.")
    ] = None,
    lot: str = "",
    production_date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD")] = None,
    factory: str = "",
    campaign: Annotated[str | None, typer.Option(help="Campaign slug.")] = None,
) -> None:
    """Bind blank codes to a product, lot, date, factory and campaign (空码赋值)."""
    binding = _binding(product, lot, production_date, factory, campaign)
    with _session() as s:
        b = brands.get_brand(s, brand)
        if parent:
            results = codegen.activate_by_parent(
                s, brand_id=b.id, parent_code=parent, binding=binding, actor=_actor()
            )
        else:
            bid, st, n = _selected(s, b.id, batch, start, count, first, last)
            results = [
                codegen.activate_range(
                    s,
                    brand_id=b.id,
                    batch_id=bid,
                    start_index=st,
                    count=n,
                    binding=binding,
                    actor=_actor(),
                )
            ]
        for r in results:
            out.print(
                f"batch {r.batch_id} [{r.start_index}, {r.start_index + r.count}): "
                f"{r.changed:,} activated, {r.count - r.changed:,} already were"
            )


@codes_app.command("void")
def codes_void(
    brand: BrandOpt,
    reason: Annotated[str, typer.Option(help="Why: recall, damaged roll, …")],
    batch: Annotated[int | None, typer.Option(help="Batch id.")] = None,
    start: int = 0,
    count: int | None = None,
    first: Annotated[str | None, typer.Option("--from", help="First code.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last code.")] = None,
) -> None:
    """Take a range of codes out of use; they scan as voided."""
    with _session() as s:
        b = brands.get_brand(s, brand)
        bid, st, n = _selected(s, b.id, batch, start, count, first, last)
        r = codegen.void_range(
            s, brand_id=b.id, batch_id=bid, start_index=st, count=n, reason=reason, actor=_actor()
        )
        out.print(f"batch {r.batch_id}: {r.changed:,} voided, {r.count - r.changed:,} already were")


@codes_app.command("pack")
def codes_pack(
    brand: BrandOpt,
    children: Annotated[int, typer.Option(help="Child batch id (e.g. bottles).")],
    parents: Annotated[int, typer.Option(help="Parent batch id (e.g. cases).")],
    per_parent: Annotated[int, typer.Option(help="Children per parent.")],
    children_start: int = 0,
    children_count: int | None = None,
    parents_start: int = 0,
) -> None:
    """Record in-order packing from the line: one row for the whole range."""
    with _session() as s:
        b = brands.get_brand(s, brand)
        rng = codegen.pack_in_order(
            s,
            brand_id=b.id,
            child_batch_id=children,
            parent_batch_id=parents,
            per_parent=per_parent,
            child_start_index=children_start,
            child_count=children_count,
            parent_start_index=parents_start,
        )
        out.print(f"packed {rng.child_count:,} children into {rng.parent_count:,} parents")


@codes_app.command("link")
def codes_link(
    brand: BrandOpt,
    parent: Annotated[str, typer.Option(help="Parent code.")],
    children: Annotated[list[str], typer.Argument(help="Child codes.")],
) -> None:
    """Pack children into a parent out of order, or repack them."""
    with _session() as s:
        n = codegen.pack_links(
            s,
            brand_id=brands.get_brand(s, brand).id,
            parent_code=parent,
            child_codes=children,
            actor=_actor(),
        )
        out.print(f"linked {n} code(s)")


@codes_app.command("unpack")
def codes_unpack(brand: BrandOpt, children: list[str]) -> None:
    """Take codes out of whatever they are packed in."""
    with _session() as s:
        n = codegen.unpack(
            s, brand_id=brands.get_brand(s, brand).id, child_codes=children, actor=_actor()
        )
        out.print(f"unpacked {n} code(s)")


@codes_app.command("lookup")
def codes_lookup(brand: BrandOpt, code: str) -> None:
    """Everything about a code: state, product, parents and children (JSON)."""
    import dataclasses

    with _session() as s:
        info = codegen.lookup(s, brand_id=brands.get_brand(s, brand).id, text=code)
        out.print_json(json.dumps(dataclasses.asdict(info), default=str, ensure_ascii=False))


@codes_app.command("qr")
def codes_qr(
    brand: BrandOpt,
    output: Annotated[Path, typer.Option("--out", "-o", help="File (sheet) or folder (PNGs).")],
    batch: Annotated[int | None, typer.Option(help="Batch id.")] = None,
    start: int = 0,
    count: int = 1,
    code: Annotated[list[str] | None, typer.Option(help="A code (repeatable).")] = None,
    sheet: Annotated[
        bool, typer.Option(help="One label sheet (.png or .pdf) instead of PNGs.")
    ] = False,
    columns: int = 4,
) -> None:
    """QR images for codes: one PNG each, or a label sheet for sample printing."""
    with _session() as s:
        b = brands.get_brand(s, brand)
        codes = list(code or [])
        if batch is not None:
            bt = codegen.get_batch(s, brand_id=b.id, batch_id=batch)
            codes += [codegen.code_at(s, bt, i) for i in range(start, start + count)]
        if not codes:
            raise typer.BadParameter("give --code or --batch")
        items = []
        for text in codes:
            sealed, _ = codegen.resolve(s, brand_id=b.id, text=text)
            items.append((f"{b.scan_base_url}/C/{sealed.code}", sealed.code))
    if sheet:
        fmt = "PDF" if output.suffix.lower() == ".pdf" else "PNG"
        output.write_bytes(qr.label_sheet_bytes(items, fmt=fmt, columns=columns))
        out.print(f"label sheet of {len(items)} code(s): {output}")
        return
    output.mkdir(parents=True, exist_ok=True)
    with _progress() as bar:
        task = bar.add_task("QR images", total=len(items))
        for url, c in items:
            (output / f"{c}.png").write_bytes(qr.qr_png(url))
            bar.advance(task)
    out.print(f"{len(items)} PNG(s) in {output}")


# --- seed, serve, demo ---------------------------------------------------------------------


def _seed(path: Path, *, skip_existing: bool) -> dict[str, Any] | None:
    from onecode import seed as seeding

    spec = _run(lambda: seeding.load(path))
    with _session() as s:
        if skip_existing and seeding.brand_exists(s, spec.brand.slug):
            out.print(f"brand {spec.brand.slug} already seeded; leaving it as it is")
            return None
        report, pending = seeding.apply(s, spec)
    exports = []
    for export_id, password in pending:
        with _session() as s:
            export = codegen.get_export(s, brand_id=report.brand_id, export_id=export_id)
            total = codegen.get_batch(s, brand_id=report.brand_id, batch_id=export.batch_id).count
            with _progress() as bar:
                task = bar.add_task(f"print files, batch {export.batch_id}", total=total)
                codegen.run_export(
                    s, export=export, password=password, progress=partial(bar.advance, task)
                )
            exports.append(
                {
                    "export_id": export_id,
                    "batch_id": export.batch_id,
                    "directory": str(codegen.export_dir(export)),
                    "password": password,
                }
            )
    result = report.model_dump() | {"exports": exports}
    return result


@app.command()
def seed(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Seed YAML file.")],
) -> None:
    """Create a brand, its master data and its codes from a seed file (docs/seed-file.md)."""
    result = _seed(file, skip_existing=False)
    out.print_json(json.dumps(result, ensure_ascii=False))


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Scans, JSON Lines.")],
    decisions: Annotated[Path, typer.Option("--out", "-o", help="Decisions, JSON Lines.")] = Path(
        "replay-decisions.jsonl"
    ),
) -> None:
    """Run recorded consumer scans through the scan pipeline on scratch state (docs/replay.md):
    one decision a line to --out, and a summary of money by tier and region and budget left."""
    from rewards import replay as replaying

    with decisions.open("w", encoding="utf-8") as fh:
        summary = _run(lambda: replaying.run(file, fh))
    out.print_json(json.dumps(summary, ensure_ascii=False))
    err.print(f"decisions: {decisions}")


@app.command("recorder")
def run_recorder() -> None:
    """Write scans and awards from Redis into the database, as its own process (Ctrl-C stops)."""
    import threading

    from rewards import recorder

    stop = threading.Event()
    out.print("recorder running; Ctrl-C to stop")
    try:
        recorder.run(stop)
    except KeyboardInterrupt:
        stop.set()


@app.command()
def statement(
    brand: BrandOpt,
    campaign: Annotated[
        str | None, typer.Option(help="Campaign slug: its statement by day and region.")
    ] = None,
    stores: Annotated[bool, typer.Option(help="What the brand owes each store.")] = False,
    dealers: Annotated[
        bool, typer.Option(help="What the brand owes each dealer (restock coupons).")
    ] = False,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write CSV here too.")] = None,
) -> None:
    """A campaign's statement (owed, paid, voided by day and region), the stores' (voucher
    subsidies, cash) or the dealers' (restock coupons they honour), from the ledger. Money in
    yuan on screen, fen in CSV."""
    from payouts import statements
    from rewards import campaigns

    if [campaign is not None, stores, dealers].count(True) != 1:
        raise typer.BadParameter("give one of --campaign SLUG, --stores, --dealers")
    with _session() as s:
        b = brands.get_brand(s, brand)
        lines: list[Any]
        kind: type[Any]
        if campaign is not None:
            c = campaigns.get_campaign(s, brand_id=b.id, slug=campaign)
            lines, kind = statements.campaign_statement(s, b.id, c.id), statements.CampaignLine
            title = f"{c.name} ({c.slug})"
        else:
            who = "stores" if stores else "dealers"
            prefix = "store:" if stores else "dealer:"
            lines = statements.account_statement(s, b.id, prefix=prefix)
            kind = statements.AccountLine
            title = f"{b.name}: owed to {who}"
    table = Table(title=title)
    names = [f.name for f in fields(kind)]
    for name in names:
        table.add_column(
            name.removesuffix("_fen"),
            justify="left" if name in ("day", "region_code", "account") else "right",
        )
    for line in lines:
        values = asdict(line)
        table.add_row(
            *(f"{values[n] / 100:,.2f}" if n.endswith("_fen") else str(values[n]) for n in names)
        )
    out.print(table)
    if csv_file is not None:
        csv_file.write_text(statements.to_csv(lines, kind), encoding="utf-8")
        out.print(f"CSV written to {csv_file}")


@app.command()
def books(
    brand: BrandOpt,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Check the brand's books (rewards/books.py): cash awarded = ledger = paid + in flight +
    waiting + held + voided; no code claimed or awarded twice; no campaign over budget. Exits 1
    on any problem (for cron, and after an incident)."""
    from rewards import books as checking

    with _session() as s:
        report = checking.check(s, brands.get_brand(s, brand).id)
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        table = Table(title=f"books of {brand}")
        table.add_column("what")
        table.add_column("yuan", justify="right")
        for name, fen in (
            ("cash awarded", report.cash_awarded_fen),
            ("in the ledger", report.ledger_awards_fen),
            *((f"  {place}", fen) for place, fen in report.fen_by_place.items()),
            ("paid by successful payouts", report.paid_by_payouts_fen),
        ):
            table.add_row(name, f"{fen / 100:,.2f}")
        out.print(table)
        for problem in report.problems:
            out.print(f"[red]problem:[/red] {problem}")
        if report.balanced:
            out.print("[green]balanced[/green]")
    if not report.balanced:
        raise typer.Exit(1)


@app.command("worker")
def run_worker(
    burst: Annotated[bool, typer.Option(help="Stop when the queue is empty.")] = False,
    sweep_every: Annotated[float, typer.Option(help="Seconds between sweeps.")] = 5.0,
) -> None:
    """Pay payouts from the `payouts` queue, reconcile days from the `reconcile` queue, run
    risk's training, ring and diversion jobs from the `risk` queue and campaign back-tests from
    the `backtest` queue (rq); sweep for payouts that are due, queue each day's reconciliation,
    and queue every brand's ring and diversion jobs on their schedule (risk/jobs.py)."""
    import threading
    import time

    import redis
    from rq import SimpleWorker

    from infra.logging import get_logger
    from infra.redis import get_queue_redis
    from payouts import jobs, sweeper
    from rewards import backtest
    from risk import jobs as risk_jobs

    # SimpleWorker runs jobs in this process instead of forking one per job: a payout is a
    # few milliseconds of work, a fork costs more, and a crash mid-job loses nothing (the
    # sweeper finds the payout again; see payouts/service.py).
    stop = threading.Event()
    sweeping = threading.Thread(
        target=sweeper.sweep_forever, args=(stop,), kwargs={"interval": sweep_every}, daemon=True
    )
    scheduling = threading.Thread(target=risk_jobs.schedule_forever, args=(stop,), daemon=True)
    if not burst:  # a burst run drains the queue as it is, then stops
        sweeping.start()
        scheduling.start()
    queues = [*jobs.QUEUES, risk_jobs.QUEUE, backtest.QUEUE]
    try:
        while True:
            try:
                worker = SimpleWorker(queues, connection=get_queue_redis())
                worker.work(burst=burst, logging_level="WARNING")
                return
            except redis.ConnectionError as exc:
                # rq gives up when Redis goes away at some points of its loop (a heartbeat);
                # Redis restarting is not a reason for the worker to stop. A job it was
                # running when Redis went is found again by the sweeper (payouts) or re-queued.
                get_logger(__name__).warning("worker_lost_redis", error=str(exc)[:200])
                time.sleep(2)
    finally:
        stop.set()


@app.command()
def reconcile(
    day: Annotated[
        str | None, typer.Option(help="The UTC day, YYYY-MM-DD; default yesterday.")
    ] = None,
    queue: Annotated[bool, typer.Option(help="Queue it for the workers instead.")] = False,
) -> None:
    """Compare a day's payouts with the provider's bills and list every difference; exits 1 if
    there is any (for cron). The workers also queue yesterday's on their own, once a day."""
    from datetime import UTC, datetime, timedelta

    from payouts import jobs

    when = _day(day, "--day") or (datetime.now(UTC) - timedelta(days=1)).date()
    if queue:
        out.print(f"queued as job {jobs.enqueue_reconcile(when)}")
        return
    report = jobs.reconcile_job(when.isoformat())
    out.print(
        f"{report['day']}: {report['bills_ours']} bills sent, {report['bills_theirs']} at the "
        f"provider; paid {report['paid_fen_ours'] / 100:,.2f} by us, "
        f"{report['paid_fen_theirs'] / 100:,.2f} by them"
    )
    table = Table(title=f"{len(report['differences'])} differences")
    for name in ("bill_no", "kind", "ours", "theirs"):
        table.add_column(name)
    for d in report["differences"]:
        table.add_row(d["bill_no"], d["kind"], d["ours"], d["theirs"])
    out.print(table)
    if report["differences"]:
        raise typer.Exit(1)


@app.command()
def sandbox(host: str = "127.0.0.1", port: int = 8900) -> None:
    """Run the sandbox payment provider (payouts/sandbox.py); faults via POST /sandbox/faults
    or ONECODE_SANDBOX_* variables."""
    import uvicorn

    uvicorn.run(
        "payouts.sandbox:app",
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,  # a request told to hang must not hold up a stop
    )


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the HTTP API (docs at /docs, OpenAPI at /openapi.json)."""
    import uvicorn

    uvicorn.run(
        "onecode.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command()
def demo(
    seed_file: Annotated[Path, typer.Option("--seed", help="Seed file.")] = Path("seeds/demo.yaml"),
    host: str = "127.0.0.1",
    port: int = 8000,
    no_serve: Annotated[bool, typer.Option(help="Stop after seeding.")] = False,
) -> None:
    """Migrate, seed the demo brand (codes and print files) and serve the API."""
    migrate.upgrade()
    result = _seed(seed_file, skip_existing=True)
    if result is not None:
        out.print_json(json.dumps(result, ensure_ascii=False))
    from onecode import seed as seeding

    spec = seeding.load(seed_file)
    slug = spec.brand.slug
    _print_examples(slug, host, port)
    if no_serve:
        return
    # Red packets go out through a worker to the sandbox provider, both beside the API.
    import os
    import subprocess

    from infra.settings import get_settings

    sandbox_port = port + 900
    api = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    os.environ.setdefault("ONECODE_PAYOUT_PROVIDER_URL", f"http://127.0.0.1:{sandbox_port}")
    os.environ.setdefault("ONECODE_PAYOUT_NOTIFY_URL", f"{api}/v1/payouts/notify")
    get_settings.cache_clear()
    cmd = [sys.executable, "-m", "onecode.cli"]
    # Bills take a second to settle, as real ones do; the sandbox then notifies the API.
    sandbox_env = {"ONECODE_SANDBOX_SETTLE_MS": "1000", **os.environ}
    helpers = [  # our own interpreter and fixed arguments
        subprocess.Popen(  # noqa: S603
            [*cmd, "sandbox", "--port", str(sandbox_port)],
            env=sandbox_env,
            preexec_fn=_die_with_parent,
        ),
        subprocess.Popen(  # noqa: S603
            [*cmd, "worker", "--sweep-every", "2"],
            preexec_fn=_die_with_parent,
        ),
    ]
    out.print(f"\nPayment sandbox on http://127.0.0.1:{sandbox_port}, one payout worker running.")
    out.print(
        "Cash (a consumer's red packet, the guide's bonus, the open-case reward) is sent at "
        "once and paid a second later, when the sandbox notifies the API; prizes under the "
        "campaign's payout minimum wait to go together. Watch it in a wallet and in the "
        "campaign's statement:",
        soft_wrap=True,
    )
    out.print(
        f"curl -s 'http://{host}:{port}/v1/consumer/wallet?brand={slug}&openid=demo-alice'",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
    for campaign in spec.campaigns[:1]:
        out.print(
            f"{cmd[0]} -m onecode.cli statement --brand {slug} --campaign {campaign.slug}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
    out.print(f"API docs: http://{host}:{port}/docs")
    try:
        serve(host=host, port=port)
    finally:
        for helper in helpers:
            helper.terminate()
            helper.wait(timeout=10)


def _die_with_parent() -> None:
    """In a demo helper, before it starts: on Linux, be sent SIGTERM when the demo process
    ends, however it ends (a killed demo left its sandbox holding the port). Elsewhere the
    demo's own clean-up is all there is."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


@reports_app.command("rebuild")
def reports_rebuild(brand: BrandOpt) -> None:
    """Recount a brand's dashboard rollups from its recorded scans (after upgrading from a
    version without them, or to check them); payouts are counted by the migration itself."""
    with _session() as s:
        b = brands.get_brand(s, brand)
        total = s.scalar(select(func.count()).where(ScanRecord.brand_id == b.id)) or 0
        with _progress() as bar:
            task = bar.add_task(f"scans of {brand}", total=total)
            counted = rollups.rebuild(s, b.id, progress=lambda n: bar.advance(task, n))
    out.print(f"{counted} scans counted")


def _print_examples(slug: str, host: str, port: int) -> None:
    """Example calls a newcomer can paste, one per role (onecode/demo.py)."""
    from onecode import demo as demo_examples

    with _session() as s:
        examples = demo_examples.examples(s, slug)
    out.print(
        f"\n[bold]Console[/]: http://{host}:{port}/console/ (brand {slug}; the staff's console"
        " passwords are in the seed report above, shown only when the brand is first seeded)"
    )
    out.print("\n[bold]Try it[/] (the server must be running):")
    for example in examples:
        out.print(f"# {example.what}", soft_wrap=True, markup=False)
        out.print(
            example.curl(f"http://{host}:{port}"), soft_wrap=True, markup=False, highlight=False
        )


def main() -> None:
    configure_logging()
    try:
        app()
    except OnecodeError as exc:  # pragma: no cover - commands catch their own
        err.print(f"error {exc.code}: {exc.message}")
        sys.exit(2)


if __name__ == "__main__":
    main()
