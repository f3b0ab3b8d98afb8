"""`onecode risk …`: simulate, train, promote and roll back models; find rings; diversion."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from brands import service as brands
from infra.db import session_scope
from infra.errors import OnecodeError

risk_app = typer.Typer(
    help="Risk: simulated markets, model training and promotion, rings, diversion.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)
BrandOpt = Annotated[str, typer.Option("--brand", "-b", help="Brand slug.")]


def _brand_id(slug: str) -> int:
    with session_scope() as s:
        return brands.get_brand(s, slug).id


def _fail(exc: OnecodeError) -> None:
    err.print(f"[red]error[/red] {exc.code}: {exc.message}")
    raise typer.Exit(2)


@risk_app.command()
def simulate(
    seed: Annotated[int, typer.Option(help="Which market: every rate is drawn from it.")] = 1,
    cases: Annotated[int, typer.Option(min=10, help="Cases of 12 bottles.")] = 1200,
    model: Annotated[
        Path | None, typer.Option(help="A model file to promote for the world's brand first.")
    ] = None,
) -> None:
    """Create brand sim-SEED as a simulated market and play its scans through the product
    (docs/simulator.md). Its accounts are labelled with the simulator's truth, for training."""
    from rich.progress import Progress

    from simulator import play, world

    w = world.build(seed, cases=cases)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"world {seed}", total=None)

        def show(n: int, total: int) -> None:
            bar.update(task, completed=n, total=total)

        p = play.play(w, model_json=model.read_text() if model else None, progress=show)
    out.print_json(
        json.dumps(
            {
                "brand": w.slug,
                "events": len(p.traffic.events),
                "outcomes": p.outcomes,
                "fraud_scans_by_style": p.traffic.styles,
                "fraud_accounts": len(p.traffic.fraud_accounts),
                "honest_accounts": len(p.traffic.honest_accounts),
                "rates": w.rates,
            }
        )
    )


@risk_app.command()
def train(
    brand: BrandOpt,
    seed: int = 0,
    also: Annotated[
        list[str] | None, typer.Option(help="Other brands whose scans to learn from too.")
    ] = None,
    promote: Annotated[bool, typer.Option(help="Promote it at once.")] = False,
    queue: Annotated[bool, typer.Option(help="Queue it for the workers instead.")] = False,
) -> None:
    """Train a model on the brand's recorded, labelled scans; evaluate it on the latest quarter
    of the span; store it as a candidate version."""
    from risk import jobs, registry, training

    target = _brand_id(brand)
    if queue:
        out.print(f"queued as job {jobs.enqueue('train', target)}")
        return
    sources = [target] + [_brand_id(b) for b in also or []]
    try:
        with session_scope() as s:
            row = training.train_many(s, brand_ids=sources, target=target, seed=seed)
            if promote:
                registry.promote(s, brand_id=target, version=row.version, actor="cli")
            out.print(f"model version {row.version} ({'active' if promote else 'candidate'})")
            out.print_json(json.dumps(row.metrics))
    except OnecodeError as exc:
        _fail(exc)


@risk_app.command()
def models(brand: BrandOpt) -> None:
    """The brand's model versions, their state and hold-out metrics."""
    from risk import registry

    with session_scope() as s:
        table = Table()
        for name in ("version", "state", "created", "rows", "precision", "recall", "PR-AUC"):
            table.add_column(name)
        for m in registry.listing(s, brand_id=_brand_id(brand)):
            table.add_row(
                str(m.version),
                m.state,
                m.created_at.isoformat(timespec="seconds"),
                str(m.trained_on.get("rows", "")),
                str(m.metrics.get("precision", "")),
                str(m.metrics.get("recall", "")),
                str(m.metrics.get("pr_auc", "")),
            )
        out.print(table)


@risk_app.command()
def promote(brand: BrandOpt, version: int) -> None:
    """Serve this version from the next scan on."""
    from risk import registry

    try:
        with session_scope() as s:
            registry.promote(s, brand_id=_brand_id(brand), version=version, actor="cli")
    except OnecodeError as exc:
        _fail(exc)
    out.print(f"version {version} is active")


@risk_app.command()
def rollback(brand: BrandOpt) -> None:
    """Serve again the version that was active before the current one."""
    from risk import registry

    try:
        with session_scope() as s:
            row = registry.rollback(s, brand_id=_brand_id(brand), actor="cli")
            out.print(f"version {row.version} is active again")
    except OnecodeError as exc:
        _fail(exc)


@risk_app.command("export")
def export_model(brand: BrandOpt, version: int, path: Path) -> None:
    """Write a model version to a file (JSON; see risk/model.py)."""
    from risk import registry

    with session_scope() as s:
        path.write_text(registry.get(s, brand_id=_brand_id(brand), version=version).model_json)
    out.print(f"wrote {path}")


@risk_app.command("import")
def import_model(brand: BrandOpt, path: Path) -> None:
    """Store a model file as a candidate version of the brand (checked before it is stored)."""
    from risk import registry

    try:
        with session_scope() as s:
            row = registry.save(
                s,
                brand_id=_brand_id(brand),
                model_json=path.read_text(),
                metrics={},
                trained_on={"imported_from": str(path)},
            )
            out.print(f"model version {row.version} (candidate)")
    except OnecodeError as exc:
        _fail(exc)


@risk_app.command()
def rings(brand: BrandOpt) -> None:
    """Find rings in the last two weeks of scans now (the workers' `risk` queue does it too)."""
    from risk import graph

    with session_scope() as s:
        found = graph.run(s, brand_id=_brand_id(brand), now=datetime.now(UTC))
        table = Table(title=f"{len(found)} rings")
        for name in ("id", "accounts", "devices", "networks", "density", "status"):
            table.add_column(name)
        for r in sorted(found, key=lambda r: -r.size):
            table.add_row(
                str(r.id),
                str(r.size),
                str(len(r.devices)),
                str(len(r.networks)),
                str(r.density),
                r.status,
            )
        out.print(table)


@risk_app.command()
def diversion(
    brand: BrandOpt,
    csv: Annotated[bool, typer.Option(help="The per-dealer report as CSV on stdout.")] = False,
) -> None:
    """Score every shipped case, store alerts with their evidence, print the dealer report."""
    from risk import diversion as div

    with session_scope() as s:
        b = _brand_id(brand)
        views = div.cases(s, brand_id=b)  # every located scan of the brand: read it once
        alerts = div.run(s, brand_id=b, now=datetime.now(UTC), views=views)
        report = div.dealer_report(s, brand_id=b, views=views)
    if csv:
        import csv as csv_

        columns = [k for k in report[0] if k != "scanned_in"] if report else []
        writer = csv_.writer(sys.stdout)
        writer.writerow([*columns, "scanned_in"])
        for r in report:
            writer.writerow([*(r[k] for k in columns), "; ".join(r["scanned_in"])])  # type: ignore[arg-type]
        return
    out.print(f"{len(alerts)} cases alerted")
    table = Table(title="dealers")
    for name in ("dealer", "shipped", "with scans", "alerted", "rate", "outside", "scanned in"):
        table.add_column(name)
    for r in report:
        table.add_row(
            str(r["dealer"]) + (" (diverting)" if r["diverting"] else ""),
            str(r["cases_shipped"]),
            str(r["cases_with_scans"]),
            str(r["cases_alerted"]),
            str(r["alert_rate"]),
            str(r["outside_share"]),
            ", ".join(r["scanned_in"]),  # type: ignore[arg-type]
        )
    out.print(table)
