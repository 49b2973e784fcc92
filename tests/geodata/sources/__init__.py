"""Tests of the open-data readers (``geodata.sources``) and of cross-source deduplication.

Fixtures written for these tests live in ``fixtures/``; the real files are read where they lie,
in ``../shared/data`` beside the repository (never copied). Tests that need them skip, with the
reason, only when ``../shared`` is absent (a user's clone); CI always has it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

FIXTURES: Final = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA: Final = Path(__file__).resolve().parents[4] / "shared" / "data"

# Commune centroids (EPSG:4326 lon, lat) of the communes the fixtures use, so that fixture tests
# run without ../shared. Values: centroids of the 2026 Gard polygons (rounded), Ajaccio, Bastia.
CENTROIDS: Final = {
    "30007": (4.0886, 44.1252),  # Alès
    "30189": (4.3476, 43.8446),  # Nîmes
    "30028": (4.6230, 44.1640),  # Bagnols-sur-Cèze
    "30032": (4.6440, 43.8070),  # Beaucaire
    "2A004": (8.7369, 41.9192),  # Ajaccio
    "2B033": (9.4300, 42.6900),  # Bastia
}


def shared(relative: str) -> Path:
    """A file of ``../shared/data``; skips the test, saying why, when ``../shared`` is absent."""
    if not SHARED_DATA.parent.is_dir():
        pytest.skip(f"../shared absent ({SHARED_DATA.parent}) : données réelles indisponibles")
    path = SHARED_DATA / relative
    assert path.is_file(), f"{path} manque dans ../shared/data"
    return path
