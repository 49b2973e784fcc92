"""The house rules of the code, checked on the source (README « Architecture »).

- `graph` and `geodata` are pure: they never import HTTP, SQL or the service;
- `service` is cut by feature; a feature never imports another feature, and the shared
  plumbing (the top-level modules and `service.store`) imports no feature;
- SQL is written in a ``queries.py`` (or the migrations, or the few plumbing modules of
  `SQL_MODULES`): no other module of `service` imports an SQL builder of SQLAlchemy;
- no module of `service` is longer than 600 lines, but those the README names;
- the tests mirror the packages, and the pure core's tests never import `service`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ROOT / "service"

FORBIDDEN_IN_CORE = ("fastapi", "starlette", "sqlalchemy", "geoalchemy2", "psycopg", "alembic")
SQL_BUILDERS = frozenset(
    {
        "select",
        "text",
        "insert",
        "update",
        "delete",
        "exists",
        "func",
        "tuple_",
        "literal",
        "literal_column",
        "and_",
        "or_",
        "not_",
        "cast",
        "case",
        "column",
        "table",
        "true",
        "false",
        "null",
        "union",
        "union_all",
        "bindparam",
        "aliased",
    }
)
# Modules allowed to build SQL besides the ``queries.py`` (and the migrations), each for the
# reason the README gives: the engine and session plumbing and the migration runner (raw
# ``text`` for the database's own housekeeping), and the schema (server defaults and index
# expressions are SQL).
SQL_MODULES: dict[str, str] = {
    "service/db.py": "engine and session plumbing",
    "service/migrate.py": "the migration runner reads alembic_version",
    "service/tables.py": "the schema: server defaults and index expressions",
}

# Entry points assemble features; they may import any of them.
ENTRY_POINTS = frozenset({"app", "cli", "demo"})

# Modules allowed over MAX_LINES, each with the reason the README gives.
LONG_MODULES: dict[str, str] = {
    "service/embedded.py": "the embedded PostGIS cluster: one lifecycle, read top to bottom",
}
MAX_LINES = 600


def _modules(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _features() -> set[str]:
    return {
        p.name
        for p in SERVICE.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"store", "cli", "demo"}
    }


def _owner(path: Path) -> str:
    """The feature (or plumbing module) a file of `service` belongs to."""
    rel = path.relative_to(SERVICE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


@pytest.mark.parametrize("package", ["graph", "geodata"])
def test_core_is_free_of_http_and_sql(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} importe {name}"
        for path in _modules(ROOT / package)
        for name in _imports(path)
        if name.split(".")[0] in (*FORBIDDEN_IN_CORE, "service")
    ]
    assert offenders == []


def test_features_do_not_import_each_other() -> None:
    features = _features()
    assert {"partners", "matching", "coverage", "territory", "imports", "pages"} <= features
    offenders = []
    for path in _modules(SERVICE):
        owner = _owner(path)
        if owner in ENTRY_POINTS:
            continue
        for name in _imports(path):
            parts = name.split(".")
            if len(parts) > 1 and parts[0] == "service" and parts[1] in features - {owner}:
                offenders.append(f"{path.relative_to(ROOT)} importe {name}")
    assert offenders == []


def _sql_imports(source: str) -> list[str]:
    """SQL builders a module imports from SQLAlchemy (anywhere, dialects included), and
    ``import sqlalchemy`` itself (``sa.select(...)`` would slip by)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.extend(sorted({a.name for a in node.names} & SQL_BUILDERS))
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy")
    return found


def test_sql_lives_in_queries() -> None:
    offenders = {
        str(rel): built
        for path in _modules(SERVICE)
        if path.name != "queries.py"
        and str(rel := path.relative_to(ROOT)) not in SQL_MODULES
        and (built := _sql_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_sql_rule_sees_an_offender() -> None:
    """The rule catches a builder imported from a dialect inside a function, and a plain
    ``import sqlalchemy``; it lets the ORM's session and the result types pass."""
    assert _sql_imports("def f():\n    from sqlalchemy.dialects.postgresql import insert\n") == [
        "insert"
    ]
    assert _sql_imports("import sqlalchemy as sa\n") == ["sqlalchemy"]
    assert (
        _sql_imports("from sqlalchemy import CursorResult\nfrom sqlalchemy.orm import Session\n")
        == []
    )


def test_modules_stay_short() -> None:
    long = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in _modules(SERVICE)
    }
    too_long = {p: n for p, n in long.items() if n > MAX_LINES and p not in LONG_MODULES}
    assert too_long == {}


def test_long_modules_are_named_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in (*LONG_MODULES, *SQL_MODULES):
        if (ROOT / path).exists():
            assert path.removeprefix("service/") in readme, path


@pytest.mark.parametrize("package", ["graph", "geodata"])
def test_core_tests_never_import_the_service(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} importe {name}"
        for path in _modules(ROOT / "tests" / package)
        for name in _imports(path)
        if name.split(".")[0] == "service"
    ]
    assert offenders == []


def test_tests_mirror_the_packages() -> None:
    for folder in ("graph", "geodata", "service", "scripts"):
        assert (ROOT / "tests" / folder / "__init__.py").exists(), folder
    loose = sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    assert loose == ["test_architecture.py"]
