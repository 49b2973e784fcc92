"""The app on the Gard demo database, shared by the matching tests of this folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.settings import Settings


@pytest.fixture(scope="module")
def demo_app(demo_url: str) -> Iterator[tuple[TestClient, dict[str, str], Session]]:
    """The app on the demo database (lifespan run: real startup), and keys per role."""
    application = create_app(Settings(env="test", database_url=demo_url))
    engine = make_engine(demo_url)
    with Session(engine) as session:
        keys = {}
        for role in ("platform", "viewer", "admin"):
            keys[role], _ = create_api_key(session, role=role, name=f"test-{uuid.uuid4().hex}")
        session.commit()
        with TestClient(application) as client:
            yield client, keys, session
    engine.dispose()
