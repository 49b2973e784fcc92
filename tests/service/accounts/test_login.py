"""Logging in with a password: sessions, cookies, CSRF, lockout, expiry, logout (Must show)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.accounts.users import WRONG_CREDENTIALS, set_disabled
from service.auth import CSRF_HEADER, SESSION_COOKIE, hash_key
from service.tables import UserAccount, UserSession
from tests.conftest import ALES, bearer
from tests.service.accounts.conftest import ADMIN_PASSWORD, PASSWORD, log_in, login_csrf

PERSON = {
    "modes": [{"mode": "walk", "max_minutes": 30}],
    "location": {"lat": ALES[1], "lon": ALES[0]},
}
CRECHES: dict[str, str | int] = {"category": "garde-enfants", "mode": "walk", "max_minutes": 20}


def _csrf_of_page(client: TestClient, path: str = "/carte") -> str:
    page = client.get(path)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found is not None, "la page d'une personne connectée porte son jeton CSRF"
    return found.group(1)


def _new_session_cookie(answer: Response) -> str:
    """The session id a login answer sets."""
    assert answer.status_code == 303, answer.text
    for header in answer.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == SESSION_COOKIE:
            return rest.split(";")[0]
    raise AssertionError("aucun cookie de session posé")


def _session_rows(db: Session, user: UserAccount) -> list[UserSession]:
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def test_login_opens_a_session_the_pages_and_the_api_recognise(
    client: TestClient, people: dict[str, UserAccount], organisation: object
) -> None:
    answer = log_in(client, "PLATFORM@exemple.fr", PASSWORD, suite="/orientation")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orientation"
    # the header names the person, their organisation, and offers to log out
    page = client.get("/orientation")
    assert "Camille Platform" in page.text
    assert "Association La Garrigue (fictif)" in page.text
    assert "Se déconnecter" in page.text
    assert page.headers["cache-control"] == "no-store"
    # the API recognises the session: a platform may ask for matches (with the CSRF header)
    token = _csrf_of_page(client)
    matches = client.post("/v1/matches", json=PERSON, headers={CSRF_HEADER: token})
    assert matches.status_code == 200, matches.text
    assert client.get("/v1/coverage", params=CRECHES).status_code == 200
    row = people["platform"]
    assert row.last_login_at is not None


def test_session_cookie_flags(
    client: TestClient, make_app: Callable[..., FastAPI], people: dict[str, UserAccount]
) -> None:
    answer = log_in(client, "viewer@exemple.fr", PASSWORD)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags
    assert any(f.startswith("max-age=") and 0 < int(f[8:]) <= 12 * 3600 for f in flags)
    assert "secure" not in flags  # plain http in development: a Secure cookie would be lost
    # the login form's own token: HttpOnly, SameSite=Strict, its path only
    form = TestClient(make_app()).get("/connexion")
    csrf_cookie = next(c for c in form.headers.get_list("set-cookie") if "maillage_connexion" in c)
    csrf_flags = [part.strip().lower() for part in csrf_cookie.split(";")]
    assert {"httponly", "samesite=strict", "path=/connexion"} <= set(csrf_flags)
    # Secure when asked (https deployments) or in production
    secure = TestClient(make_app(cookie_secure=True), base_url="https://testserver")
    answer = log_in(secure, "viewer@exemple.fr", PASSWORD)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]
    over_https = TestClient(make_app(), base_url="https://testserver")
    answer = log_in(over_https, "viewer@exemple.fr", PASSWORD)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_the_session_id_is_random_and_stored_only_as_its_digest(
    client: TestClient, db: Session, people: dict[str, UserAccount]
) -> None:
    log_in(client, "viewer@exemple.fr", PASSWORD)
    value = client.cookies[SESSION_COOKIE]
    assert len(value) >= 43  # 256 random bits
    (row,) = _session_rows(db, people["viewer"])
    assert row.id_hash == hash_key(value) != value


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, people: dict[str, UserAccount]
) -> None:
    wrong = log_in(client, "viewer@exemple.fr", "pas le bon mot de passe")
    unknown = log_in(client, "personne@exemple.fr", "pas le bon mot de passe")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert WRONG_CREDENTIALS in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    assert "personne@exemple.fr" not in unknown.text  # never echoes what was typed
    assert people["viewer"].failed_attempts == 1
    empty = log_in(client, "", "")
    assert empty.status_code == 422
    assert "Saisissez votre adresse électronique" in empty.text


def test_lockout_after_repeated_failures_says_nothing_of_the_account(
    client: TestClient, db: Session, people: dict[str, UserAccount]
) -> None:
    for email in ("viewer@exemple.fr", "inconnu@exemple.fr"):
        answers = [log_in(client, email, "mauvais mot de passe !") for _ in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
        assert "suspendue pendant 15 minutes" in answers[-1].text
        assert answers[-1].headers["retry-after"] == "900"
        # locked: even the right password is refused, with the same message
        right = log_in(client, email, PASSWORD)
        assert right.status_code == 429
        assert "suspendue" in right.text
    viewer = people["viewer"]
    db.refresh(viewer)
    assert viewer.locked_until is not None
    # once the lock is over, the right password opens a session again
    db.execute(
        update(UserAccount)
        .where(UserAccount.id == viewer.id)
        .values(locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    assert log_in(client, "viewer@exemple.fr", PASSWORD).status_code == 303
    db.refresh(viewer)
    assert viewer.failed_attempts == 0
    assert viewer.locked_until is None


def test_the_login_route_is_rate_limited_per_address(
    make_app: Callable[..., FastAPI], people: dict[str, UserAccount]
) -> None:
    client = TestClient(make_app(rate_limit_login_per_minute=3))
    codes = [
        log_in(client, f"p{i}@exemple.fr", "mauvais mot de passe").status_code for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    refused = log_in(client, "viewer@exemple.fr", PASSWORD)
    assert refused.status_code == 429
    assert "Trop de tentatives de connexion depuis cette adresse" in refused.text
    assert int(refused.headers["retry-after"]) >= 1


def test_login_form_refuses_a_missing_or_foreign_csrf_token(
    client: TestClient, people: dict[str, UserAccount]
) -> None:
    data = {"email": "viewer@exemple.fr", "password": PASSWORD}
    # no token at all (a form posted from another site)
    assert client.post("/connexion", data=data, follow_redirects=False).status_code == 403
    # a token that is not this browser's cookie
    login_csrf(client)
    forged = client.post("/connexion", data={**data, "csrf": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 403
    assert "Le formulaire a expiré ou ne vient pas de ce site" in forged.text
    # the right token, but the browser says the form came from another site
    for headers in ({"Origin": "https://attaquant.example"}, {"Sec-Fetch-Site": "cross-site"}):
        token = login_csrf(client)
        answer = client.post(
            "/connexion", data={**data, "csrf": token}, headers=headers, follow_redirects=False
        )
        assert answer.status_code == 403
    assert SESSION_COOKIE not in client.cookies
    # same origin: accepted
    token = login_csrf(client)
    same = client.post(
        "/connexion",
        data={**data, "csrf": token},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_json_calls_by_cookie_need_the_csrf_header(
    client: TestClient, people: dict[str, UserAccount], make_partner: Callable[..., object]
) -> None:
    log_in(client, "admin@exemple.fr", ADMIN_PASSWORD)
    token = _csrf_of_page(client)
    # no header, a wrong one: refused before anything is read or written
    assert client.post("/v1/matches", json=PERSON).status_code == 403
    wrong = client.post("/v1/matches", json=PERSON, headers={CSRF_HEADER: "faux"})
    assert wrong.status_code == 403
    assert "CSRF" in wrong.json()["detail"]
    partner = make_partner(name="Atelier (fictif)")
    assert client.delete(f"/v1/partners/{partner.id}").status_code == 403  # type: ignore[attr-defined]
    # the right token, but sent by another site
    cross = client.post(
        "/v1/matches", json=PERSON, headers={CSRF_HEADER: token, "Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    # the right token from this site
    ok = client.post(
        "/v1/matches", json=PERSON, headers={CSRF_HEADER: token, "Sec-Fetch-Site": "same-origin"}
    )
    assert ok.status_code == 200
    assert client.get("/v1/coverage", params=CRECHES).status_code == 200  # GET: no token needed


def test_an_api_key_needs_no_csrf_token_even_with_a_cookie(
    client: TestClient, keys: dict[str, str], people: dict[str, UserAccount]
) -> None:
    log_in(client, "viewer@exemple.fr", PASSWORD)
    # the key decides (a browser never adds Authorization to a forged request)
    answer = client.post("/v1/matches", json=PERSON, headers=bearer(keys["platform"]))
    assert answer.status_code == 200


def test_a_viewer_account_cannot_reach_matching(
    client: TestClient, people: dict[str, UserAccount]
) -> None:
    log_in(client, "viewer@exemple.fr", PASSWORD)
    token = _csrf_of_page(client)
    refused = client.post("/v1/matches", json=PERSON, headers={CSRF_HEADER: token})
    assert refused.status_code == 403
    assert "viewer" in refused.json()["detail"]
    batch = client.post(
        "/v1/matches/batch", json={"persons": [PERSON]}, headers={CSRF_HEADER: token}
    )
    assert batch.status_code == 403
    assert client.get("/v1/coverage", params=CRECHES).status_code == 200


def test_sessions_expire_when_idle_and_at_their_absolute_end(
    client: TestClient, db: Session, people: dict[str, UserAccount]
) -> None:
    viewer = people["viewer"]
    now = dt.datetime.now(dt.UTC)
    for column, value in (
        ("last_seen_at", now - dt.timedelta(minutes=61)),  # idle for longer than 60 min
        ("expires_at", now - dt.timedelta(seconds=1)),  # past its 12 h
    ):
        log_in(client, "viewer@exemple.fr", PASSWORD)
        assert client.get("/v1/coverage", params=CRECHES).status_code == 200
        db.execute(
            update(UserSession).where(UserSession.user_id == viewer.id).values({column: value})
        )
        ended = client.get("/v1/coverage", params=CRECHES)
        assert ended.status_code == 401
        assert "Session expirée" in ended.json()["detail"]
        assert _session_rows(db, viewer) == []  # the ended session is deleted
        # the page says so and offers to log in again
        page = client.get("/connexion")
        assert "Votre session a expiré" in page.text


def test_a_session_in_use_stays_open(
    client: TestClient, db: Session, people: dict[str, UserAccount]
) -> None:
    log_in(client, "viewer@exemple.fr", PASSWORD)
    viewer = people["viewer"]
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=59)
    db.execute(
        update(UserSession).where(UserSession.user_id == viewer.id).values(last_seen_at=earlier)
    )
    assert client.get("/v1/coverage", params=CRECHES).status_code == 200
    (row,) = _session_rows(db, viewer)
    db.refresh(row)
    assert row.last_seen_at > earlier + dt.timedelta(minutes=58)


def test_logout_ends_the_session_on_the_server(
    client: TestClient, db: Session, people: dict[str, UserAccount]
) -> None:
    log_in(client, "viewer@exemple.fr", PASSWORD)
    stolen = client.cookies[SESSION_COOKIE]
    token = _csrf_of_page(client)
    # a logout without the token (posted by another site) is refused
    assert client.post("/deconnexion", data={}, follow_redirects=False).status_code == 403
    assert client.get("/v1/coverage", params=CRECHES).status_code == 200
    answer = client.post("/deconnexion", data={"csrf": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/connexion?deconnecte"
    assert SESSION_COOKIE not in client.cookies
    assert _session_rows(db, people["viewer"]) == []
    # the old cookie value, replayed, opens nothing
    client.cookies.set(SESSION_COOKIE, stolen)
    replay = client.get("/v1/coverage", params=CRECHES)
    assert replay.status_code == 401
    assert "Vous êtes déconnecté(e)." in client.get("/connexion?deconnecte").text


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(
    client: TestClient, db: Session, people: dict[str, UserAccount]
) -> None:
    log_in(client, "viewer@exemple.fr", PASSWORD)
    assert client.get("/v1/coverage", params=CRECHES).status_code == 200
    set_disabled(db, "Viewer@Exemple.fr", disabled=True)
    assert client.get("/v1/coverage", params=CRECHES).status_code == 401
    refused = log_in(client, "viewer@exemple.fr", PASSWORD)
    assert refused.status_code == 403
    assert "Ce compte est désactivé" in refused.text
    wrong = log_in(client, "viewer@exemple.fr", "pas le bon mot de passe")
    assert wrong.status_code == 401  # a wrong password on a disabled account: the usual message
    set_disabled(db, "viewer@exemple.fr", disabled=False)
    assert log_in(client, "viewer@exemple.fr", PASSWORD).status_code == 303


def test_login_gives_a_new_session_id_never_the_one_the_browser_had(
    client: TestClient, db: Session, people: dict[str, UserAccount]
) -> None:
    # an id planted by an attacker is not adopted
    client.cookies.set(SESSION_COOKIE, "identifiant-choisi-par-un-attaquant")
    first = _new_session_cookie(log_in(client, "viewer@exemple.fr", PASSWORD))
    assert first != "identifiant-choisi-par-un-attaquant"
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, first)
    # logging in again (another account) replaces the session, and the previous one ends
    second = _new_session_cookie(log_in(client, "platform@exemple.fr", PASSWORD))
    assert second != first
    assert _session_rows(db, people["viewer"]) == []
    assert len(_session_rows(db, people["platform"])) == 1


def test_after_login_only_a_path_of_this_site_is_followed(
    client: TestClient, people: dict[str, UserAccount]
) -> None:
    for suite in ("//attaquant.example/", "https://attaquant.example/", "/\\attaquant.example"):
        answer = log_in(client, "viewer@exemple.fr", PASSWORD, suite=suite)
        assert answer.headers["location"] == "/"
    assert (
        log_in(client, "viewer@exemple.fr", PASSWORD, suite="/carte?x=1").headers["location"]
        == "/carte?x=1"
    )


def test_pages_offer_to_log_in_when_nobody_is(client: TestClient) -> None:
    page = client.get("/orientation")
    assert 'href="/connexion?suite=/orientation"' in page.text
    assert "Se connecter" in page.text
    assert 'name="csrf-token"' not in page.text
