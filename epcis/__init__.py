"""EPCIS 2.0: onecode's packing and shipments as GS1 events, and partners' events taken in.

The public face: `export_document` and `import_document` (and `parent_of`, which answers for
this brand's codes and for partners' identifiers alike).
"""

from __future__ import annotations

from epcis.exporting import export_document
from epcis.importing import EventResult, import_document, parent_of

__all__ = ["EventResult", "export_document", "import_document", "parent_of"]
