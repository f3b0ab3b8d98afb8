"""GS1 identifiers: GTIN and SSCC check digits, Digital Link parsing and building, EPC URNs,
and scanning, printing and shipping through each form."""

from __future__ import annotations

import io

import pytest
import pyzipper
from fastapi.testclient import TestClient

import codegen
from brands import service as brands
from codegen import gs1
from codegen.errors import InvalidGtin, InvalidSscc, MalformedDigitalLink, SsccTaken
from infra.db import session_scope
from tests.conftest import BrandCtx, auth
from tests.helpers import code, issue

GTIN = "06901234567892"  # GS1 China prefix 690, check digit 2

# (input, GTIN-14): GS1's own examples for each length
VALID_GTINS = [
    ("96385074", "00000096385074"),  # GTIN-8
    ("614141123452", "00614141123452"),  # GTIN-12 (UPC-A)
    ("4012345987652", "04012345987652"),  # GTIN-13
    ("6901234567892", GTIN),
    ("70614141123451", "70614141123451"),  # GTIN-14
]


@pytest.mark.parametrize(("text", "expected"), VALID_GTINS)
def test_gtins_of_every_length_are_padded_to_14(text: str, expected: str) -> None:
    assert gs1.gtin14(text) == expected


@pytest.mark.parametrize("text", ["6901234567891", "96385075", "123", "69012345678920", "ABCDEFGH"])
def test_bad_gtins_are_refused(text: str) -> None:
    with pytest.raises(InvalidGtin):
        gs1.gtin14(text)


def test_sscc_check_digit_matches_gs1s_example() -> None:
    # GS1 General Specifications' example: (00) 1 0614141 234567890 8
    assert gs1.sscc(1, "0614141", 234567890) == "106141412345678908"
    for form in ("106141412345678908", "00106141412345678908", "(00)106141412345678908"):
        assert gs1.parse_sscc(form) == "106141412345678908"
    with pytest.raises(InvalidSscc):
        gs1.parse_sscc("106141412345678909")
    with pytest.raises(InvalidSscc):
        gs1.sscc(1, "0614141", 10**9)  # a 7-digit prefix leaves 9 digits of reference
    with pytest.raises(InvalidSscc):
        gs1.sscc(1, "061", 1)


@pytest.mark.parametrize(
    ("uri", "gtin", "serial", "lot", "attributes"),
    [
        ("https://id.gs1.org/01/06901234567892/21/ABC", GTIN, "ABC", None, {}),
        ("https://qr.brand.cn/01/6901234567892/21/ABC", GTIN, "ABC", None, {}),
        ("HTTPS://QR.BRAND.CN/01/06901234567892/10/L26/21/ABC", GTIN, "ABC", "L26", {}),
        ("https://brand.cn/dl/p/01/06901234567892/21/ABC", GTIN, "ABC", None, {}),
        ("https://id.gs1.org/01/06901234567892/10/A%2FB/21/X%21Y", GTIN, "X!Y", "A/B", {}),
        (
            "https://id.gs1.org/01/06901234567892/21/ABC?17=271231&utm=x",
            GTIN,
            "ABC",
            None,
            {"17": "271231"},
        ),
        ("https://id.gs1.org/gtin/06901234567892/lot/L1/ser/ABC", GTIN, "ABC", "L1", {}),
        ("https://id.gs1.org/01/96385074/21/1", "00000096385074", "1", None, {}),
    ],
)
def test_digital_links_are_read(
    uri: str, gtin: str, serial: str, lot: str | None, attributes: dict[str, str]
) -> None:
    link = gs1.parse_link(uri)
    assert (link.gtin, link.serial, link.lot, link.attributes) == (gtin, serial, lot, attributes)


@pytest.mark.parametrize(
    "uri",
    [
        "https://id.gs1.org/01/06901234567891/21/ABC",  # check digit
        "https://id.gs1.org/01/123/21/ABC",  # GTIN length
        "https://id.gs1.org/01/06901234567892/21/A/10/L1",  # qualifiers out of order
        "https://id.gs1.org/01/06901234567892/21/",  # empty serial
        "https://id.gs1.org/01/06901234567892/21/ABCDEFGHIJKLMNOPQRSTU",  # serial over 20
        "https://id.gs1.org/01/06901234567892/21",  # odd segments
        "ftp://id.gs1.org/01/06901234567892/21/ABC",
        "https://id.gs1.org/00/106141412345678909",  # SSCC check digit
    ],
)
def test_malformed_digital_links_are_refused(uri: str) -> None:
    with pytest.raises(MalformedDigitalLink):
        gs1.parse_link(uri)


