"""``maillage apikey create | list | revoke`` against a real database of its own."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service.auth import authenticate
from service.cli.keys import parse_expiry
from service.cli.main import app
from service.errors import AuthenticationError

runner = CliRunner()
PARIS = ZoneInfo("Europe/Paris")


def listed(env: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["apikey", "list", "--json"])
    assert result.exit_code == 0, result.output
    keys: list[dict[str, object]] = json.loads(result.stdout)
    return keys


def test_create_prints_the_key_on_stdout_and_its_id_on_stderr(env: str) -> None:
    result = runner.invoke(app, ["apikey", "create", "--role", "viewer", "--name", "ddets"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("mlg_")
    assert "\n" not in key  # a script can take stdout as the key
    key_id = result.stderr.split("id de la clé : ")[1].split()[0].rstrip(",")
    assert uuid.UUID(key_id)
    (only,) = listed(env)
    assert only["id"] == key_id
    assert only["role"] == "viewer"
    assert only["name"] == "ddets"
    assert only["expires_at"] is None
    assert only["active"] is True
    assert key not in json.dumps(only)  # the list never shows a key


def test_create_with_expiry_in_json_and_the_key_stops_working(env: str) -> None:
    result = runner.invoke(
        app, ["apikey", "create", "--role", "admin", "--expires", "90d", "--json"]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert abs(expires - dt.datetime.now(dt.UTC) - dt.timedelta(days=90)) < dt.timedelta(minutes=1)
    engine = create_engine(env)
    with Session(engine) as session:
        principal = authenticate(session, f"Bearer {created['key']}")
        assert principal is not None
        assert str(principal.key_id) == created["id"]
        session.execute(
            text("UPDATE api_key SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": uuid.UUID(created["id"])},
        )
        session.commit()
        with pytest.raises(AuthenticationError, match="expirée"):
            authenticate(session, f"Bearer {created['key']}")
    engine.dispose()
    (row,) = listed(env)
    assert row["active"] is False
    assert row["last_used_at"] is not None  # the first authentication recorded it


def test_expiry_forms_and_refusals(env: str) -> None:
    now = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
    assert parse_expiry("90d", now=now) == now + dt.timedelta(days=90)
    assert parse_expiry("2027-03-31", now=now) == dt.datetime(2027, 4, 1, tzinfo=PARIS)
    for bad in ("0d", "demain", "31/03/2027", "90j"):
        with pytest.raises(ValueError, match="--expires"):
            parse_expiry(bad, now=now)
    refused = runner.invoke(app, ["apikey", "create", "--role", "viewer", "--expires", "bientôt"])
    assert refused.exit_code == 2
    assert "AAAA-MM-JJ" in refused.output
    past = runner.invoke(app, ["apikey", "create", "--role", "viewer", "--expires", "2020-01-01"])
    assert past.exit_code == 2
    assert "déjà passée" in past.output
    assert listed(env) == []


def test_list_shows_role_organisation_and_dates(env: str) -> None:
    from service.auth import create_api_key
    from service.migrate import upgrade
    from service.store import records
    from service.tables import Partner
    from tests.conftest import partner_fields

    engine = create_engine(env)
    upgrade(engine)
    with Session(engine) as session:
        organisation = Partner()
        records.apply_partner(organisation, partner_fields(name="Association La Garrigue (fictif)"))
        session.add(organisation)
        session.flush()
        _, row = create_api_key(
            session, role="editor", organisation_id=organisation.id, name="garrigue"
        )
        session.commit()
        editor_id = str(row.id)
    engine.dispose()
    assert runner.invoke(app, ["apikey", "create", "--role", "platform"]).exit_code == 0
    table = runner.invoke(app, ["apikey", "list"])
    assert table.exit_code == 0, table.output
    for heading in ("rôle", "organisation", "créée", "dernière utilisation", "expire", "révoquée"):
        assert heading in table.output
    assert editor_id in table.output
    assert "Association La Garrigue (fictif)" in table.output
    editor, platform = listed(env)
    assert editor["organisation"] == "Association La Garrigue (fictif)"
    assert platform["organisation"] is None
    assert editor["created_at"] is not None
    assert editor["last_used_at"] is None


def test_revoking_twice_says_it_was_already_revoked(env: str) -> None:
    created = json.loads(
        runner.invoke(app, ["apikey", "create", "--role", "viewer", "--json"]).stdout
    )
    first = runner.invoke(app, ["apikey", "revoke", created["id"]])
    assert first.exit_code == 0, first.output
    assert "clé révoquée" in first.output
    second = runner.invoke(app, ["apikey", "revoke", created["id"]])
    assert second.exit_code == 0, second.output
    assert "déjà révoquée" in second.output
    (row,) = listed(env)
    assert row["revoked_at"] is not None
    assert row["active"] is False
    unknown = runner.invoke(app, ["apikey", "revoke", str(uuid.uuid4())])
    assert unknown.exit_code == 2
    assert "Clé inconnue" in unknown.output
    garbage = runner.invoke(app, ["apikey", "revoke", "pas-un-id"])
    assert garbage.exit_code == 2
    assert "pas-un-id" not in garbage.output
