"""``maillage apikey``: create and revoke API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from service.cli.common import console, database, err, load_settings

app = typer.Typer(help="Clés d'API.", no_args_is_help=True)


@app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="admin, editor, platform ou viewer")],
    organisation: Annotated[
        str | None, typer.Option(help="id du partenaire organisation (obligatoire pour editor)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="libellé libre")] = None,
) -> None:
    """Créer une clé d'API et l'afficher (une seule fois : seule son empreinte est gardée)."""
    from service.auth import create_api_key
    from service.errors import MaillageError

    try:
        org_id = uuid.UUID(organisation) if organisation else None
    except ValueError as exc:
        err.print(f"[red]Identifiant d'organisation invalide :[/red] {organisation}")
        raise typer.Exit(2) from exc
    with database(load_settings()) as (engine, _), Session(engine) as session:
        try:
            key, _row = create_api_key(session, role=role, organisation_id=org_id, name=name)
        except MaillageError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
        session.commit()
    typer.echo(key)


@app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="id de la clé")]) -> None:
    """Révoquer une clé d'API."""
    from service.auth import revoke_api_key
    from service.errors import MaillageError

    with database(load_settings()) as (engine, _), Session(engine) as session:
        try:
            revoke_api_key(session, uuid.UUID(key_id))
        except (MaillageError, ValueError) as exc:
            err.print(f"[red]Clé inconnue : {key_id}[/red]")
            raise typer.Exit(2) from exc
        session.commit()
    console.print("✓ clé révoquée")
