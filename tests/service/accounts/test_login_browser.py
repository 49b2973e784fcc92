"""The login page in Chromium (Debian's, through Playwright): looked at, used, left.

Screenshots at 1280 and 390 px go to ``test-artifacts/screenshots/connexion-*.png``."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote_plus

import pytest

from tests.service.pages.test_browser import (  # the fixtures of the page tests, reused
    PASSWORD,
    UNLABELLED,
    VIEWPORTS,
    Demo,
    browser,
    demo_server,
    log_in,
    open_tab,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Request

__all__ = ["browser", "demo_server"]  # fixtures, used by name

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_login_page_reads_well_and_fits(browser: Browser, demo_server: Demo, viewport: str) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS[viewport])
    try:
        page = visit.page
        page.goto(demo_server.url + "/connexion?suite=/orientation")
        assert page.title() == "Connexion — maillage"
        assert page.evaluate(UNLABELLED) == []
        assert page.get_attribute("#email", "autocomplete") == "username"
        assert page.get_attribute("#password", "autocomplete") == "current-password"
        assert page.get_attribute("#password", "type") == "password"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"/connexion déborde de {overflow} px ({viewport})"
        visit.shot(f"connexion-{viewport}")
        # a wrong password: the French message, the form again, nothing revealed
        page.fill("#email", demo_server.viewer_email)
        page.fill("#password", "pas le bon mot de passe")
        with page.expect_response(lambda r: r.url.endswith("/connexion")) as answer:
            page.click("#connexion button[type=submit]")
        assert answer.value.status == 401
        assert "Adresse électronique ou mot de passe incorrect." in page.inner_text(
            "#connexion-message"
        )
        visit.shot(f"connexion-erreur-{viewport}")
        visit.errors.clear()  # the 401 of the wrong password is expected
        visit.check_clean()
    finally:
        visit.page.context.close()


def test_log_in_use_the_map_and_orientation_then_log_out(
    browser: Browser, demo_server: Demo
) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS["telephone"])
    try:
        page = visit.page
        log_in(visit, demo_server.platform_email, "/orientation")
        header = page.inner_text("header")
        assert "Dominique Platform (test)" in header
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"l'en-tête d'une personne connectée déborde de {overflow} px"
        visit.shot("orientation-connecte-telephone", full_page=False)
        # the map page knows the person too: coverage drawn without a key
        page.goto(demo_server.url + "/carte")
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_function("() => !document.querySelector('#couverture-resume').hidden")
        assert page.locator("#connexion-requise").count() == 0
        # log out: back to /connexion, the pages offer to log in again
        page.click("#compte button[type=submit]")
        page.wait_for_url(demo_server.url + "/connexion?deconnecte")
        assert "Vous êtes déconnecté(e)." in page.inner_text("main")
        page.goto(demo_server.url + "/orientation")
        page.wait_for_selector("body[data-ready=true]")
        assert "Se connecter" in page.inner_text("header")
        assert page.locator("#connexion-requise").count() == 1
        visit.check_clean()
    finally:
        visit.page.context.close()


def test_the_password_never_leaves_the_form_for_anything_but_the_login(
    browser: Browser, demo_server: Demo
) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS["bureau"])
    seen: list[Request] = []
    visit.page.on("request", lambda r: seen.append(r))  # noqa: PLW0108 — playwright wants a function
    try:
        log_in(visit, demo_server.viewer_email, "/carte")
        forms = (PASSWORD, quote_plus(PASSWORD))
        carried = [
            r.url.removeprefix(demo_server.url)
            for r in seen
            if any(f in (r.post_data or "") or f in r.url for f in forms)
        ]
        posted = [(r.method, r.url, r.post_data) for r in seen if r.method == "POST"]
        assert carried == ["/connexion"], posted
        visit.check_clean()
    finally:
        visit.page.context.close()
