"""The API docs a mini-program, store or PDA developer builds against: every field described,
examples for every request, and every error code listed with its meaning and an example."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from infra.errors import catalogue, meaning

CLIENT_PREFIXES = (
    "/v1/scan/",
    "/v1/consumer/",
    "/v1/store/",
    "/v1/guide/",
    "/v1/field/",
    "/v1/dealer/",
    "/v1/codes/",
    "/c/",
)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _undescribed(spec: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """Properties without a description, through nested models, lists and optionals."""
    schema = _resolve(spec, schema)
    missing = []
    for name, prop in schema.get("properties", {}).items():
        if "description" not in prop and "description" not in _resolve(spec, prop):
            missing.append(f"{where}.{name}")
        for inner in (prop, prop.get("items", {}), *prop.get("anyOf", [])):
            if "$ref" in inner:
                missing += _undescribed(spec, inner, f"{where}.{name}")
    return missing


def _client_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in spec["paths"].items()
        if path.startswith(CLIENT_PREFIXES)
        for method, op in ops.items()
    ]


def test_client_endpoints_describe_every_field_and_give_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = _client_operations(spec)
    assert len(operations) >= 7
    missing: list[str] = []
    for path, method, op in operations:
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            schema = _resolve(spec, body["schema"])
            missing += _undescribed(spec, schema, f"{method} {path} body")
            if "examples" not in schema:  # a whole, valid request to start from
                missing.append(f"{method} {path}: no request example")
        ok = next(r for status, r in op["responses"].items() if status.startswith("2"))
        out = ok.get("content", {}).get("application/json", {}).get("schema")
        if out:
            missing += _undescribed(spec, out, f"{method} {path} answer")
    assert missing == []


def test_every_client_endpoint_lists_its_error_codes_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method, op in _client_operations(spec):
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        assert {"422", "503"} <= set(errors), (method, path)
        for status, response in errors.items():
            examples = response["content"]["application/json"]["examples"]
            assert examples, (method, path, status)
            for code, example in examples.items():
                assert example["value"]["error"]["code"] == code
                assert code in response["description"]


def test_the_error_table_has_every_code_once_with_its_meaning(client: TestClient) -> None:
    description = client.get("/openapi.json").json()["info"]["description"]
    classes = catalogue()
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)) > 40
    for cls in classes:
        assert meaning(cls), f"{cls.__name__} has no docstring saying what {cls.code} means"
        assert f"| `{cls.code}` | {cls.status} | {meaning(cls)} |" in description


def test_every_example_is_valid_against_its_own_model() -> None:
    from scan_api.consumer import ConsumerScanIn, ConsumerScanOut
    from scan_api.dealer import UploadIn
    from scan_api.field import GuideSaleIn, OpenCaseIn, RedeemIn, StoreRegisterIn
    from scan_api.routes import Verification

    models: list[type[BaseModel]] = [
        ConsumerScanIn,
        ConsumerScanOut,
        Verification,
        StoreRegisterIn,
        RedeemIn,
        GuideSaleIn,
        OpenCaseIn,
        UploadIn,
    ]
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        assert isinstance(extra, dict), model.__name__
        assert extra["examples"], model.__name__
        for example in extra["examples"]:  # type: ignore[union-attr]
            model.model_validate(example)
