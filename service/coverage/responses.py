"""The bodies of the coverage answers (metadata, gaps, isolated structures, siting), in French.

Units: minutes; accessibility in places per 1,000 persons of demand; EPSG:4326 lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, Field

from graph.coverage import (
    GapKind,
    IsolatedStructure,
    e2sfca_sentence,
    shown_minutes,
)
from service.coverage.compute import CoverageResult
from service.coverage.parameters import (
    ACCESSIBILITY_UNIT,
    PER_THOUSAND,
    FloatArray,
)
from service.coverage.siting import SitingResult
from service.store.snapshot import StoreSnapshot

# --- responses -------------------------------------------------------------------------------


class CoverageMetadata(BaseModel):
    """De quoi parle un calcul de couverture, et quelle confiance lui accorder."""

    category: str
    category_label: str = Field(description="nom français des sites de la catégorie")
    mode: str
    max_minutes: float
    zones: str
    zone_count: int
    demand: str
    demand_label: str
    sites: int = Field(description="sites ouverts de la catégorie")
    sites_with_capacity: int = Field(description="sites dont la capacité est publiée")
    demand_total: float
    demand_covered: float = Field(description="demande des zones qui atteignent un site")
    share_covered: float | None = Field(description="part de la demande couverte, 0 à 1")
    median_e2sfca: float | None = Field(
        description="accessibilité E2SFCA de la personne médiane (places pour 1 000)"
    )
    accessibility_unit: str = ACCESSIBILITY_UNIT
    e2sfca_bands: list[tuple[float, float]] = Field(
        description="(borne en minutes, poids) : les bandes de Luo et Qi (2009) ajustées au "
        "budget (tiers du budget), si bien qu'un site au-delà du budget ne compte pas"
    )
    e2sfca_explanation: str = Field(description="ce que mesure l'E2SFCA, en une phrase")
    median_fraction: float
    search_minutes: float = Field(
        description="horizon de recherche du site le plus proche, en minutes"
    )
    gap_count: int
    estimated: bool = Field(description="au moins un temps est une estimation")
    estimated_share: float = Field(
        description="part des trajets (zone, site) dans l'horizon dont le temps est estimé"
    )
    assumptions: str | None = Field(
        None,
        description="ce que supposent les temps estimés (vitesses, détours, arrêts, attentes) "
        "et la date des horaires utilisée quand elle sort de leur période de validité",
    )
    networks: list[str] = Field(description="réseaux de déplacement utilisés")
    bbox: list[float] | None
    revision: int = Field(description="révision de la base à laquelle le calcul a été fait")


class GapItem(BaseModel):
    rank: int
    zone_id: str
    zone_name: str
    kind: GapKind
    severity: float = Field(description="0 à 1 : aucun site atteignable ≥ 0,5 ; offre faible ≤ 0,5")
    people_affected: float = Field(description="demande de la zone")
    nearest_site_id: str | None
    nearest_site_name: str | None
    nearest_minutes: float | None
    e2sfca: float = Field(description="accessibilité de la zone, places pour 1 000")
    threshold: float = Field(description="seuil d'offre faible, places pour 1 000")
    lon: float
    lat: float
    message: str


class IsolatedItem(BaseModel):
    id: str
    name: str
    kind: str
    lon: float
    lat: float
    nearest_id: str | None
    nearest_name: str | None
    nearest_minutes: float | None
    message: str


class GapsResponse(BaseModel):
    items: list[GapItem]
    total: int = Field(description="nombre de manques avant la limite")
    isolated_ahi: list[IsolatedItem] = Field(
        description="structures d'hébergement isolées de l'emploi : sans relation avec une SIAE "
        "ou un employeur, et sans aucun à portée (voir isolated_definition)"
    )
    isolated_definition: str = Field(description="ce que veut dire « isolée de l'emploi »")
    ahi_without_link: int = Field(
        description="structures d'hébergement sans lien avec l'emploi, à portée ou non (celles "
        "que liste /v1/network/isolated) ; isolated_ahi en est une partie"
    )
    without_link_definition: str = Field(description="ce que veut dire « sans lien avec l'emploi »")
    metadata: CoverageMetadata


class DemandItem(BaseModel):
    """Une demande que ``demand=`` peut nommer, chargée ou non."""

    name: str = Field(description="la valeur de demand=")
    label: str = Field(description="qui elle compte, en français")
    unit: str | None
    available: bool = Field(description="chargée dans la base : utilisable tout de suite")
    reason: str | None = Field(description="pourquoi elle ne l'est pas, et comment la charger")
    source: str | None = Field(description="le fichier importé, pour une couche")


class DemandsResponse(BaseModel):
    items: list[DemandItem]


class SitedZone(BaseModel):
    id: str
    name: str
    demand: float


class SitedSite(BaseModel):
    rank: int
    candidate: int = Field(description="indice du candidat (ordre des candidats)")
    label: str
    code_insee: str | None
    lon: float
    lat: float
    newly_covered: float = Field(description="demande nouvellement couverte par ce site")
    zones: list[SitedZone]


class SitingTotals(BaseModel):
    demand_total: float
    covered_before: float
    newly_covered: float
    covered_after: float
    uncovered_after: float
    unreachable: float = Field(description="demande qu'aucun candidat n'atteint dans le budget")
    share_before: float | None
    share_after: float | None


class SitingResponse(BaseModel):
    sites: list[SitedSite]
    totals: SitingTotals
    optimal: bool = Field(description="optimum prouvé (programme linéaire en nombres entiers)")
    bound: float = Field(description="borne supérieure de la demande nouvellement couvrable")
    candidates: str
    candidate_count: int
    k: int
    metadata: CoverageMetadata


def metadata(result: CoverageResult) -> CoverageMetadata:
    ind = result.indicators
    median = _median(ind.e2sfca.access, ind.demand)
    return CoverageMetadata(
        category=result.category.code,
        category_label=result.category.plural,
        mode=result.spec.mode,
        max_minutes=result.spec.max_minutes,
        zones=result.zones.kind,
        zone_count=len(result.zones),
        demand=result.demand.name,
        demand_label=result.demand.label,
        sites=len(result.supply),
        sites_with_capacity=int(result.supply.capacity_known.sum()),
        demand_total=rounded(ind.share.demand_total, 2),
        demand_covered=rounded(ind.share.demand_within, 2),
        share_covered=None if ind.share.share is None else rounded(ind.share.share, 4),
        median_e2sfca=None if median is None else rounded(PER_THOUSAND * median, 4),
        e2sfca_bands=list(result.spec.bands),
        e2sfca_explanation=e2sfca_sentence(result.spec.bands, per=result.demand.people.plural),
        median_fraction=result.spec.median_fraction,
        search_minutes=result.spec.search_minutes,
        gap_count=len(result.gaps),
        estimated=result.reach.estimated,
        estimated_share=rounded(result.reach.estimated_share, 4),
        assumptions=" ".join(
            part for part in (*result.reach.notices, result.reach.assumptions) if part
        )
        or None,
        networks=list(result.reach.networks),
        bbox=list(result.spec.bbox) if result.spec.bbox else None,
        revision=result.revision,
    )


def _median(values: FloatArray, weights: FloatArray) -> float | None:
    from graph.coverage import weighted_median

    median = weighted_median(values, weights)
    return None if math.isnan(median) else median


def gap_items(result: CoverageResult, kind: str | None, limit: int) -> tuple[list[GapItem], int]:
    """The ranked gaps (of one kind when given), the first ``limit``, and how many there are."""
    gaps = [g for g in result.gaps if kind is None or g.kind == kind]
    index = {zone: i for i, zone in enumerate(result.zones.ids)}
    items = []
    for rank, gap in enumerate(gaps[:limit], start=1):
        lon, lat = result.zones.points[index[gap.zone_id]].tolist()
        items.append(
            GapItem(
                rank=rank,
                zone_id=gap.zone_id,
                zone_name=gap.zone_name,
                kind=gap.kind,
                severity=rounded(gap.severity, 4),
                people_affected=rounded(gap.population, 2),
                nearest_site_id=gap.nearest_site_id,
                nearest_site_name=gap.nearest_site_name,
                nearest_minutes=minutes_or_none(gap.nearest_minutes),
                e2sfca=rounded(PER_THOUSAND * gap.accessibility, 4),
                threshold=rounded(PER_THOUSAND * gap.threshold, 4),
                lon=lon,
                lat=lat,
                message=gap.message,
            )
        )
    return items, len(gaps)


def isolated_items(
    found: Sequence[IsolatedStructure], territory: StoreSnapshot
) -> list[IsolatedItem]:
    sites = territory.site_by_id
    return [
        IsolatedItem(
            id=s.id,
            name=s.name,
            kind=s.kind,
            lon=sites[s.id].lon,
            lat=sites[s.id].lat,
            nearest_id=s.nearest_id,
            nearest_name=s.nearest_name,
            nearest_minutes=minutes_or_none(s.nearest_minutes),
            message=s.message,
        )
        for s in found
    ]


def siting_response(result: SitingResult) -> SitingResponse:
    base, siting, candidates = result.base, result.siting, result.candidates
    zones, demand = base.zones, base.indicators.demand
    sites = [
        SitedSite(
            rank=rank,
            candidate=chosen.candidate,
            label=candidates.labels[chosen.candidate],
            code_insee=candidates.codes[chosen.candidate],
            lon=float(candidates.lonlat[chosen.candidate, 0]),
            lat=float(candidates.lonlat[chosen.candidate, 1]),
            newly_covered=rounded(chosen.newly_covered, 2),
            zones=[
                SitedZone(id=zones.ids[z], name=zones.names[z], demand=rounded(demand[z], 2))
                for z in chosen.zones.tolist()
            ],
        )
        for rank, chosen in enumerate(siting.sites, start=1)
    ]
    total = siting.total_demand
    after = siting.covered_before + siting.newly_covered
    return SitingResponse(
        sites=sites,
        totals=SitingTotals(
            demand_total=rounded(total, 2),
            covered_before=rounded(siting.covered_before, 2),
            newly_covered=rounded(siting.newly_covered, 2),
            covered_after=rounded(after, 2),
            uncovered_after=rounded(siting.uncovered_after, 2),
            unreachable=rounded(siting.unreachable, 2),
            share_before=rounded(siting.covered_before / total, 4) if total > 0 else None,
            share_after=rounded(after / total, 4) if total > 0 else None,
        ),
        optimal=siting.optimal,
        bound=rounded(siting.bound, 2),
        candidates=candidates.kind,
        candidate_count=len(candidates.labels),
        k=result.k,
        metadata=metadata(base),
    )


def rounded(value: float, digits: int) -> float:
    return round(float(value), digits)


def minutes_or_none(value: float | None) -> float | None:
    """Minutes as the sentences say them (`graph.coverage.shown_minutes`: up to the tenth);
    ``None`` for none or beyond the search horizon."""
    if value is None or not math.isfinite(value):
        return None
    return shown_minutes(float(value))
