"""The seed file and the command line, as a plant operator would use them."""

from __future__ import annotations

import uuid
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from brands import login
from infra.db import session_scope
from onecode import seed as seeding
from onecode.cli import app
from payouts import owing
from rewards import recorder
from rewards.models import Award
from tests.helpers import info

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "demo.yaml"
runner = CliRunner()


def _demo_spec(tmp_path: Path) -> Path:
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    spec["brand"]["slug"] = "demo-" + uuid.uuid4().hex[:8]
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_demo_seed_builds_a_packed_activated_brand(tmp_path: Path) -> None:
    spec = seeding.load(_demo_spec(tmp_path))
    with session_scope() as s:
        report, pending = seeding.apply(s, spec)
    assert set(report.batches) == {"caps", "bottles", "cases", "pallets"}
    assert len(pending) == 2
    assert set(report.tokens) == {"admin", "plant", "gz-dealer"}
    assert set(report.console_passwords) == {"admin", "plant", "gz-dealer"}
    with session_scope() as s:  # each staff member can sign in to the console with theirs
        done = login.sign_in(
            s,
            brand=report.brand_slug,
            username="plant",
            password=report.console_passwords["plant"],
        )
        assert done.staff.role == "code_operator"
    from tests.helpers import code

    cap = info(report.brand_id, code(report.brand_id, report.batches["caps"], 5999))
    assert cap.state == "active"
    assert cap.campaign_slug == "spring-2027"
    assert [p.kind for p in cap.parents] == ["bottle", "case", "pallet"]
    assert (
        info(report.brand_id, code(report.brand_id, report.batches["caps"], 6000)).state == "blank"
    )
    assert (
        info(report.brand_id, code(report.brand_id, report.batches["caps"], 11995)).state
        == "voided"
    )


def test_invalid_seed_files_say_what_is_wrong(tmp_path: Path) -> None:
    head = "brand: {slug: x1, name: X, scan_base_url: https://qr.x.cn}\nbatches:\n"
    files = {
        "  - {name: caps, kind: cap, count: 0}\n": "batches.0.count",
        "  - {name: caps, kind: cap, count: 5}\npacking:\n"
        "  - {children: caps, parents: nope, per_parent: 1}\n": "unknown batch name(s): nope",
        "  - {name: caps, kind: cap, count: 5, colour: red}\n": "batches.0.colour",
    }
    for body, expected in files.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(head + body)
        result = runner.invoke(app, ["seed", str(bad)])
        assert result.exit_code == 2
        assert "INVALID_INPUT" in result.output
        assert expected in result.output.replace("\n", " ")


def test_seed_error_midway_leaves_nothing(tmp_path: Path) -> None:
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    slug = "broken-" + uuid.uuid4().hex[:8]
    spec["brand"]["slug"] = slug
    spec["activations"][0]["product"] = "NO-SUCH-SKU"
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["seed", str(path)])
    assert result.exit_code == 2
    assert "UNKNOWN_REFERENCE" in result.output
    with session_scope() as s:
        assert not seeding.brand_exists(s, slug)