def test_built_links_read_back_and_keep_the_brands_upper_case() -> None:
    link = gs1.build_link("HTTPS://QR.BRAND.CN", gtin="6901234567892", serial="7KQ", lot="L26")
    assert link == "HTTPS://QR.BRAND.CN/01/06901234567892/10/L26/21/7KQ"
    assert gs1.parse_link(link) == gs1.Link(gtin=GTIN, serial="7KQ", lot="L26")
    assert (
        gs1.link_prefix("HTTPS://QR.BRAND.CN", gtin=GTIN)
        == "HTTPS://QR.BRAND.CN/01/06901234567892/21/"
    )
    assert (
        gs1.sscc_link("https://x.cn", "106141412345678908") == "https://x.cn/00/106141412345678908"
    )


def test_epc_urns_convert_both_ways() -> None:
    # GS1's EPCIS examples' identifiers
    sgtin = gs1.parse_identifier("urn:epc:id:sgtin:0614141.107346.2017")
    assert (sgtin.gtin, sgtin.serial) == ("10614141073464", "2017")
    assert gs1.sgtin_urn("10614141073464", "2017") == "urn:epc:id:sgtin:0614141.107346.2017"
    assert gs1.parse_identifier("urn:epc:id:sscc:0614141.1234567890").sscc == "106141412345678908"
    assert gs1.sscc_urn("106141412345678908") == "urn:epc:id:sscc:0614141.1234567890"
    assert gs1.canonical(sgtin) == "https://id.gs1.org/01/10614141073464/21/2017"
    with pytest.raises(MalformedDigitalLink):
        gs1.parse_identifier("urn:epc:id:sgtin:0614141.10734.2017")


CAMPAIGN = {
    "slug": "gs1",
    "name": "GS1",
    "status": "active",
    "total_budget_fen": 100_000,
    "prize_table": {"tiers": [{"key": "c", "kind": "cash", "amount_fen": 66, "probability": 1}]},
}


def _caps_with_gtin(client: TestClient, brand: BrandCtx, n: int = 8) -> int:
    with session_scope() as s:
        brands.add_product(s, brand_id=brand.id, sku="GTIN-500", name="Lager", gtin="6901234567892")
    r = client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=auth(brand.admin_token))
    assert r.status_code == 201, r.text
    batch = issue(brand.id, "cap", n)
    with session_scope() as s:
        codegen.activate_range(
            s,
            brand_id=brand.id,
            batch_id=batch,
            start_index=0,
            count=n,
            binding=codegen.Binding("GTIN-500", campaign_slug="gs1"),
        )
    return batch


