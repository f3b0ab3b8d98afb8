"""CSV for everything tabular: every admin GET that answers a list also answers as CSV with
`?format=csv`, declared in OpenAPI (the `format` parameter and a `text/csv` body).

Done once, in the admin routers' route class, so that a new list endpoint cannot forget it
(tests/test_admin_routes.py checks every one). The CSV starts with a UTF-8 byte-order mark:
without it, Excel, which brand staff open these in, shows Chinese names as mojibake.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import typing
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.routing import APIRoute
from pydantic import BaseModel

CSV = "text/csv; charset=utf-8"


def _format(
    format: Annotated[
        Literal["json", "csv"], Query(description="`csv` for a spreadsheet of the same rows.")
    ] = "json",
) -> None:
    """Declares `format` on the route; the route class acts on it."""


def _item_type(endpoint: Callable[..., Any]) -> Any | None:
    """The item type if the endpoint answers `list[Item]`, else None."""
    annotation = get_typed_return_annotation(endpoint)
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0]
    return None


def _columns(item: Any) -> list[str]:
    if isinstance(item, type) and issubclass(item, BaseModel):
        return list(item.model_fields)
    if dataclasses.is_dataclass(item):
        return [f.name for f in dataclasses.fields(item)]
    return []


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Rows as CSV, columns in the model's order, then any others as they first appear; nested
    values as JSON."""
    names = list(columns)
    for row in rows:
        names += [k for k in row if k not in names]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(n)) for n in names])
    return out.getvalue()


class TabularRoute(APIRoute):
    """The admin routers' route class (`APIRouter(route_class=TabularRoute)`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        item = _item_type(endpoint)
        self.tabular = item is not None and set(kwargs.get("methods") or ()) == {"GET"}
        self.columns = _columns(item) if self.tabular else []
        if self.tabular:
            kwargs["dependencies"] = [*(kwargs.get("dependencies") or []), Depends(_format)]
            responses = dict(kwargs.get("responses") or {})
            ok = dict(responses.get(200, {}))
            ok["content"] = {**ok.get("content", {}), "text/csv": {"schema": {"type": "string"}}}
            responses[200] = ok
            kwargs["responses"] = responses
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not self.tabular:
            return handler
        filename = self.path.strip("/").replace("/", "-").replace("{", "").replace("}", "")

        async def handle(request: Request) -> Response:
            response = await handler(request)
            if request.query_params.get("format") != "csv" or response.status_code != 200:
                return response
            rows = json.loads(bytes(response.body))
            return Response(
                to_csv(rows, self.columns),
                media_type=CSV,
                headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
            )

        return handle