def test_cli_issue_activate_lookup_verify(tmp_path: Path, brand) -> None:  # type: ignore[no-untyped-def]
    r = runner.invoke(
        app, ["codegen", "issue", "-b", brand.slug, "--kind", "cap", "--count", "100"]
    )
    assert r.exit_code == 0, r.output
    batch_id = int(r.output.split()[1].rstrip(":"))
    r = runner.invoke(
        app,
        [
            "codegen",
            "activate",
            "-b",
            brand.slug,
            "--batch",
            str(batch_id),
            "--count",
            "10",
            "--product",
            "LAGER-500",
            "--date",
            "2026-11-01",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "10 activated" in r.output
    out = tmp_path / "qr"
    r = runner.invoke(
        app,
        [
            "codegen",
            "qr",
            "-b",
            brand.slug,
            "--batch",
            str(batch_id),
            "--count",
            "3",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0
    assert len(list(out.glob("*.png"))) == 3
    code = sorted(out.glob("*.png"))[0].stem
    r = runner.invoke(app, ["codegen", "verify", code])
    assert r.exit_code == 0
    assert "genuine" in r.output
    r = runner.invoke(app, ["codegen", "lookup", "-b", brand.slug, code])
    assert r.exit_code == 0
    assert '"state": "active"' in r.output
    r = runner.invoke(app, ["codegen", "verify", code[:-1] + ("0" if code[-1] != "0" else "1")])
    assert r.exit_code == 2
    assert "CODE_CHECK_FAILED" in r.output
    r = runner.invoke(
        app,
        [
            "codegen",
            "activate",
            "-b",
            brand.slug,
            "--batch",
            str(batch_id),
            "--start",
            "95",
            "--count",
            "10",
            "--product",
            "LAGER-500",
        ],
    )
    assert r.exit_code == 2
    assert "RANGE_OUTSIDE_BATCH" in r.output


def test_cli_help_explains_the_jobs() -> None:
    r = runner.invoke(app, ["codegen", "--help"])
    assert r.exit_code == 0
    for command in (
        "issue",
        "export",
        "qr",
        "activate",
        "void",
        "pack",
        "link",
        "unpack",
        "lookup",
    ):
        assert command in r.output


def test_every_demo_example_answers_as_labelled(tmp_path: Path, client: TestClient) -> None:
    from onecode import demo

    spec = seeding.load(_demo_spec(tmp_path))
    with session_scope() as s:
        report, _pending = seeding.apply(s, spec)
    for run in (1, 2):  # a second run of the demo prints examples that still hold
        with session_scope() as s:
            examples = demo.examples(s, spec.brand.slug)
        roles = {e.path.split("/")[2] for e in examples}
        assert roles == {"codes", "guide", "scan", "store", "dealer"}, run
        for e in examples:
            headers = {"authorization": f"Bearer {e.token}"} if e.token else {}
            r = client.request(e.method, e.path, json=e.body, headers=headers)
            said = r.json().get("outcome") or str(r.status_code)
            assert said in e.expect, (run, e.what, r.status_code, r.text)
        shipped = next(e for e in examples if e.path == "/v1/dealer/uploads")
        assert shipped.curl("http://h").startswith("curl -s -X POST -H 'content-type")
    with session_scope() as s:
        guide_awards = s.scalar(
            select(func.count())
            .select_from(Award)
            .where(Award.brand_id == report.brand_id, Award.tier == "guide-bonus")
        )
    while recorder.drain(report.brand_id):
        pass
    with session_scope() as s:
        after = s.scalar(
            select(func.count())
            .select_from(Award)
            .where(Award.brand_id == report.brand_id, Award.tier == "guide-bonus")
        )
    assert (guide_awards, after) == (0, 1)  # the guide earned when the cap was claimed
    with session_scope() as s:  # 0.50 yuan, under the demo campaign's 1 yuan payout minimum
        assert owing.waiting_fen(s, report.brand_id, "guide:demo-guide") == 50

    slug, csv_file = spec.brand.slug, tmp_path / "campaign.csv"
    r = runner.invoke(
        app, ["statement", "--brand", slug, "--campaign", "spring-2027", "--csv", str(csv_file)]
    )
    assert r.exit_code == 0, r.output
    header, *days = csv_file.read_text(encoding="utf-8").splitlines()
    assert header == "day,region_code,awarded_fen,paid_fen,voided_fen,entries"
    assert sum(int(line.split(",")[2]) for line in days) >= 50 + 200  # guide's, open-case
    r = runner.invoke(app, ["statement", "--brand", slug, "--stores"])
    assert r.exit_code == 0, r.output
    assert "owed to stores" in r.output
    assert "store:" in r.output
    r = runner.invoke(app, ["statement", "--brand", slug])
    assert r.exit_code != 0
    assert "give one of" in r.output
