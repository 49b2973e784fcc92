"""The orientation form as a counsellor fills it, in Chromium on the Gard demo: an address typed
and picked, jobs by title, availability with day and time pickers, the situation as grouped
questions (unknown stays unknown), proposals with their travel legs and contacts, the printed
sheet; no horizontal overflow at 390 px; screenshots in ``test-artifacts/screenshots/``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.pages.test_browser import (
    SCREENSHOTS,
    VIEWPORTS,
    Demo,
    Visit,
    log_in,
    open_tab,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Request

pytestmark = [pytest.mark.db, pytest.mark.slow]


def pick(visit: Visit, field: str, typed: str, option: str) -> None:
    """Type in a combobox as a person would, then pick the option whose label is ``option``."""
    page = visit.page
    page.click(f"#{field}")
    page.keyboard.type(typed, delay=20)
    listbox = f"#{field}-liste"
    page.wait_for_selector(f"{listbox} [role=option] >> text={option}")
    assert page.get_attribute(f"#{field}", "aria-expanded") == "true"
    options = page.locator(f"{listbox} .combobox-option .combobox-label").all_inner_texts()
    for _ in range(options.index(option) + 1):
        page.keyboard.press("ArrowDown")
    active = page.get_attribute(f"#{field}", "aria-activedescendant")
    assert active is not None
    assert page.inner_text(f"#{active} .combobox-label") == option
    page.keyboard.press("Enter")
    assert page.get_attribute(f"#{field}", "aria-expanded") == "false"


def set_range(visit: Visit, rank: int, days: list[str], start: str, end: str) -> None:
    """Tick the days of the ``rank``-th time range (1-based) and set its hours."""
    page = visit.page
    row = page.locator("#plages .time-range").nth(rank - 1)
    for day in days:
        row.locator(f"input[data-day={day}]").check()
    for bound, clock in (("from", start), ("to", end)):
        hour, minute = clock.split(":")
        row.locator(f"select[data-{bound}-hour]").select_option(hour)
        row.locator(f"select[data-{bound}-minute]").select_option(minute)


def fill_person(visit: Visit, demo: Demo) -> None:
    """A person living in Alès, no car, looking for retail or cleaning work on weekday
    mornings and Saturday afternoons; only some of the situation is known."""
    page = visit.page
    log_in(visit, demo.platform_email, "/orientation")
    pick(visit, "adresse", "Alè", "Alès")
    page.fill("#minutes-walk", "40")
    page.check("#mode-transit")
    page.fill("#minutes-transit", "60")
    page.click("#metier")
    page.keyboard.type("D1106")
    page.keyboard.press("Enter")
    page.keyboard.type("K2204, D1507")
    page.keyboard.press("Enter")
    # availability with the pickers: two ranges, the API gets opening_hours
    set_range(visit, 1, ["Mo", "Tu", "We", "Th", "Fr"], "08:30", "12:00")
    page.click("#ajouter-plage")
    set_range(visit, 2, ["Sa"], "14:00", "18:00")
    page.check("#situation-work_authorization-oui")
    page.check("#situation-driving_licence-non")
    page.fill("#situation-age", "34")
    page.select_option("#situation-french_level", "B1")
    page.select_option("#situation-job_seeker", "12-24")
    page.check("#situation-rsa")
    page.select_option("#situation-logement", "heberge")


def test_the_form_becomes_the_match_request_and_the_results_show_legs_and_contacts(
    tab: Visit, demo_server: Demo
) -> None:
    tab.open("/orientation")
    page = tab.page
    bodies: list[Any] = []

    def record(request: Request) -> None:
        if request.url.endswith("/v1/matches"):
            bodies.append(request.post_data_json)

    page.on("request", record)
    fill_person(tab, demo_server)
    summary = page.inner_text("#dispo-resume")
    assert "Mo-Fr 08:30-12:00; Sa 14:00-18:00" in summary
    assert "lun. – ven. 08 h 30 – 12 h" in summary
    chips = page.locator("#metiers-choisis .chip").all_inner_texts()
    assert [re.sub(r"\s*×$", "", c) for c in chips] == [
        "code ROME D1106",
        "code ROME K2204",
        "code ROME D1507",
    ]
    tab.shot("orientation-formulaire-rempli")
    page.click("#orientation button[type=submit]")
    page.wait_for_selector(".match-card")

    assert len(bodies) == 1
    body = bodies[0]
    assert body["location"] == {"code_insee": "30007"}
    assert body["available"] == "Mo-Fr 08:30-12:00; Sa 14:00-18:00"
    assert body["wishes"] == {"rome_codes": ["D1106", "K2204", "D1507"]}
    # what was answered, and nothing else: « je ne sais pas » is never sent as « non »
    assert body["situation"] == {
        "work_authorization": True,
        "driving_licence": False,
        "age": 34,
        "french_level": "B1",
        "job_seeker_registered": True,
        "deld": True,
        "detld": False,
        "rsa": True,
        "homeless": False,
        "hosted": True,
    }

    cards = page.locator(".match-card")
    assert cards.count() >= 1
    # every proposal tells its trip leg by leg, each leg with its minutes
    for i in range(cards.count()):
        card = cards.nth(i)
        legs = card.locator(".legs .leg")
        assert legs.count() >= 1
        assert all(re.search(r"\d+ min|moins d'une minute", t) for t in legs.all_inner_texts())
        contacts = card.locator(".contacts-partner").inner_text()
        assert re.search(r"tél\. 04 65 71|example\.org", contacts), contacts
    assert "depuis Alès" in page.inner_text("#resume")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    tab.shot("orientation-propositions-bureau")

    # the printed sheet: results only, with each structure's contacts and the legs
    page.emulate_media(media="print")
    assert not page.is_visible("#orientation")
    first = cards.nth(0)
    assert first.locator(".contacts-partner").is_visible()
    assert first.locator(".legs").is_visible()
    printed = page.inner_text("#resultats")
    assert "tél." in printed
    assert "@example.org" in printed
    assert "Appuis à mobiliser" in printed
    tab.shot("orientation-fiche-imprimee")
    page.pdf(path=str(SCREENSHOTS / "orientation-fiche-imprimee.pdf"))


def test_a_click_on_the_map_sets_the_start_and_the_reset_clears_everything(tab: Visit) -> None:
    tab.open("/orientation")
    page = tab.page
    x, y = tab.map_point(4.0810, 44.1250)
    page.mouse.click(x, y)
    assert page.is_checked("#depart-adresse")
    assert page.input_value("#adresse") == "Point de la carte"
    assert "Point choisi sur la carte" in page.inner_text("#point-choisi")
    page.click("#orientation button[type=reset]")
    assert page.input_value("#adresse") == ""
    assert page.locator("#plages .time-range").count() == 1
    assert page.inner_text("#dispo-resume") == "Non renseigné."


def test_the_referent_structure_is_picked_by_name(tab: Visit, demo_server: Demo) -> None:
    tab.open("/orientation")
    page = tab.page
    log_in(tab, demo_server.platform_email, "/orientation")
    page.click("#structure")
    page.keyboard.type("CHRS", delay=20)
    page.wait_for_selector("#structure-liste .combobox-option")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.is_checked("#depart-structure")
    bodies: list[Any] = []
    page.on(
        "request",
        lambda r: bodies.append(r.post_data_json) if r.url.endswith("/v1/matches") else None,
    )
    page.click("#orientation button[type=submit]")
    page.wait_for_selector("#resume .result-count")
    assert set(bodies[0]["location"]) == {"partner_id"}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_form_and_its_results_fit_the_screen(
    browser: Browser, demo_server: Demo, viewport: str
) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS[viewport])
    try:
        visit.open("/orientation")
        page = visit.page
        log_in(visit, demo_server.platform_email, "/orientation")
        pick(visit, "adresse", "Alè", "Alès")
        page.click("#ajouter-plage")
        set_range(visit, 1, ["Mo", "Tu", "We", "Th", "Fr"], "08:30", "16:30")
        page.check("#mode-transit")
        page.fill("#minutes-transit", "60")
        visit.shot(f"orientation-formulaire-{viewport}")
        page.click("#orientation button[type=submit]")
        page.wait_for_selector(".match-card")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"/orientation déborde de {overflow} px ({viewport})"
        visit.shot(f"orientation-resultats-{viewport}")
        visit.check_clean()
    finally:
        visit.page.context.close()
