"""The portal in a real browser: accessibility of every page (axe-core), search and
filters, a State page, the language switch and keyboard navigation; screenshots of the
main pages go to docs/screenshots/ (linked from the README)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser.conftest import SCREENSHOTS, Portal, axe_violations


def pages(portal: Portal) -> list[str]:
    torture = portal.recs["torture"]
    return [
        "/en/",
        "/fr/",
        "/en/countries/PRY",
        "/es/countries/PRY?cycle=3",
        "/en/recommendations?country=PRY",
        "/fr/recommendations?q=torture&position=supported",
        "/en/recommendations?country=XXX&cycle=abc",
        f"/en/recommendations/{torture}",
        f"/es/recommendations/{torture}",
        "/en/mandates",
        f"/en/mandates/{portal.mandate}",
        "/en/programmes",
        f"/fr/programmes/{portal.programme}",
        "/es/no/such/page",
        "/fr/sign-in",
    ]


async def test_no_serious_or_critical_accessibility_violation_on_any_page(
    page: Any, portal: Portal
) -> None:
    found = {}
    for path in pages(portal):
        await page.goto(portal.url + path)
        # The data tables are in <details>: open them so axe checks them too.
        await page.evaluate(
            "() => document.querySelectorAll('details').forEach(d => d.open = true)"
        )
        violations = await axe_violations(page)
        if violations:
            found[path] = violations
    assert found == {}


async def test_search_with_filters_then_open_a_result(page: Any, portal: Portal) -> None:
    await page.goto(portal.url + "/en/recommendations")
    await page.get_by_label("Words").fill("women")
    await page.get_by_label("State under review").select_option("PRY")
    position = page.get_by_role("group", name="Position")
    await position.get_by_label("Supported", exact=True).check()
    await page.get_by_role("button", name="Search", exact=True).click()
    await page.wait_for_load_state()
    for param in ("q=women", "country=PRY", "position=supported"):
        assert param in page.url
    results = page.locator("ol.results > li")
    assert await results.count() == 1
    assert "Combat violence against women" in await results.first.inner_text()
    # The URL is the search: loading it again gives the same form and results.
    await page.goto(page.url)
    assert await page.get_by_label("Words").input_value() == "women"
    await page.locator("ol.results h3 a").first.click()
    await page.wait_for_load_state()
    assert (await page.locator("h1").inner_text()).endswith("A/HRC/48/9#115.2")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "recommendation.png"), full_page=True)


async def test_bad_filter_value_is_shown_beside_the_field(page: Any, portal: Portal) -> None:
    await page.goto(portal.url + "/en/recommendations?cycle=abc&q=police")
    assert await page.locator("#f-cycle").get_attribute("aria-invalid") == "true"
    assert await page.locator("#err-cycle").inner_text() == "Not a valid value: “abc”"
    assert await page.get_by_label("Words").input_value() == "police"
    assert await page.get_by_role("alert").is_visible()


async def test_state_page_charts_tables_and_csv(page: Any, portal: Portal) -> None:
    await page.goto(portal.url + "/en/countries/PRY")
    assert await page.locator("h1").inner_text() == "Paraguay"
    assert await page.locator("svg.chart").count() >= 6
    figure = page.locator("#chart-position-status")
    table = figure.locator("table")
    assert not await table.is_visible()
    await figure.get_by_text("Data table").click()
    assert await table.is_visible()
    assert "Supported" in await table.inner_text()
    link = figure.get_by_role("link", name="Download the data (CSV)")
    csv = await page.request.get(portal.url + await link.get_attribute("href"))
    assert csv.ok
    assert (await csv.text()).lstrip("\ufeff").startswith("Category,Implemented")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "state.png"), full_page=True)


async def test_language_switch_keeps_the_page(page: Any, portal: Portal) -> None:
    await page.goto(portal.url + "/en/countries/PRY?cycle=3")
    languages = page.get_by_role("navigation", name="Languages")
    await languages.get_by_role("link", name="Español").click()
    await page.wait_for_load_state()
    assert page.url.endswith("/es/countries/PRY?cycle=3")
    assert await page.locator("html").get_attribute("lang") == "es"
    assert await page.get_by_role("heading", name="Por ciclo de examen").is_visible()
    languages = page.get_by_role("navigation", name="Idiomas")
    await languages.get_by_role("link", name="Français").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("link", name="Recommandations", exact=True).is_visible()


async def test_keyboard_navigation(page: Any, portal: Portal) -> None:
    await page.goto(portal.url + "/en/")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert await skip.evaluate("el => el === document.activeElement")
    assert await skip.is_visible()
    await page.keyboard.press("Enter")
    assert await page.evaluate("() => location.hash") == "#main"
    # From the main content, Tab reaches the search box; Enter submits the form.
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.id") == "home-q":
            break
    assert await page.evaluate("() => document.activeElement.id") == "home-q"
    await page.keyboard.type("torture")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/en/recommendations?q=torture")
    assert await page.locator("ol.results > li").count() == 1
    # The focused control shows a visible focus indicator.
    await page.keyboard.press("Tab")
    outline = await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


@pytest.mark.parametrize(
    ("name", "path"),
    [("home", "/en/"), ("search", "/en/recommendations?country=PRY"), ("home-fr", "/fr/")],
)
async def test_screenshots(page: Any, portal: Portal, name: str, path: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    response = await page.goto(portal.url + path)
    assert response.status == 200
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


async def _dev_sign_in(page: Any, portal: Portal, **fields: str) -> None:
    await page.goto(portal.url + "/en/sign-in")
    await page.get_by_label("Role").select_option(fields["role"])
    await page.get_by_label("State (ISO 3166 code, e.g. PRY)").fill(fields.get("country", ""))
    await page.get_by_label("Institution or organisation").fill(fields.get("institution", ""))
    await page.get_by_label("Your name").fill(fields.get("name", ""))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/en/workspace")


async def test_focal_point_submits_coordinator_validates_public_page_shows_it(
    browser: Any, portal: Portal
) -> None:
    rec = portal.recs["torture"]
    focal_ctx = await browser.new_context(bypass_csp=True, locale="en-GB")
    coord_ctx = await browser.new_context(bypass_csp=True, locale="en-GB")
    try:
        focal = await focal_ctx.new_page()
        await _dev_sign_in(focal, portal, role="focal_point", country="PRY",
                           institution="Ministry of Justice", name="Ana Focal")  # fmt: skip
        assert await axe_violations(focal) == []
        await focal.get_by_role("link", name="A/HRC/48/9#115.1").click()
        await focal.get_by_label("Implementation status").select_option("implemented")
        await focal.get_by_label("What was done").fill("The Optional Protocol was ratified.")
        await focal.get_by_label("Evidence (one web address per line)").fill("nonsense")
        await focal.get_by_role("button", name="Submit for validation").click()
        # Refused: the reason beside the field, and what was typed is still there.
        assert await focal.locator("#err-evidence_links").is_visible()
        narrative = focal.get_by_label("What was done")
        assert await narrative.input_value() == "The Optional Protocol was ratified."
        assert await axe_violations(focal) == []
        await focal.get_by_label("Evidence (one web address per line)").fill(
            "https://example.org/ratification"
        )
        await focal.get_by_role("button", name="Submit for validation").click()
        await focal.wait_for_url("**/en/workspace/reports/*")
        assert "Submitted" in await focal.locator("dl.facts").inner_text()

        coord = await coord_ctx.new_page()
        await _dev_sign_in(coord, portal, role="coordinator", country="PRY", name="Coordinator")
        queue = coord.get_by_role("region", name="Waiting for your review")
        await queue.get_by_role("link").first.click()
        await coord.wait_for_url("**/en/workspace/reports/*")
        assert await axe_violations(coord) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await coord.screenshot(path=str(SCREENSHOTS / "workspace-review.png"), full_page=True)
        await coord.get_by_role("button", name="Validate and publish").click()
        await coord.wait_for_load_state()
        assert "Validated" in await coord.locator("dl.facts").inner_text()

        public = await focal_ctx.new_page()
        await public.goto(f"{portal.url}/en/recommendations/{rec}")
        facts = await public.locator("dl.facts").inner_text()
        assert "Implemented" in facts
        government = await public.locator(".side-by-side > div").first.inner_text()
        assert "The Optional Protocol was ratified." in government
    finally:
        await focal_ctx.close()
        await coord_ctx.close()


async def test_nhri_assessment_in_the_browser(browser: Any, portal: Portal) -> None:
    ctx = await browser.new_context(bypass_csp=True, locale="es-ES")
    try:
        page = await ctx.new_page()
        await _dev_sign_in(page, portal, role="nhri", country="PRY",
                           institution="Defensoría del Pueblo", name="Defensoría")  # fmt: skip
        await page.goto(f"{portal.url}/es/workspace/assess/{portal.recs['women']}")
        assert await axe_violations(page) == []
        await page.get_by_label("Lo que se hizo").fill("Los refugios siguen sin presupuesto.")
        await page.get_by_role("button", name="Publicar la evaluación").click()
        await page.wait_for_url(f"**/es/recommendations/{portal.recs['women']}")
        independent = await page.locator(".side-by-side > div").nth(1).inner_text()
        assert "Los refugios siguen sin presupuesto." in independent
        assert "Defensoría del Pueblo" in independent
    finally:
        await ctx.close()
