"""``maillage apikey``: create, list and revoke API keys.

Dates are shown in French local time (Europe/Paris) and written in JSON as ISO 8601 with
their offset. ``--expires`` takes a duration in days (``90d``) or the last day of validity
(``2027-03-31``: the key works until the end of that day, Paris time).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from service.cli.common import console, database, err, load_settings

app = typer.Typer(help="Clés d'API.", no_args_is_help=True)

PARIS = ZoneInfo("Europe/Paris")
_DAYS = re.compile(r"(\d{1,5})d")


def parse_expiry(text: str, *, now: dt.datetime) -> dt.datetime:
    """The instant a key given ``--expires text`` at ``now`` stops working.

    ``90d``: ``now`` plus 90 days; ``2027-03-31``: the end of that day in Paris (midnight
    starting the next day). Raises `ValueError` with a French message otherwise.
    """
    days = _DAYS.fullmatch(text.strip())
    if days:
        if int(days.group(1)) == 0:
            raise ValueError("--expires : une durée d'au moins 1 jour est attendue (ex. 90d).")
        return now + dt.timedelta(days=int(days.group(1)))
    try:
        last_day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            "--expires : une durée en jours (ex. 90d) ou une date AAAA-MM-JJ est attendue."
        ) from None
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=PARIS)


def shown(moment: dt.datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="admin, editor, platform ou viewer")],
    organisation: Annotated[
        str | None, typer.Option(help="id du partenaire organisation (obligatoire pour editor)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="libellé libre")] = None,
    expires: Annotated[
        str | None,
        typer.Option(help="fin de validité : durée (90d) ou dernier jour (2027-03-31)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="clé, id et dates en JSON sur la sortie standard")
    ] = False,
) -> None:
    """Créer une clé d'API : la clé sur la sortie standard (une seule fois : seule son empreinte
    est gardée), son id sur la sortie d'erreur (pour la révoquer)."""
    from service.auth import create_api_key
    from service.errors import MaillageError

    try:
        org_id = uuid.UUID(organisation) if organisation else None
    except ValueError as exc:
        err.print("[red]Identifiant d'organisation invalide :[/red] un UUID est attendu.")
        raise typer.Exit(2) from exc
    try:
        expires_at = parse_expiry(expires, now=dt.datetime.now(dt.UTC)) if expires else None
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    with database(load_settings()) as (engine, _), Session(engine) as session:
        try:
            key, row = create_api_key(
                session, role=role, organisation_id=org_id, name=name, expires_at=expires_at
            )
        except MaillageError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
        session.commit()
        key_id = row.id
    if as_json:
        created = {
            "key": key,
            "id": str(key_id),
            "role": role,
            "organisation_id": str(org_id) if org_id else None,
            "name": name,
            "expires_at": _iso(expires_at),
        }
        typer.echo(json.dumps(created, ensure_ascii=False))
        return
    typer.echo(key)
    until = f", valable jusqu'au {shown(expires_at)}" if expires_at else ""
    err.print(f"id de la clé : {key_id}{until}")


@app.command("list")
def apikey_list(
    as_json: Annotated[bool, typer.Option("--json", help="une liste JSON")] = False,
) -> None:
    """Lister les clés : id, rôle, organisation, création, dernière utilisation, expiration,
    révocation (jamais la clé elle-même : seule son empreinte est gardée)."""
    from service.store import queries

    now = dt.datetime.now(dt.UTC)
    with database(load_settings()) as (engine, _), Session(engine) as session:
        rows = session.execute(queries.api_keys()).all()
    keys: list[dict[str, Any]] = [
        {
            "id": str(row.ApiKey.id),
            "name": row.ApiKey.name,
            "prefix": row.ApiKey.prefix,
            "role": row.ApiKey.role,
            "organisation_id": str(row.ApiKey.organisation_id)
            if row.ApiKey.organisation_id
            else None,
            "organisation": row.organisation_name,
            "created_at": _iso(row.ApiKey.created_at),
            "last_used_at": _iso(row.ApiKey.last_used_at),
            "expires_at": _iso(row.ApiKey.expires_at),
            "revoked_at": _iso(row.ApiKey.revoked_at),
            "active": row.ApiKey.revoked_at is None
            and (row.ApiKey.expires_at is None or row.ApiKey.expires_at > now),
        }
        for row in rows
    ]
    if as_json:
        typer.echo(json.dumps(keys, ensure_ascii=False, indent=1))
        return
    if not keys:
        console.print("aucune clé : maillage apikey create --role …")
        return
    table = Table("id", "rôle", "organisation", "libellé", "créée", "dernière utilisation")
    table.add_column("expire")
    table.add_column("révoquée")
    table.columns[0].no_wrap = True
    for key, row in zip(keys, rows, strict=True):
        api_key = row.ApiKey
        table.add_row(
            key["id"],
            key["role"],
            key["organisation"] or "—",
            key["name"] or "—",
            shown(api_key.created_at),
            shown(api_key.last_used_at),
            shown(api_key.expires_at),
            shown(api_key.revoked_at),
        )
    console.print(table)


@app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="id de la clé")]) -> None:
    """Révoquer une clé d'API (une clé déjà révoquée le reste : rien à faire)."""
    from service.auth import revoke_api_key
    from service.errors import MaillageError

    with database(load_settings()) as (engine, _), Session(engine) as session:
        try:
            already = revoke_api_key(session, uuid.UUID(key_id))
        except (MaillageError, ValueError) as exc:
            err.print("[red]Clé inconnue :[/red] aucune clé de cet identifiant.")
            raise typer.Exit(2) from exc
        session.commit()
    if already is not None:
        console.print(f"✓ clé déjà révoquée le {shown(already)} : rien à faire")
        return
    console.print("✓ clé révoquée")
