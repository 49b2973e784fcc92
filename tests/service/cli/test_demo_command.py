"""``maillage demo`` end to end, as a newcomer runs it: embedded PostGIS, Gard demo, HTTP.

The command runs in a subprocess with its own ``MAILLAGE_HOME`` and ``MAILLAGE_PORT``; the test
queries it over HTTP, stops it with Ctrl-C (SIGINT), and runs it again to see the data reused.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from service.demo.trains import DEFAULT_FEED
from tests.conftest import ALES

pytestmark = [pytest.mark.db, pytest.mark.slow]

MAILLAGE = Path(sys.executable).with_name("maillage")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PLANTED = "zq-profil-5c1e0b"


def post(url: str, body: dict[str, Any], key: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 — localhost only
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — localhost only
        return json.loads(response.read())


@contextmanager
def demo(home: Path, port: int) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Run `maillage demo`; its output is collected line by line while it runs."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"MAILLAGE_HOME": str(home), "MAILLAGE_PORT": str(port), "COLUMNS": "200"})
    process = subprocess.Popen(
        [str(MAILLAGE), "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                reader.join(timeout=5)
                pytest.fail("maillage demo s'est arrêté :\n" + "".join(lines))
            try:
                if get(f"http://127.0.0.1:{port}/health")["database"] == "ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("maillage demo n'a pas répondu à temps")
        yield process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=10)
        process.stdout.close()


def key_for(lines: list[str], role: str) -> str:
    return next(line.split()[1] for line in lines if line.strip().startswith(f"{role} "))


def account_for(lines: list[str], role: str) -> tuple[str, str]:
    """The demo account printed for ``role``: (email, password)."""
    words = next(
        line.split()
        for line in lines
        if line.strip().startswith(f"{role} ") and "@demo.example.org" in line
    )
    return words[1], words[2]


def logged_in_matches(base: str, email: str, password: str, body: dict[str, Any]) -> Any:
    """Log in on /connexion as a browser does (form token, cookies), then POST /v1/matches
    with the session and its CSRF token: no API key."""
    import re

    import httpx

    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as browser:
        form = browser.get("/connexion").text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token is not None
        answer = browser.post(
            "/connexion",
            data={"email": email, "password": password, "csrf": token.group(1)},
        )
        assert answer.status_code == 200, answer.text  # redirected to /, logged in
        page = browser.get("/orientation").text
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
        assert csrf is not None, "connecté : la page porte le jeton CSRF de la session"
        result = browser.post("/v1/matches", json=body, headers={"X-CSRF-Token": csrf.group(1)})
        assert result.status_code == 200, result.text
        return result.json()


@pytest.mark.skipif(not MAILLAGE.exists(), reason="la commande maillage n'est pas installée")
def test_demo_serves_the_gard_and_reuses_its_data(tmp_path: Path) -> None:
    home = tmp_path / "maillage-home"
    port = free_port()
    with demo(home, port) as (_, _lines):
        lon, lat = ALES
        page = get(f"http://127.0.0.1:{port}/v1/partners?lat={lat}&lon={lon}&radius_km=10&size=100")
        items = page["items"]
        assert page["total"] >= 40
        assert all(item["name"].endswith("(fictif)") for item in items)
        distances = [item["distance_m"] for item in items]
        assert distances == sorted(distances)
        assert distances[-1] <= 10_000
        assert {item["code_insee"] for item in items[:10]} == {"30007"}  # Alès itself first
        families = {k["family"] for k in get(f"http://127.0.0.1:{port}/v1/reference/kinds")}
        assert len(families) == 13  # the twelve of the domain, and « autres » (imports)
        walk = get(
            f"http://127.0.0.1:{port}/v1/partners?lat={lat}&lon={lon}&mode=walk&max_minutes=20"
        )
        assert walk["total"] > 0
        assert all(item["travel"]["estimated"] for item in walk["items"])  # no Gard network
        assert all(item["travel"]["minutes"] <= 20 for item in walk["items"])
        total = get(f"http://127.0.0.1:{port}/v1/partners?size=1")["total"]
        assert total >= 300
        platform_key = key_for(_lines, "platform")
        result = post(
            f"http://127.0.0.1:{port}/v1/matches",
            {
                "location": {"lat": lat, "lon": lon},
                "modes": [{"mode": "walk", "max_minutes": 30}],
                "wishes": {"keywords": f"vente {PLANTED}"},
                "situation": {"age": 29, "rsa": True, "work_authorization": True},
            },
            platform_key,
        )
        assert result["items"]
        email, password = account_for(_lines, "platform")
        by_session = logged_in_matches(
            f"http://127.0.0.1:{port}",
            email,
            password,
            {"location": {"lat": lat, "lon": lon}, "modes": [{"mode": "walk", "max_minutes": 30}]},
        )
        assert by_session["items"]
        networks = get(f"http://127.0.0.1:{port}/v1/networks")
        if DEFAULT_FEED.exists():  # the real trains of the Gard
            assert [(n["name"], n["mode"], n["loaded"]) for n in networks] == [
                ("gard", "transit", True)
            ]
            assert networks[0]["feeds"][0]["name"] == "ter"
    first_output = "".join(_lines)
    if DEFAULT_FEED.exists():
        assert "Trains du Gard" in first_output
        assert "(construits)" in first_output
        assert "En transports en commun — en partie réel : horaires réels" in first_output
    else:
        assert "Horaires TER absents" in first_output
    assert "À pied — estimé : temps estimés à vol d'oiseau" in first_output
    assert "POST /v1/matches" in first_output  # the access log did record the request...
    assert PLANTED not in first_output  # ...and nothing of the profile
    assert "fictifs" in first_output
    assert "admin" in first_output
    assert "editor" in first_output
    # stopped cleanly: no server left on the cluster
    assert not (home / "postgres" / "pgdata" / "postmaster.pid").exists()
    admin_key = key_for(_lines, "admin")
    admin_account = account_for(_lines, "admin")
    assert (home / "demo-accounts.json").stat().st_mode & 0o777 == 0o600

    with demo(home, port) as (_, second):
        assert get(f"http://127.0.0.1:{port}/v1/partners?size=1")["total"] == total
    second_output = "".join(second)
    assert admin_key in second_output  # the keys are kept too
    assert account_for(second, "admin") == admin_account  # and the accounts' passwords
    assert "partenaires (" not in second_output  # nothing loaded twice
    if DEFAULT_FEED.exists():
        assert "(déjà construits, réutilisés)" in second_output  # nor the trains built twice
