"""``maillage demo``: the embedded store, the fictitious Gard territory, keys, accounts, the
API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from service.cli.common import (
    console,
    counting_bar,
    database,
    err,
    load_settings,
    serve_api,
)
from service.settings import Settings


def demo(
    host: Annotated[str | None, typer.Option(help="adresse d'écoute")] = None,
    port: Annotated[int | None, typer.Option(help="port d'écoute (MAILLAGE_PORT)")] = None,
) -> None:
    """Démarrer la démo : base embarquée, territoire du Gard fictif, API sur le port choisi."""
    from service.store import queries

    settings = load_settings()
    host = host or settings.host
    port = port or settings.port
    # supervised: a server that dies (kill -9, OOM) is restarted, the API reconnects by itself
    with database(settings, supervise=True) as (engine, url), Session(engine) as session:
        if not session.scalar(queries.count_partners()):
            _load_demo(session)
        _load_trains(session, settings)
        _load_jobs(session, settings)
        keys = _demo_keys(session, settings.home)
        accounts = _demo_accounts(session, settings.home)
        session.commit()
        _print_modes(session, settings.home)
        console.print(
            "\n[bold]maillage[/bold] — démo du Gard "
            "[yellow](tous les partenaires sont fictifs)[/yellow]\n"
            f"  API           http://{host}:{port}\n"
            f"  Documentation http://{host}:{port}/docs\n"
            "  Clés d'API (en-tête « Authorization: Bearer <clé> ») :"
        )
        for role, (key, label) in keys.items():
            console.print(f"    {role:<9} {key}  {label}")
        console.print(f"  Comptes pour les pages (http://{host}:{port}/connexion) :")
        for role, (email, password, label) in accounts.items():
            console.print(f"    {role:<9} {email:<27} {password}  {label}")
        console.print("  Arrêt : Ctrl-C\n")
        session.close()
        serve_api(settings.model_copy(update={"database_url": url}), host, port)


def _load_demo(session: Session) -> None:
    from graph import vocabulary
    from service.demo import demo_summary, load_demo

    with counting_bar() as bar:
        task = bar.add_task("Communes du Gard et partenaires fictifs", total=None)
        communes, report, collection = load_demo(session, progress=lambda n: bar.advance(task, n))
    session.commit()
    families = vocabulary.families()
    summary = ", ".join(
        f"{families[family].label.lower()} {n}" for family, n in demo_summary(collection).items()
    )
    console.print(f"✓ {communes} communes, {report.created} partenaires ({summary})")


def _load_trains(session: Session, settings: Settings) -> None:
    """The TER timetable of the Gard, built once (cached under MAILLAGE_HOME) and registered."""
    from service.demo.trains import DEFAULT_FEED, demo_trains

    feed = settings.demo_gtfs or DEFAULT_FEED
    with console.status("Trains du Gard : horaires TER (SNCF)…"):
        try:
            trains = demo_trains(
                session, settings.home, feed=feed, buffer_km=settings.territory_buffer_km
            )
        except ValueError as exc:
            err.print(f"[yellow]Horaires TER non chargés :[/yellow] {exc}")
            return
    session.commit()
    if trains is None:
        console.print(
            f"[yellow]! Horaires TER absents ({feed}) : les transports en commun de la démo "
            "seront estimés (MAILLAGE_DEMO_GTFS donne un autre fichier).[/yellow]"
        )
        return
    how = "construits" if trains.built else "déjà construits, réutilisés"
    console.print(f"✓ Trains du Gard : {trains.stops} gares et arrêts TER ({how})")


def _load_jobs(session: Session, settings: Settings) -> None:
    """The ROME job titles (France Travail), loaded once."""
    from service.demo.jobs import DEFAULT_ROME, demo_jobs

    directory = settings.demo_rome or DEFAULT_ROME
    try:
        loaded = demo_jobs(session, directory)
    except ValueError as exc:
        loaded, absent = None, f"illisibles : {exc}"
    else:
        absent = f"absents ({directory})"
    if loaded is None:
        console.print(
            f"[yellow]! Métiers du ROME {absent} : le formulaire d'orientation n'aura que les "
            "codes ROME (MAILLAGE_DEMO_ROME donne un autre répertoire).[/yellow]"
        )
        return
    session.commit()
    version, count = loaded
    how = f"{count} intitulés chargés" if count else "déjà chargés"
    console.print(f"✓ Métiers : ROME 4.0 {version} de France Travail ({how})")


def _print_modes(session: Session, home: Path) -> None:
    """Which modes are real and which are estimated on the territory (what the API loads)."""
    from service.modes import mode_statements
    from service.travel import TravelService

    console.print("\n[bold]Temps de trajet sur ce territoire[/bold]")
    for statement in mode_statements(TravelService.from_store(session, home)):
        console.print(f"  {statement.label} — {statement.status} : {statement.text}")


def _demo_keys(session: Session, home: Path) -> dict[str, tuple[str, str]]:
    """One key per role, kept in MAILLAGE_HOME/demo-keys.json so a second run reuses them."""
    from service.auth import authenticate, create_api_key
    from service.errors import AuthenticationError
    from service.store import queries

    path = home / "demo-keys.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    organisation = session.scalar(queries.platform_organisation())
    keys: dict[str, tuple[str, str]] = {}
    for role in ("admin", "editor", "platform", "viewer"):
        key = stored.get(role)
        try:
            valid = key is not None and authenticate(session, f"Bearer {key}") is not None
        except AuthenticationError:
            valid = False
        if not valid:
            org_id = organisation.id if role == "editor" and organisation else None
            key, _ = create_api_key(session, role=role, organisation_id=org_id, name="démo")
        assert key is not None
        stored[role] = key
        label = f"(organisation : {organisation.name})" if role == "editor" and organisation else ""
        keys[role] = (key, label)
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")
    os.chmod(path, 0o600)
    return keys


DEMO_PEOPLE = {
    "admin": ("admin@demo.example.org", "Claire Martin (démo)"),
    "editor": ("editeur@demo.example.org", "Karim Benali (démo)"),
    "platform": ("plateforme@demo.example.org", "Sophie Durand (démo)"),
    "viewer": ("ddets@demo.example.org", "Julien Roux (démo)"),
}
"""One fictitious person per role (``example.org``: no real address)."""


def _demo_accounts(session: Session, home: Path) -> dict[str, tuple[str, str, str]]:
    """One account per role, whose passwords are kept in MAILLAGE_HOME/demo-accounts.json
    (0600) so a second run shows the same ones; an account whose password no longer matches
    gets a new one. The editor and the platform belong to the demo's employment platform."""
    import secrets

    from service.accounts import passwords
    from service.accounts import queries as account_queries
    from service.accounts.users import create_account, reset_password
    from service.store import queries
    from service.tables import UserAccount

    path = home / "demo-accounts.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    organisation = session.scalar(queries.platform_organisation())
    shown: dict[str, tuple[str, str, str]] = {}
    for role, (email, name) in DEMO_PEOPLE.items():
        password = stored.get(role) or secrets.token_urlsafe(15)  # 20 characters
        row: UserAccount | None = session.scalar(account_queries.account_by_email(email))
        org_id = organisation.id if role in ("editor", "platform") and organisation else None
        if row is None:
            create_account(
                session,
                email=email,
                display_name=name,
                role=role,
                organisation_id=org_id,
                password=password,
            )
        elif not passwords.verify(row.password_hash, password):
            reset_password(session, email, password)
        stored[role] = password
        label = f"(organisation : {organisation.name})" if org_id and organisation else ""
        shown[role] = (email, password, label)
    home.mkdir(parents=True, exist_ok=True)
    # created 0600 from the start: the passwords are never readable by others, not even briefly
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(stored, indent=2))
    os.chmod(path, 0o600)
    return shown
