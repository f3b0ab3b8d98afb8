"""The architecture, checked: public faces resolve and dependencies point inward."""

from __future__ import annotations

import ast
from pathlib import Path

import codegen

ROOT = Path(__file__).resolve().parent.parent
WEB = {"scan_api", "admin", "onecode"}
DOMAINS = {"codegen", "brands", "rewards", "risk"}


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_every_public_codegen_name_resolves() -> None:
    for name in codegen.__all__:
        assert getattr(codegen, name) is not None, name


def test_domains_never_import_web_layers() -> None:
    for domain in DOMAINS:
        assert not _imports(domain) & WEB, domain


def test_infra_imports_no_domain() -> None:
    assert not _imports("infra") & (DOMAINS | WEB)
