"""Logging in through OpenID Connect (ProConnect) against a real provider: panva's
``oidc-provider`` (OpenID Certified, from the npm registry; ``scripts/test`` installs it with
``npm ci``), run with node on localhost, driven through its own login and consent pages by
Chromium. The app is served for real (uvicorn, a database of its own).

Checked: the authorization code flow with PKCE S256, ``state`` and ``nonce``; the account
matched by email (case-insensitive) and bound to its ``sub``; a new « viewer » account by
SIRET; an unknown person and a disabled account refused; a forged ``state``, a login replayed,
a tampered ``nonce`` or PKCE verifier refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.accounts.users import create_account, set_disabled
from service.db import make_engine
from service.migrate import upgrade
from service.store import records
from service.tables import OidcLogin, Partner, UserAccount, UserSession
from tests.conftest import partner_fields, throwaway_database
from tests.service.pages.test_browser import TIMEOUT_MS, browser
from tests.service.serving import free_port, served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["browser"]  # the Chromium fixture of the page tests, used by name

pytestmark = [pytest.mark.db, pytest.mark.slow]

PROVIDER_DIR = Path(__file__).with_name("oidc_provider")
SIRET = "35600000000048"  # the organisation's: provisioning by SIRET
PEOPLE = {
    # login typed on the provider's page → the claims it gives
    "amelie": {
        "email": "Amelie.Dupont@Exemple.gouv.fr",  # the account's email, in another case
        "given_name": "Amélie",
        "usual_name": "Dupont",
        "siret": "13002526500013",
    },
    "nadia": {
        "email": "nadia.nouveau@garrigue.example.org",
        "given_name": "Nadia",
        "usual_name": "Nouveau",
        "siret": SIRET,
    },
    "inconnu": {
        "email": "inconnu@ailleurs.example.org",
        "given_name": "Ivan",
        "usual_name": "Inconnu",
        "siret": "73282932000074",
    },
    "bloque": {
        "email": "bloque@exemple.gouv.fr",
        "given_name": "Bruno",
        "usual_name": "Bloqué",
        "siret": "13002526500013",
    },
}


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("MAILLAGE_REQUIRE_DB"))


@dataclass(frozen=True)
class World:
    app: str
    issuer: str
    database_url: str


def _start_provider(port: int, redirect_uri: str, log: Path) -> subprocess.Popen[bytes]:
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        reason = (
            "fournisseur OpenID Connect de test absent : node et "
            f"`npm ci --prefix {PROVIDER_DIR}` (scripts/test le fait)"
        )
        if _required():
            pytest.fail(reason)
        pytest.skip(reason)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, "provider.mjs", str(port), "maillage", "secret-du-client-de-test", redirect_uri],
            cwd=PROVIDER_DIR,
            env={**os.environ, "OIDC_ACCOUNTS": json.dumps(PEOPLE)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://localhost:{port}/.well-known/openid-configuration").is_success:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("le fournisseur OpenID Connect n'a pas démarré :\n" + log.read_text())
        time.sleep(0.1)


def _prepare(url: str) -> None:
    """The organisation (with its SIRET) and the accounts: Amélie's without a password, and a
    disabled one."""
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        organisation = Partner()
        records.apply_partner(
            organisation,
            partner_fields(name="Association La Garrigue (fictif)", kind="chrs", siret=SIRET),
        )
        session.add(organisation)
        session.flush()
        create_account(
            session,
            email="amelie.dupont@exemple.gouv.fr",
            display_name="Amélie Dupont",
            role="platform",
            organisation_id=None,
            password=None,
        )
        create_account(
            session,
            email="bloque@exemple.gouv.fr",
            display_name="Bruno Bloqué",
            role="viewer",
            organisation_id=None,
            password=None,
        )
        set_disabled(session, "bloque@exemple.gouv.fr", disabled=True)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def world(postgis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("oidc")
    app_port, provider_port = free_port(), free_port()
    redirect_uri = f"http://127.0.0.1:{app_port}/connexion/proconnect/retour"
    issuer = f"http://localhost:{provider_port}"
    provider = _start_provider(provider_port, redirect_uri, home / "provider.log")
    try:
        with throwaway_database(postgis_url, "oidc") as url:
            _prepare(url)
            with served(
                url,
                home / "app",
                port=app_port,
                oidc_issuer=issuer,
                oidc_client_id="maillage",
                oidc_client_secret="secret-du-client-de-test",
                oidc_redirect_uri=redirect_uri,
                oidc_provisioning="siret",
            ) as app:
                yield World(app.base_url, issuer, url)
    finally:
        provider.terminate()
        provider.wait(timeout=15)


def _account(world: World, email: str) -> UserAccount | None:
    engine = make_engine(world.database_url)
    with Session(engine) as session:
        row: UserAccount | None = session.scalar(
            select(UserAccount).where(UserAccount.email.ilike(email))
        )
        if row is not None:
            session.expunge(row)
    engine.dispose()
    return row


def _through_the_provider(page: Page, world: World, login: str, *, then: str) -> list[str]:
    """Click « S'identifier avec ProConnect », log in and consent on the provider's pages;
    the URLs the browser asked for."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(world.app + "/connexion?suite=" + then)
    page.click("#connexion-federee")
    page.wait_for_url(world.issuer + "/**")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "ce que le fournisseur de test accepte")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")  # the consent page
    page.click("button[type=submit]")
    page.wait_for_url(world.app + "/**")
    return asked


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_an_existing_account_logs_in_through_the_provider(page: Page, world: World) -> None:
    asked = _through_the_provider(page, world, "amelie", then="/orientation")
    assert page.url == world.app + "/orientation"
    header = page.inner_text("header")
    assert "Amélie Dupont" in header
    assert "Se déconnecter" in header
    # the authorization request: code flow, PKCE S256, state and nonce
    authorize = next(u for u in asked if u.startswith(world.issuer + "/auth?"))
    query = parse_qs(urlsplit(authorize).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert set(query["scope"][0].split()) == {
        "openid",
        "email",
        "given_name",
        "usual_name",
        "siret",
    }
    # bound to the provider's subject, a session opened by « oidc »
    row = _account(world, "amelie.dupont@exemple.gouv.fr")
    assert row is not None
    assert row.oidc_subject == world.issuer + "|amelie"
    assert row.last_login_at is not None
    engine = make_engine(world.database_url)
    with Session(engine) as session:
        methods = session.scalars(
            select(UserSession.method).where(UserSession.user_id == row.id)
        ).all()
    engine.dispose()
    assert "oidc" in methods
    # the session works with the API: a platform asks for matches (no key, the CSRF header)
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    status = page.evaluate(
        """async (token) => (await fetch('/v1/matches', {method: 'POST',
             headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token},
             body: JSON.stringify({location: {lat: 44.125, lon: 4.081},
                                   modes: [{mode: 'walk', max_minutes: 30}]})})).status""",
        token,
    )
    assert status == 200


def test_a_new_person_of_a_known_organisation_gets_a_viewer_account(
    page: Page, world: World
) -> None:
    _through_the_provider(page, world, "nadia", then="/carte")
    assert page.url == world.app + "/carte"
    assert "Nadia Nouveau" in page.inner_text("header")
    assert "Association La Garrigue (fictif)" in page.inner_text("header")
    row = _account(world, "nadia.nouveau@garrigue.example.org")
    assert row is not None
    assert (row.role, row.password_hash) == ("viewer", None)


def test_an_unknown_person_and_a_disabled_account_are_refused(page: Page, world: World) -> None:
    _through_the_provider(page, world, "inconnu", then="/")
    assert page.url.startswith(world.app + "/connexion?erreur=compte")
    assert "Aucun compte maillage n'est ouvert" in page.inner_text("#connexion-message")
    assert _account(world, "inconnu@ailleurs.example.org") is None
    page.context.clear_cookies()
    _through_the_provider(page, world, "bloque", then="/")
    assert page.url.startswith(world.app + "/connexion?erreur=desactive")
    assert "Ce compte est désactivé" in page.inner_text("#connexion-message")


def test_a_forged_state_and_a_replayed_return_are_refused(world: World) -> None:
    with httpx.Client(base_url=world.app) as client:
        start = client.get("/connexion/proconnect", params={"suite": "/carte"})
        assert start.status_code == 303
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        forged = client.get("/connexion/proconnect/retour", params={"code": "x", "state": "faux"})
        assert forged.status_code == 303
        assert forged.headers["location"] == "/connexion?erreur=etat&suite=/carte"
        # the login under way was used up by the forged return: the real state fails too
        replay = client.get("/connexion/proconnect/retour", params={"code": "x", "state": state})
        assert replay.headers["location"].startswith("/connexion?erreur=etat")
    # a return without the browser's cookie (another browser) is refused
    with httpx.Client(base_url=world.app) as stranger:
        alone = stranger.get("/connexion/proconnect/retour", params={"code": "x", "state": state})
        assert alone.headers["location"] == "/connexion?erreur=etat"


@pytest.mark.parametrize(
    ("column", "value"),
    [("nonce", "un-autre-nonce-" + uuid.uuid4().hex), ("code_verifier", "v" * 64)],
)
def test_a_tampered_nonce_or_pkce_verifier_fails_the_login(
    page: Page, world: World, column: str, value: str
) -> None:
    """The ID token must carry the nonce of this login, and the provider must see the PKCE
    verifier of its challenge: change either between the redirection and the return, and the
    login fails."""
    page.goto(world.app + "/connexion?suite=/")
    page.click("#connexion-federee")
    page.wait_for_url(world.issuer + "/**")
    engine = make_engine(world.database_url)
    with Session(engine) as session:
        session.execute(update(OidcLogin).values({column: value}))
        session.commit()
    engine.dispose()
    page.fill("input[name=login]", "amelie")
    page.fill("input[name=password]", "ce que le fournisseur de test accepte")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")  # the consent page
    page.click("button[type=submit]")
    page.wait_for_url(world.app + "/**")
    assert page.url.startswith(world.app + "/connexion?erreur=proconnect")
    assert "La connexion fédérée n'a pas abouti" in page.inner_text("#connexion-message")
    assert "Se déconnecter" not in page.inner_text("header")
