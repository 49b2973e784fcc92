"""The autocomplete widget (``static/js/autocomplete.js``) in Debian's Chromium against the
real API on the Gard demo: « libre serv » proposes « Employé / Employée de libre-service »
(D1507), picked with the keyboard; « st jean du g » proposes Saint-Jean-du-Gard, picked with
the mouse; the ARIA combobox attributes; no horizontal overflow at 390 px. The pages' own
forms wire it in (``orientation``, ``partenaires``); here it is attached to a bare input on the
home page, so that the widget is proven on its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.service.pages.test_browser import (
    VIEWPORTS,
    Visit,
    browser,
    open_tab,
    serving,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

pytestmark = [pytest.mark.db, pytest.mark.slow]
__all__ = ["browser"]  # the module's fixture, used by the tests below

ATTACH = """([kind]) => {
  const label = document.createElement('label');
  label.htmlFor = 'essai'; label.textContent = kind === 'jobs' ? 'Métier' : 'Adresse';
  const input = document.createElement('input');
  input.id = 'essai'; input.type = 'text';
  const main = document.querySelector('main') || document.body;
  main.prepend(label, input);
  window.__picked = null;
  const source = kind === 'jobs'
    ? maillage.autocomplete.jobs
    : maillage.autocomplete.addresses({ near: () => [4.0810, 44.1250] });
  maillage.autocomplete(input, source, (item) => { window.__picked = item.value; });
}"""


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    with serving(demo_url) as url:
        yield url


def _widget(
    browser: Browser, base: str, kind: str, viewport: tuple[int, int], typed: str
) -> tuple[Visit, Locator, Locator]:
    """A tab with the widget attached, ``typed`` typed: (the tab, the field, its first option)."""
    visit = open_tab(browser, base, viewport)
    visit.open("/")
    page = visit.page
    page.add_style_tag(url="/static/css/autocomplete.css")
    page.add_script_tag(url="/static/js/autocomplete.js")
    page.evaluate(ATTACH, [kind])
    field = page.locator("#essai")
    field.press_sequentially(typed, delay=30)
    first = page.locator("[role=option]").first
    first.wait_for()
    return visit, field, first


@pytest.mark.parametrize("viewport", ["bureau", "telephone"])
def test_job_titles_are_proposed_and_picked_with_the_keyboard(
    browser: Browser, base: str, viewport: str
) -> None:
    visit, field, first = _widget(browser, base, "jobs", VIEWPORTS[viewport], "libre serv")
    page = visit.page
    assert "Employé / Employée de libre-service" in first.inner_text()
    assert "D1507" in first.inner_text()
    assert field.get_attribute("aria-expanded") == "true"
    listbox = page.locator("[role=listbox]")
    assert field.get_attribute("aria-controls") == listbox.get_attribute("id")
    assert "propositions" in page.locator(".ac-etat").inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "défilement horizontal"
    visit.shot(f"autocomplete-metiers-{viewport}", full_page=False)
    field.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert field.get_attribute("aria-activedescendant") == first.get_attribute("id")
    field.press("Enter")
    assert page.evaluate("window.__picked") == "D1507"
    assert field.input_value() == "Employé / Employée de libre-service"
    assert field.get_attribute("aria-expanded") == "false"
    page.context.close()
    visit.check_clean()


def test_addresses_are_proposed_and_picked_with_the_mouse(browser: Browser, base: str) -> None:
    phone = VIEWPORTS["telephone"]
    visit, field, first = _widget(browser, base, "addresses", phone, "st jean du g")
    page = visit.page
    assert "Saint-Jean-du-Gard" in first.inner_text()
    assert "commune" in first.inner_text()
    first.click()
    lon, lat = page.evaluate("window.__picked")
    assert 3.8 < lon < 3.95
    assert 44.05 < lat < 44.15
    assert field.input_value() == "Saint-Jean-du-Gard"
    # Escape closes, a word that matches nothing says so
    field.fill("")
    field.press_sequentially("zzqxw", delay=30)
    page.locator(".ac-etat", has_text="Aucune proposition").wait_for()
    assert page.locator("[role=listbox]").is_hidden()
    page.context.close()
    visit.check_clean()
