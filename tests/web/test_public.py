"""The public portal over the test database: language routing, every page, bad input."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx
import pytest

from tests.web.seed import Seeded

STATIC = Path(__file__).resolve().parents[2] / "services" / "web" / "static"


async def test_root_redirects_to_the_visitors_language(web: httpx.AsyncClient) -> None:
    fr = await web.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert fr.status_code == 302
    assert fr.headers["location"] == "/fr/"
    assert "Accept-Language" in fr.headers["vary"]
    default = await web.get("/", headers={"Accept-Language": "de"})
    assert default.headers["location"] == "/en/"
    assert (await web.get("/es")).headers["location"] == "/es/"


async def test_home_lists_states_with_the_share_reported(
    web: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await web.get("/fr/")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="fr" dir="ltr">' in html
    assert 'href="/fr/countries/PRY"' in html
    # Paraguay supported 3 (115.1, 115.2, 102.5); 2 have a reported status.
    row = re.search(r'countries/PRY">Paraguay</a></th>(.*?)</tr>', html, re.S)
    assert row is not None
    assert "67\u00a0%" in row.group(1)
    assert "Cycle 3" in row.group(1)
    assert "Échéances à venir" in html
    headers = page.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


async def test_state_page_has_charts_tables_and_csv(web: httpx.AsyncClient, seeded: Seeded) -> None:
    page = await web.get("/es/countries/PRY")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Paraguay</h1>" in html
    assert html.count('role="img"') >= 6
    assert html.count("<details>") >= 6
    assert "Human Rights Adviser in Paraguay" in html
    assert "Human rights in the police academy" in html
    assert "/es/countries/PRY/position-status.csv" in html
    response = await web.get("/es/countries/PRY/position-status.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "Categoría"
    by_position = {r[0]: r for r in rows[1:]}
    assert set(by_position) == {"Aceptada", "Tomada en consideración"}
    funding = await web.get("/es/countries/PRY/funding.csv")
    assert "500000" in funding.text
    cycle = await web.get("/en/countries/PRY?cycle=2")
    assert cycle.status_code == 200
    assert '<option value="2" selected>' in cycle.text
    assert (await web.get("/en/countries/pry")).headers["location"] == "/en/countries/PRY"


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("/fr/countries/ZZZ", "Page introuvable"),
        ("/es/recommendations/00000000-0000-0000-0000-000000000000", "Página no encontrada"),
        ("/en/recommendations/not-a-uuid", "Page not found"),
        ("/en/mandates/00000000-0000-0000-0000-000000000000", "Page not found"),
        ("/fr/programmes/nope", "Page introuvable"),
        ("/fr/countries/PRY/nope.csv", "Page introuvable"),
        ("/fr/no/such/page", "Page introuvable"),
    ],
)
async def test_unknown_pages_are_404_in_the_visitors_language(
    web: httpx.AsyncClient, seeded: Seeded, url: str, text: str
) -> None:
    page = await web.get(url)
    assert page.status_code == 404
    assert text in page.text


async def test_unknown_language_is_404_in_the_negotiated_one(web: httpx.AsyncClient) -> None:
    page = await web.get("/de/countries/PRY", headers={"Accept-Language": "es"})
    assert page.status_code == 404
    assert "Página no encontrada" in page.text


async def test_search_filters_and_keyset_paging(web: httpx.AsyncClient, seeded: Seeded) -> None:
    noted = await web.get("/en/recommendations", params={"country": "PRY", "position": "noted"})
    assert noted.status_code == 200
    assert "indigenous peoples" in noted.text
    assert "Combat violence" not in noted.text
    assert 'value="noted" checked' in noted.text
    found = await web.get("/fr/recommendations", params={"q": "torture"})
    assert "Optional Protocol" in found.text
    assert "Combat violence" not in found.text
    assert "France, Venezuela" in found.text  # recommending States, in French
    themed = await web.get("/en/recommendations", params={"theme": "F12", "sdg": "5"})
    assert "Combat violence" in themed.text
    assert "Optional Protocol" not in themed.text

    seen: list[str] = []
    url: str | None = "/en/recommendations?country=PRY&limit=2"
    while url:
        page = await web.get(url)
        assert page.status_code == 200
        seen += re.findall(r'<h3><a href="/en/recommendations/([0-9a-f-]+)">', page.text)
        link = re.search(r'<a href="(\?[^"]+)" rel="next">', page.text)
        url = "/en/recommendations" + link.group(1).replace("&amp;", "&") if link else None
    assert sorted(seen) == sorted(v for k, v in seeded.recs.items() if k != "uruguay")
    assert len(seen) == len(set(seen)) == 4


async def test_bad_filter_values_are_shown_beside_their_field(
    web: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await web.get(
        "/es/recommendations",
        params=[("country", "XXX"), ("country", "PRY"), ("cycle", "abc"), ("q", "tortura")],
    )
    assert page.status_code == 422
    html = page.text
    assert 'id="f-country" name="country" multiple size="4" aria-invalid="true"' in html
    assert 'id="err-country">Valor no válido: “XXX”</p>' in html
    assert 'aria-invalid="true" aria-describedby="err-cycle"' in html
    assert "“abc”" in html
    # What was typed stays in the form.
    assert 'value="tortura"' in html
    assert '<option value="XXX" selected>XXX</option>' in html
    bad_cursor = await web.get("/en/recommendations", params={"cursor": "garbage"})
    assert bad_cursor.status_code == 400
    for kind in ("mandates", "programmes"):
        listed = await web.get(f"/en/{kind}", params={"country": "QQQ", "status": "bogus"})
        assert listed.status_code == 422
        assert 'id="err-country"' in listed.text
        assert 'id="err-status"' in listed.text


async def test_recommendation_page_sets_government_and_independent_side_by_side(
    web: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await web.get(f"/fr/recommendations/{seeded.recs['torture']}")
    assert page.status_code == 200
    html = page.text
    government, independent = html.split("Évaluations indépendantes", 1)
    assert "Bill tabled in parliament." in government
    assert "https://example.org/bill" in government
    assert "No progress seen by the ombudsperson." in independent
    assert "Human rights in the police academy" in html
    assert "A/HRC/48/9" in html
    assert "Ministry of Justice" in html
    assert "Historique" in html


async def test_mandate_and_programme_pages(web: httpx.AsyncClient, seeded: Seeded) -> None:
    listed = await web.get("/en/mandates", params={"country": "PRY"})
    assert "Human Rights Adviser in Paraguay" in listed.text
    assert "500,000" in listed.text
    mandate = await web.get(f"/es/mandates/{seeded.mandate}")
    assert mandate.status_code == 200
    assert "500.000" in mandate.text
    assert "Human rights in the police academy" in mandate.text
    programmes = await web.get("/en/programmes", params={"status": "active"})
    assert "Human rights in the police academy" in programmes.text
    programme = await web.get(f"/en/programmes/{seeded.programme}")
    assert "Police officers trained" in programme.text
    assert "Baseline: 0" in programme.text
    assert "A/HRC/48/9#115.1" in programme.text


async def test_pages_stay_under_200_kb_with_their_assets(
    web: httpx.AsyncClient, seeded: Seeded
) -> None:
    assets = sum(p.stat().st_size for p in STATIC.rglob("*") if p.is_file())
    for url in ("/en/", "/en/countries/PRY", "/en/recommendations?limit=100",
                f"/en/recommendations/{seeded.recs['torture']}", "/en/mandates"):  # fmt: skip
        page = await web.get(url)
        assert page.status_code == 200
        assert len(page.content) + assets < 200_000, url
        assert "<script" not in page.text
