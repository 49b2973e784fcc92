"""``maillage user``: people's accounts — create, list, disable, enable, reset a password.

A password is read from standard input with ``--password-stdin`` (its first line, for
scripts), else asked twice at the terminal without being shown; it is never a command-line
argument (it would stay in the shell's history and in ``ps``). ``--no-password`` creates an
account that logs in through ProConnect only.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from service.cli.common import console, database, err, load_settings

app = typer.Typer(help="Comptes des personnes (connexion aux pages).", no_args_is_help=True)

EMAIL = typer.Option(help="adresse électronique du compte (sa casse est ignorée)")


@contextmanager
def changing() -> Iterator[Session]:
    """A session whose changes are committed at the end; a refusal (`MaillageError`) is
    printed in French and the command exits with status 2."""
    from service.errors import MaillageError

    with database(load_settings()) as (engine, _), Session(engine) as session:
        try:
            yield session
        except MaillageError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
        session.commit()


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice, hidden."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            err.print("[red]Mot de passe vide sur l'entrée standard.[/red]")
            raise typer.Exit(2)
        return password
    typed: str = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    return typed


@app.command("create")
def user_create(
    *,
    email: Annotated[str, EMAIL],
    name: Annotated[str, typer.Option(help="nom affiché (prénom et nom)")],
    role: Annotated[str, typer.Option(help="admin, editor, platform ou viewer")],
    organisation: Annotated[
        str | None,
        typer.Option(help="id du partenaire organisation de la personne (obligatoire : editor)"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="lire le mot de passe sur l'entrée standard")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="sans mot de passe : connexion ProConnect seule")
    ] = False,
) -> None:
    """Créer un compte. Mot de passe : 12 caractères au moins, 16 pour un administrateur."""
    from service.accounts.users import create_account

    try:
        org_id = uuid.UUID(organisation) if organisation else None
    except ValueError as exc:
        err.print("[red]Identifiant d'organisation invalide :[/red] un UUID est attendu.")
        raise typer.Exit(2) from exc
    password = None if no_password else read_password(password_stdin)
    with changing() as session:
        row = create_account(
            session,
            email=email,
            display_name=name,
            role=role,
            organisation_id=org_id,
            password=password,
        )
        created = f"✓ compte créé : {row.email} ({row.role}), id {row.id}"
    console.print(created)


@app.command("list")
def user_list(
    as_json: Annotated[bool, typer.Option("--json", help="une liste JSON")] = False,
) -> None:
    """Lister les comptes : adresse, nom, rôle, organisation, état, dernière connexion."""
    from service.accounts.schemas import AccountOut
    from service.accounts.users import list_accounts
    from service.cli.keys import shown

    with database(load_settings()) as (engine, _), Session(engine) as session:
        accounts = [AccountOut.of(row, name) for row, name in list_accounts(session)]
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in accounts], ensure_ascii=False))
        return
    if not accounts:
        console.print("aucun compte : maillage user create --email … --name … --role …")
        return
    table = Table("adresse", "nom", "rôle", "organisation", "état", "dernière connexion")
    for account in accounts:
        state = "désactivé" if account.disabled else "actif"
        if account.locked_until is not None and not account.disabled:
            state = f"verrouillé jusqu'au {shown(account.locked_until)}"
        table.add_row(
            account.email,
            account.display_name,
            account.role,
            account.organisation_name or "—",
            state,
            shown(account.last_login_at),
        )
    console.print(table)


def _change(email: str, what: str, *, disabled: bool) -> None:
    from service.accounts.users import set_disabled

    with changing() as session:
        set_disabled(session, email, disabled=disabled)
    console.print(f"✓ compte {what}")


@app.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="adresse du compte")]) -> None:
    """Désactiver un compte : ses sessions se ferment aussitôt, il ne se connecte plus."""
    _change(email, "désactivé (sessions fermées)", disabled=True)


@app.command("enable")
def user_enable(email: Annotated[str, typer.Argument(help="adresse du compte")]) -> None:
    """Réactiver un compte (et lever son verrouillage)."""
    _change(email, "réactivé", disabled=False)


@app.command("reset-password")
def user_reset_password(
    email: Annotated[str, typer.Argument(help="adresse du compte")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="lire le mot de passe sur l'entrée standard")
    ] = False,
) -> None:
    """Donner un nouveau mot de passe : le compte est déverrouillé, ses sessions se ferment."""
    from service.accounts.users import reset_password

    password = read_password(password_stdin)
    with changing() as session:
        reset_password(session, email, password)
    console.print("✓ mot de passe changé (sessions fermées)")
