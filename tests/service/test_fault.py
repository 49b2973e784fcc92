"""The fault test: PostgreSQL killed (``kill -9`` of the postmaster) under a bounded stream of
writes and reads against the API served for real, then restarted a few seconds later.

Must hold: 0 × 500, every failure a 503 with ``Retry-After`` (a connection reset or a timeout
fails the test), recovery within 5 s of the database being back (from its restart to the first
acknowledged write), and 0 acknowledged writes lost (every 201's id is in the database).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import ALES, bearer
from tests.service.serving import Killable, killable_database, served

pytestmark = pytest.mark.db

WRITERS = 3
READERS = 2
PAUSE_S = 0.25  # per client: about 12 writes and 8 reads a second in all
KILL_AT_S = 4.0
DOWN_FOR_S = 3.0
AFTER_S = 7.0  # load kept after the restart


@dataclass(frozen=True)
class Outcome:
    kind: str  # "write" or "read"
    sent: float  # monotonic seconds
    done: float
    status: int | None  # None: no HTTP answer (reset, timeout)
    retry_after: str | None
    partner_id: str | None
    error: str | None


@pytest.fixture(scope="module")
def killable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Killable]:
    with killable_database(tmp_path_factory.mktemp("fault")) as database:
        yield database


def _client_loop(
    base_url: str, key: str, kind: str, *, number: int, stop: threading.Event, out: list[Outcome]
) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            sent = time.monotonic()
            try:
                if kind == "write":
                    answer = client.post(
                        "/v1/partners",
                        json={
                            "name": f"Panne {number}-{n} (fictif)",
                            "kind": "chrs",
                            "lon": ALES[0],
                            "lat": ALES[1],
                        },
                        headers=bearer(key),
                    )
                else:
                    answer = client.get(
                        "/v1/partners", params={"lat": ALES[1], "lon": ALES[0], "radius_km": 5}
                    )
            except httpx.HTTPError as exc:
                out.append(Outcome(kind, sent, time.monotonic(), None, None, None, repr(exc)))
            else:
                created = answer.json().get("id") if answer.status_code == 201 else None
                out.append(
                    Outcome(
                        kind,
                        sent,
                        time.monotonic(),
                        answer.status_code,
                        answer.headers.get("Retry-After"),
                        created,
                        None,
                    )
                )
            stop.wait(PAUSE_S)


def test_database_killed_under_load(
    killable: Killable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes: list[Outcome] = []
    stop = threading.Event()
    with served(killable.url, tmp_path / "server", db_connect_timeout_seconds="2") as server:
        clients = [
            threading.Thread(
                target=_client_loop,
                args=(server.base_url, killable.admin_key, kind),
                kwargs={"number": i, "stop": stop, "out": outcomes},
            )
            for kind, count in (("write", WRITERS), ("read", READERS))
            for i in range(count)
        ]
        for thread in clients:
            thread.start()
        try:
            time.sleep(KILL_AT_S)
            killed_at = time.monotonic()
            killable.kill()
            time.sleep(DOWN_FOR_S)
            restarting_at = time.monotonic()
            killable.cluster.restart()  # pg_ctl start -w: crash recovery done, accepting
            back_at = time.monotonic()
            time.sleep(AFTER_S)
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=30)
        log = server.log

    acknowledged = [o.partner_id for o in outcomes if o.status == 201 and o.partner_id]
    with psycopg.connect(killable.url.replace("postgresql+psycopg", "postgresql", 1)) as conn:
        found = {
            str(row[0])
            for row in conn.execute(
                "SELECT id FROM partner WHERE id = ANY(%s::uuid[])", (acknowledged,)
            )
        }
    lost = sorted(set(acknowledged) - found)
    failures = [o for o in outcomes if o.status is None or o.status >= 300]
    resets = [o for o in failures if o.status is None]
    errors_500 = [
        o for o in failures if o.status is not None and o.status >= 500 and o.status != 503
    ]
    unavailable = [o for o in failures if o.status == 503]
    writes_after = [o.done for o in outcomes if o.status == 201 and o.sent >= back_at]
    recovery_s = min(writes_after) - back_at if writes_after else float("inf")
    with capsys.disabled():
        print(
            f"\nfault : {len(outcomes)} requêtes ({len(acknowledged)} écritures acquittées), "
            f"{len(unavailable)} × 503, {len(errors_500)} × 500, {len(resets)} sans réponse, "
            f"base arrêtée {back_at - killed_at:.1f} s (dont redémarrage "
            f"{back_at - restarting_at:.1f} s), reprise {recovery_s:.2f} s, "
            f"{len(lost)} écriture(s) perdue(s)"
        )
    assert resets == [], resets[:5]
    assert errors_500 == [], errors_500[:5]
    assert {o.status for o in failures} <= {503}, {o.status for o in failures}
    assert all(o.retry_after is not None and int(o.retry_after) >= 1 for o in unavailable)
    assert unavailable, "la panne n'a été vue par aucune requête"
    assert any(o.status == 201 and o.done < killed_at for o in outcomes)
    assert recovery_s <= 5.0
    assert lost == []
    said = log.read_text(errors="replace")
    assert "Traceback" not in said, said[-3000:]
    assert "base de données injoignable" in said