def test_a_scan_is_read_through_every_form(client: TestClient, brand: BrandCtx) -> None:
    batch = _caps_with_gtin(client, brand)
    c = [code(brand.id, batch, i) for i in range(8)]
    forms = [
        c[0],
        f"HTTPS://QR.EXAMPLE.CN/C/{c[1]}",
        f"HTTPS://QR.EXAMPLE.CN/01/{GTIN}/21/{c[2]}",
        f"https://id.gs1.org/01/6901234567892/10/L26/21/{c[3]}?17=271231",
        f"https://id.gs1.org/gtin/{GTIN}/ser/{c[4]}",
        f"https://qr.example.cn/01/{GTIN}/21/%{ord(c[5][0]):02X}{c[5][1:]}",  # percent-encoded
        f"]d201{GTIN}21{c[6]}\x1d10L26",  # a GS1 DataMatrix as a scanner sends it
        f"(01){GTIN}(21){c[7]}",  # the same, as people write it
    ]
    for i, text in enumerate(forms):
        r = client.post("/v1/scan/consumer", json={"code": text, "openid": f"o-{i}"})
        assert r.status_code == 200, (text, r.text)
        assert (r.json()["outcome"], r.json()["code"]) == ("won", c[i])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (f"https://id.gs1.org/01/06901234567891/21/{'0' * 19}", "DIGITAL_LINK_MALFORMED"),
        ("https://id.gs1.org/01/06901234567892/21/A/10/L1", "DIGITAL_LINK_MALFORMED"),
        (f"https://id.gs1.org/01/{GTIN}", "DIGITAL_LINK_NOT_AN_ITEM"),
        ("https://id.gs1.org/00/106141412345678908", "DIGITAL_LINK_NOT_AN_ITEM"),
        (f"https://id.gs1.org/01/{GTIN}/21/2017", "CODE_MALFORMED"),  # not a onecode serial
        (f"(01)06901234567891(21){'0' * 19}", "DIGITAL_LINK_MALFORMED"),
        ("(00)106141412345678908", "DIGITAL_LINK_NOT_AN_ITEM"),
    ],
)
def test_bad_links_are_refused_with_a_clear_code(
    client: TestClient, brand: BrandCtx, text: str, error: str
) -> None:
    r = client.post("/v1/scan/consumer", json={"code": text, "openid": "o-1"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == error


def test_print_files_carry_digital_links_and_ssccs(client: TestClient, brand: BrandCtx) -> None:
    cases = issue(brand.id, "case", 5)
    h = auth(brand.operator_token)
    r = client.post(
        f"/v1/admin/batches/{cases}/sscc",
        json={"extension": 1, "company_prefix": "6901234", "first_reference": 99_999_998},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["first_sscc"] == gs1.sscc(1, "6901234", 99_999_998)
    r = client.post(
        f"/v1/admin/batches/{cases}/exports",
        json={"gtin": "16901234567899", "lot": "L26", "with_sscc": True},
        headers=h,
    )
    assert r.status_code == 202, r.text
    export = client.get(f"/v1/admin/exports/{r.json()['id']}", headers=h).json()
    assert export["status"] == "done", export
    assert export["manifest"]["line_format"] == "DIGITAL_LINK,SSCC"
    data = client.get(f"/v1/admin/exports/{export['id']}/files/part-00001.zip", headers=h).content
    with pyzipper.AESZipFile(io.BytesIO(data)) as zf:
        zf.setpassword(r.json()["password"].encode())
        lines = zf.read(zf.namelist()[0]).decode().splitlines()
    assert len(lines) == 5
    for i, line in enumerate(lines):
        url, sscc = line.split(",")
        assert (
            url == f"HTTPS://QR.EXAMPLE.CN/01/16901234567899/10/L26/21/{code(brand.id, cases, i)}"
        )
        assert sscc == gs1.sscc(1, "6901234", 99_999_998 + i)  # check digit by the scalar path
        with session_scope() as s:
            sealed, batch = codegen.resolve(s, brand_id=brand.id, text=url)
            assert (batch.id, sealed.code) == (cases, code(brand.id, cases, i))
            by_sscc, _ = codegen.resolve(s, brand_id=brand.id, text=f"(00){sscc}")
            assert by_sscc.code == sealed.code


def test_ssccs_are_refused_where_they_do_not_fit(client: TestClient, brand: BrandCtx) -> None:
    cases, caps = issue(brand.id, "case", 10), issue(brand.id, "cap", 3)
    with session_scope() as s:
        codegen.assign_sscc(
            s,
            brand_id=brand.id,
            batch_id=cases,
            extension=0,
            company_prefix="6901234",
            first_reference=0,
        )
    other = issue(brand.id, "case", 10)
    with session_scope() as s, pytest.raises(SsccTaken):
        codegen.assign_sscc(
            s,
            brand_id=brand.id,
            batch_id=other,
            extension=0,
            company_prefix="6901234",
            first_reference=9,
        )
    h = auth(brand.operator_token)
    body = {"extension": 0, "company_prefix": "6901234", "first_reference": 500}
    assert client.post(f"/v1/admin/batches/{caps}/sscc", json=body, headers=h).status_code == 422
    too_far = body | {"first_reference": 999_999_995}  # the tenth would need ten digits
    r = client.post(f"/v1/admin/batches/{other}/sscc", json=too_far, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "SSCC_INVALID")
    r = client.post(f"/v1/admin/batches/{cases}/exports", json={"gtin": "6901234567891"}, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "GTIN_INVALID")


def test_a_dealer_ships_cases_by_sscc(client: TestClient, brand: BrandCtx) -> None:
    with session_scope() as s:
        brands.add_region(s, brand_id=brand.id, code="440100", name="广州")
        brands.add_dealer(s, brand_id=brand.id, code="D-GZ", name="GZ", region_codes=["440100"])
    cases = issue(brand.id, "case", 2)
    with session_scope() as s:
        codegen.activate_range(
            s,
            brand_id=brand.id,
            batch_id=cases,
            start_index=0,
            count=2,
            binding=codegen.Binding("LAGER-500"),
        )
        codegen.assign_sscc(
            s,
            brand_id=brand.id,
            batch_id=cases,
            extension=3,
            company_prefix="6901234",
            first_reference=42,
        )
    pda = client.post(
        "/v1/admin/pda-devices",
        json={"dealer_code": "D-GZ", "name": "P"},
        headers=auth(brand.admin_token),
    ).json()
    sscc = gs1.sscc(3, "6901234", 43)
    body = {
        "upload_id": "u-sscc",
        "direction": "in",
        "codes": [sscc, f"https://id.gs1.org/00/{sscc}", gs1.sscc(3, "6901234", 44)],
    }
    out = client.post("/v1/dealer/uploads", json=body, headers=auth(pda["credential"])).json()
    assert [(x["status"], x["code"], x["error"]) for x in out["results"]] == [
        ("ok", code(brand.id, cases, 1), ""),
        ("duplicate", code(brand.id, cases, 1), ""),
        ("error", gs1.sscc(3, "6901234", 44), "CODE_NOT_FOUND"),
    ]
