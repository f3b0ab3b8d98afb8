"""The architecture, checked: public faces resolve and dependencies point inward."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types
from pathlib import Path

import codegen

ROOT = Path(__file__).resolve().parent.parent
WEB = {"scan_api", "admin", "onecode"}
DOMAINS = {"codegen", "brands", "logistics", "payouts", "rewards", "risk"}


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_every_public_codegen_name_resolves_even_after_all_submodules_load() -> None:
    # Importing a submodule binds its name on the package: a public name must never be one.
    for module in pkgutil.iter_modules(codegen.__path__):
        importlib.import_module(f"codegen.{module.name}")
    for name in codegen.__all__:
        assert not isinstance(getattr(codegen, name), types.ModuleType), name


def test_domains_never_import_web_layers() -> None:
    for domain in DOMAINS:
        assert not _imports(domain) & WEB, domain


def test_money_leaves_through_payouts_which_knows_nothing_of_campaigns() -> None:
    # rewards hands awards to payouts; payouts never reaches back into rewards.
    assert "payouts" in _imports("rewards")
    assert not _imports("payouts") & {"rewards", "codegen", "logistics"}


def test_infra_imports_no_domain() -> None:
    assert not _imports("infra") & (DOMAINS | WEB)
