"""Codes: issue sealed codes in batches, verify them offline, activate, void, pack and print.

The public face; the web layers and the CLI use only these names.
"""

from codegen.activation import (
    Binding,
    RangeResult,
    activate_by_parent,
    activate_range,
    codes_to_range,
    void_range,
)
from codegen.batches import code_at, get_batch, issue_batch, list_batches, resolve
from codegen.keys import keyring, rotate_key
from codegen.lookup import CodeInfo, CodeRef, lookup
from codegen.packing import pack_in_order, pack_links, unpack
from codegen.printfiles import create_export, export_dir, get_export, open_download, run_export
from codegen.sealing import SealedCode, open_code

__all__ = [
    "Binding",
    "CodeInfo",
    "CodeRef",
    "RangeResult",
    "SealedCode",
    "activate_by_parent",
    "activate_range",
    "code_at",
    "codes_to_range",
    "create_export",
    "export_dir",
    "get_batch",
    "get_export",
    "issue_batch",
    "keyring",
    "list_batches",
    "lookup",
    "open_code",
    "open_download",
    "pack_in_order",
    "pack_links",
    "resolve",
    "rotate_key",
    "run_export",
    "unpack",
    "void_range",
]
