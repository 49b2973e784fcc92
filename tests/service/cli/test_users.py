"""``maillage user create | list | disable | enable | reset-password`` on a database of its own."""

from __future__ import annotations

import json

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service.accounts import passwords
from service.accounts.queries import account_by_email
from service.cli.main import app
from service.tables import UserAccount

runner = CliRunner()
SECRET = "correct cheval pile agrafe"


def stored(url: str, email: str) -> UserAccount:
    engine = create_engine(url)
    with Session(engine) as session:
        row: UserAccount | None = session.scalar(account_by_email(email))
        assert row is not None
        session.expunge(row)
    engine.dispose()
    return row


def create(email: str, name: str, role: str, *options: str) -> list[str]:
    """The arguments of ``maillage user create``."""
    return ["user", "create", "--email", email, "--name", name, "--role", role, *options]


def listed() -> list[dict[str, object]]:
    result = runner.invoke(app, ["user", "list", "--json"])
    assert result.exit_code == 0, result.output
    accounts: list[dict[str, object]] = json.loads(result.stdout)
    return accounts


def test_create_with_the_password_on_stdin_then_list(env: str) -> None:
    result = runner.invoke(
        app,
        create("Lea.Martin@Exemple.fr", "Léa Martin", "viewer", "--password-stdin"),
        input=SECRET + "\n",
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output  # never echoed
    row = stored(env, "lea.martin@exemple.fr")
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2id$")
    assert passwords.verify(row.password_hash, SECRET)
    (only,) = listed()
    assert only["email"] == "Lea.Martin@Exemple.fr"
    assert only["role"] == "viewer"
    assert only["disabled"] is False
    assert "password_hash" not in only
    table = runner.invoke(app, ["user", "list"])
    assert "Léa Martin" in table.stdout
    assert "actif" in table.stdout


def test_the_hidden_prompt_asks_twice(env: str) -> None:
    result = runner.invoke(
        app,
        create("a@exemple.fr", "A", "viewer"),
        input=f"{SECRET}\n{SECRET}\n",
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert passwords.verify(stored(env, "a@exemple.fr").password_hash, SECRET)


def test_refusals_name_the_rule_never_the_value(env: str) -> None:
    short = runner.invoke(
        app,
        create("b@exemple.fr", "B", "viewer", "--password-stdin"),
        input="court\n",
    )
    assert short.exit_code == 2
    assert "au moins 12 caractères" in short.output
    assert "court" not in short.output.replace("trop court", "")
    admin = runner.invoke(
        app,
        create("c@exemple.fr", "C", "admin", "--password-stdin"),
        input="quatorze carac\n",
    )
    assert admin.exit_code == 2
    assert "au moins 16 caractères" in admin.output
    editor = runner.invoke(
        app,
        create("d@exemple.fr", "D", "editor", "--password-stdin"),
        input=SECRET + "\n",
    )
    assert editor.exit_code == 2
    assert "organisation" in editor.output
    runner.invoke(
        app,
        create("e@exemple.fr", "E", "viewer", "--password-stdin"),
        input=SECRET + "\n",
    )
    twice = runner.invoke(
        app,
        create("E@EXEMPLE.FR", "E", "viewer", "--password-stdin"),
        input=SECRET + "\n",
    )
    assert twice.exit_code == 2
    assert "existe déjà" in twice.output


def test_disable_enable_and_reset_password(env: str) -> None:
    runner.invoke(
        app,
        create("f@exemple.fr", "F", "platform", "--password-stdin"),
        input=SECRET + "\n",
    )
    assert runner.invoke(app, ["user", "disable", "F@exemple.fr"]).exit_code == 0
    assert stored(env, "f@exemple.fr").disabled_at is not None
    assert listed()[0]["disabled"] is True
    assert runner.invoke(app, ["user", "enable", "f@exemple.fr"]).exit_code == 0
    assert stored(env, "f@exemple.fr").disabled_at is None
    new = "un tout autre mot de passe"
    reset = runner.invoke(
        app, ["user", "reset-password", "f@exemple.fr", "--password-stdin"], input=new + "\n"
    )
    assert reset.exit_code == 0, reset.output
    row = stored(env, "f@exemple.fr")
    assert passwords.verify(row.password_hash, new)
    assert not passwords.verify(row.password_hash, SECRET)
    unknown = runner.invoke(app, ["user", "disable", "personne@exemple.fr"])
    assert unknown.exit_code == 2
    assert "Compte inconnu" in unknown.output


def test_an_account_for_proconnect_only_has_no_password(env: str) -> None:
    result = runner.invoke(
        app,
        create("g@exemple.fr", "G", "viewer", "--no-password"),
    )
    assert result.exit_code == 0, result.output
    assert stored(env, "g@exemple.fr").password_hash is None
    assert listed()[0]["has_password"] is False
