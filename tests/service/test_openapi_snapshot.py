"""The HTTP contract is pinned: any change to the OpenAPI document is a reviewed change.

Regenerate after an intended change with ``MAILLAGE_UPDATE_SNAPSHOTS=1 scripts/test -k openapi``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from service.app import create_app
from service.settings import Settings

SNAPSHOT = Path(__file__).with_name("openapi.json")


def test_openapi_document_matches_the_snapshot() -> None:
    spec = create_app(Settings(env="test", database_url="postgresql+psycopg://unused/x")).openapi()
    spec["info"]["version"] = "<version>"
    rendered = json.dumps(spec, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("MAILLAGE_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert SNAPSHOT.exists(), "instantané absent : lancez avec MAILLAGE_UPDATE_SNAPSHOTS=1"
    assert json.loads(rendered) == json.loads(SNAPSHOT.read_text(encoding="utf-8")), (
        "le document OpenAPI a changé : relisez puis régénérez avec MAILLAGE_UPDATE_SNAPSHOTS=1"
    )
