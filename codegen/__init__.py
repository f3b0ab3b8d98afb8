"""Codes: issue sealed codes in batches, verify them offline, activate, void, pack and print.

The public face; the web layers and the CLI use only these names. They are imported on first
use, so that print-file worker processes, which import `codegen.printparts` alone, start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "codegen.activation": (
        "Binding",
        "RangeResult",
        "activate_by_parent",
        "activate_range",
        "codes_to_range",
        "select_range",
        "void_range",
    ),
    "codegen.batches": (
        "assign_sscc",
        "batch_of",
        "code_at",
        "get_batch",
        "issue_batch",
        "list_batches",
        "resolve",
        "sscc_of",
    ),
    "codegen.keys": ("keyring", "rotate_key"),
    "codegen.codeinfo": ("CodeInfo", "CodeRef", "lookup", "state_of"),
    "codegen.packing": ("PackIndex", "pack_in_order", "pack_index", "pack_links", "unpack"),
    "codegen.printfiles": (
        "create_export",
        "export_dir",
        "get_export",
        "list_exports",
        "open_download",
        "run_export",
    ),
    "codegen.sealing": ("SealedCode", "open_code", "printed"),
}
_WHERE = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_WHERE)

if TYPE_CHECKING:  # `name as name`: an explicit re-export for type checkers
    from codegen.activation import (
        Binding as Binding,
        RangeResult as RangeResult,
        activate_by_parent as activate_by_parent,
        activate_range as activate_range,
        codes_to_range as codes_to_range,
        select_range as select_range,
        void_range as void_range,
    )
    from codegen.batches import (
        assign_sscc as assign_sscc,
        batch_of as batch_of,
        code_at as code_at,
        get_batch as get_batch,
        issue_batch as issue_batch,
        list_batches as list_batches,
        resolve as resolve,
        sscc_of as sscc_of,
    )
    from codegen.codeinfo import (
        CodeInfo as CodeInfo,
        CodeRef as CodeRef,
        lookup as lookup,
        state_of as state_of,
    )
    from codegen.keys import (
        keyring as keyring,
        rotate_key as rotate_key,
    )
    from codegen.packing import (
        PackIndex as PackIndex,
        pack_in_order as pack_in_order,
        pack_index as pack_index,
        pack_links as pack_links,
        unpack as unpack,
    )
    from codegen.printfiles import (
        create_export as create_export,
        export_dir as export_dir,
        get_export as get_export,
        list_exports as list_exports,
        open_download as open_download,
        run_export as run_export,
    )
    from codegen.sealing import (
        SealedCode as SealedCode,
        open_code as open_code,
        printed as printed,
    )


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'codegen' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
