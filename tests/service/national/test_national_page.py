"""The map of France on /carte: a loaded national run drawn by département in Chromium, for a
person logged in, at 1280 px and 390 px; no console error, no failed request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.db import make_engine
from service.national.loading import load_run
from service.national.runner import run_serial
from service.national.shards import ShardTask
from service.national_tables import NationalDepartement, NationalGap, NationalZone
from tests.service.pages.test_browser import (
    VIEWPORTS,
    Demo,
    browser,
    demo_server,
    log_in,
    open_tab,
)

__all__ = ["browser", "demo_server"]

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def loaded(
    tasks: list[ShardTask], demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """The car shards computed and loaded into the demo database, removed afterwards."""
    out = tmp_path_factory.mktemp("carte")
    run_serial([t for t in tasks if t.mode == "car"], out)
    engine = make_engine(demo_url)
    with Session(engine) as session:
        load_run(session, Path(out))
        session.commit()
    yield
    with Session(engine) as session:
        for model in (NationalZone, NationalGap, NationalDepartement):
            session.execute(delete(model))
        session.commit()
    engine.dispose()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_map_of_france_draws_the_loaded_departements(
    loaded: None, browser: object, demo_server: Demo, viewport: str
) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS[viewport])  # type: ignore[arg-type]
    try:
        log_in(visit, demo_server.viewer_email, "/carte")
        page = visit.page
        assert page.locator("#france").is_visible()
        # the default choice (transit, 30 min) is not in the run: said, nothing asked
        page.wait_for_function(
            "() => document.getElementById('france-etat').textContent.includes('ne couvre pas')"
        )
        assert not page.locator("#carte-france").is_visible()
        page.select_option("#categorie", "chrs")  # a kind of the family hébergement
        page.select_option("#mode", "car")
        page.fill("#minutes", "20")
        page.click("#couverture button[type=submit]")
        page.wait_for_function(
            "() => document.querySelectorAll('#carte-france path.leaflet-interactive').length >= 3"
        )
        said = page.inner_text("#france-etat")
        assert "3 départements" in said
        assert "Famille « " in said
        assert "Temps estimés (aucun réseau inscrit) : 30." in said
        assert "Outre-mer hors du cadre (dézoomez) : 977." in said
        _legend_leaves_the_map_free(page, phone=viewport == "telephone")
        page.locator("#france").scroll_into_view_if_needed()
        whole = visit.shot(f"carte-france-{viewport}-page")
        page.locator("#france").screenshot(
            path=str(whole.with_name(f"carte-france-{viewport}.png"))
        )
        visit.check_clean()
    finally:
        visit.page.context.close()


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two bounding boxes (CSS pixels) share more than a pixel."""
    return (
        min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > 1
        and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 1
    )


def _clip(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """The part of box ``a`` inside box ``b`` (the map hides what lies beyond its edges)."""
    x, y = max(a["x"], b["x"]), max(a["y"], b["y"])
    right = min(a["x"] + a["width"], b["x"] + b["width"])
    bottom = min(a["y"] + a["height"], b["y"] + b["height"])
    return {"x": x, "y": y, "width": right - x, "height": bottom - y}


def _legend_leaves_the_map_free(page: Any, *, phone: bool) -> None:
    """The legend hides no drawn département; on a phone it sits below the map, outside its
    box; and the page never scrolls sideways."""
    legend = page.locator("#france .map-legend")
    assert legend.count() == 1
    assert legend.is_visible()
    box = legend.bounding_box()
    drawn = page.locator("#carte-france").bounding_box()
    for path in page.locator("#carte-france path.leaflet-interactive").all():
        shape = path.bounding_box()
        if shape is not None and _overlap(shape, drawn):  # seen: its part inside the map
            assert not _overlap(box, _clip(shape, drawn))
    if phone:
        assert not _overlap(box, drawn)
        assert box["y"] >= drawn["y"] + drawn["height"]
        assert page.locator("#legende-france .map-legend").count() == 1
    else:
        assert page.locator("#carte-france .map-legend").count() == 1
    wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"la page défile de côté : {wide}"
