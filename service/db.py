"""Engine, sessions and the declarative base with an Alembic-friendly naming convention."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import MetaData, Select, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    connect_timeout_s: int | None = None,
    pool_timeout_s: float = 30.0,
) -> Engine:
    """An engine for a PostGIS database; ``pool_pre_ping`` survives database restarts.

    ``connect_timeout_s`` bounds a connection attempt (libpq ``connect_timeout``, seconds;
    ``None``: libpq's default, no limit) and ``pool_timeout_s`` the wait for a free pooled
    connection: the API sets both short, so that a request to an unreachable database fails
    fast (503) instead of hanging. ``hide_parameters``: a statement's bound values (a
    person's coordinates, a name) never appear in an exception's text, hence in no log.
    """
    connect_args = {} if connect_timeout_s is None else {"connect_timeout": connect_timeout_s}
    return create_engine(
        url,
        pool_size=pool_size,
        pool_pre_ping=True,
        pool_timeout=pool_timeout_s,
        connect_args=connect_args,
        hide_parameters=True,
        future=True,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def database_answers(session: Session) -> bool:
    """Whether the database answers a trivial PostGIS statement now."""
    try:
        session.execute(text("SELECT postgis_lib_version()")).scalar()
    except SQLAlchemyError:
        return False
    return True


AnySelect: TypeAlias = Select[*tuple[Any, ...]]
"""A ``Select`` of any columns, what a ``queries.py`` returns when the row shape varies."""
