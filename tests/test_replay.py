"""Replay: recorded scans through the real pipeline, on scratch state."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from codegen import format as fmt
from infra.redis import brand_key, get_redis
from onecode.cli import app
from tests.conftest import BrandCtx
from tests.helpers import code
from tests.test_consumer_scan import _campaign_id, _setup


def test_replay_decides_in_time_order_without_touching_real_state(
    brand: BrandCtx, tmp_path: Path
) -> None:
    batch = _setup(brand, total_budget_fen=400)  # two 188-fen prizes fit, the third does not
    c = [code(brand.id, batch, i) for i in range(4)]
    lines = [  # deliberately out of order: replay sorts by time
        {"at": "2026-11-23T12:00:03+08:00", "code": c[2], "openid": "c"},
        {"at": "2026-11-23T12:00:00+08:00", "code": c[0], "openid": "a", "region_code": "440106"},
        {"at": 1795406401000, "code": c[1], "openid": "b"},  # epoch ms: 12:00:01 in Shanghai
        {"at": "2026-11-23T12:00:02+08:00", "code": c[0], "openid": "b"},
        {"at": "2026-11-23T12:00:04+08:00", "code": fmt.assemble(c[0][:3], 7), "openid": "d"},
        {
            "at": "2026-11-23T12:00:05+08:00",
            "code": c[3][:-1] + ("0" if c[3][-1] != "0" else "1"),
            "openid": "e",
        },
    ]
    scans = tmp_path / "scans.jsonl"
    scans.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "decisions.jsonl"
    r = CliRunner().invoke(app, ["replay", str(scans), "--out", str(out)])
    assert r.exit_code == 0, r.output
    decisions = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["openid"] for d in decisions] == ["a", "b", "b", "c", "d", "e"]
    assert [d["outcome"] for d in decisions] == [
        "won",
        "won",
        "already_claimed",
        "thanks",
        "error",
        "error",
    ]
    assert [d.get("error") for d in decisions[4:]] == ["CODE_NOT_GENUINE", "CODE_CHECK_FAILED"]
    summary = json.loads(r.stdout[r.stdout.index("{") : r.stdout.rindex("}") + 1])
    assert summary["awarded_fen"] == 376
    assert summary["awarded_fen_by_region"] == {"440106": 188, "-": 188}
    assert summary["budget_left_fen"] == {"spring": 24}
    # nothing real was claimed or spent
    assert get_redis().get(brand_key(brand.id, "spent", _campaign_id(brand))) is None


def test_replay_names_the_bad_line(tmp_path: Path) -> None:
    scans = tmp_path / "scans.jsonl"
    scans.write_text(
        '{"at": "2026-11-23T12:00:00+08:00", "code": "X", "openid": "a"}\n{"code": "Y"}\n'
    )
    r = CliRunner().invoke(app, ["replay", str(scans), "--out", str(tmp_path / "d.jsonl")])
    assert r.exit_code == 2
    assert "line 2" in r.output
