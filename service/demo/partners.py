"""Where the demo's partners go: the rows of ``placements.csv`` step by step, and two rules.

Partners cluster around the town halls of populated communes, densest in Nîmes and Alès. Two
kinds follow a population rule instead of a table: a CCAS in every commune of 5,000 inhabitants
or more, ordinary crèches only in communes of 3,500 or more (one, plus one per 35,000
inhabitants, at most five), so that rural gaps stay visible. A few AHI structures are placed
``isolated``: no SIAE or employer will be related to them — the seed's central finding.
"""

from __future__ import annotations

from service.demo import catalogue
from service.demo.state import BuildState

_INVENTED_NAME = "{nom}"
_COMMUNE_NAME = "{commune}"
_CCAS_MIN_POPULATION = 5_000
_CRECHE_MIN_POPULATION = 3_500
_CRECHE_INHABITANTS_PER_EXTRA = 35_000
_CRECHES_MAX_PER_COMMUNE = 5


def place(state: BuildState, step: str) -> None:
    """Create the partners of one ``step`` of ``placements.csv``, row by row, in file order."""
    for placement in catalogue.placements(step):
        if placement.optional and placement.code_insee not in state.communes:
            continue
        for _ in range(placement.count):
            state.add(
                placement.kind,
                placement.code_insee,
                name=_name(state, placement),
                hours=_opening_hours(state, placement),
                capacity=placement.capacity,
                available=placement.available_places,
                description=_description(placement),
                isolated=placement.isolated,
            )


def add_hebergement(state: BuildState) -> None:
    place(state, "hebergement")


def add_public_employment(state: BuildState) -> None:
    place(state, "insertion-professionnelle")
    for commune in state.communes_by_population(minimum=_CCAS_MIN_POPULATION):
        state.add("ccas-cias", commune.code_insee)
    place(state, "plateforme-emploi")


def add_inclusive_employers(state: BuildState) -> None:
    place(state, "employeurs-inclusifs")


def add_training_and_language(state: BuildState) -> None:
    place(state, "formation-et-langue")


def add_mobility(state: BuildState) -> None:
    place(state, "mobilite")


def add_childcare(state: BuildState) -> None:
    """Crèches AVIP from the table, ordinary crèches by population, then micro-crèches."""
    place(state, "creches-avip")
    for commune in state.communes_by_population(minimum=_CRECHE_MIN_POPULATION):
        extra = commune.population // _CRECHE_INHABITANTS_PER_EXTRA
        for _ in range(min(_CRECHES_MAX_PER_COMMUNE, 1 + extra)):
            state.add("creche", commune.code_insee)
    place(state, "micro-creches")


def add_health_and_rights(state: BuildState) -> None:
    place(state, "sante-et-droits")


def add_institutions_and_networks(state: BuildState) -> None:
    place(state, "institutions-et-reseaux")


def _name(state: BuildState, placement: catalogue.Placement) -> str | None:
    """The row's name with ``{commune}`` and ``{nom}`` (drawn now) filled in; None: invented."""
    if placement.name is None:
        return None
    name = placement.name.replace(_COMMUNE_NAME, state.commune(placement.code_insee).name)
    if _INVENTED_NAME in name:
        name = name.replace(_INVENTED_NAME, state.rng.choice(catalogue.names("place_names")))
    return name


def _opening_hours(state: BuildState, placement: catalogue.Placement) -> str | None:
    """One of the row's opening hours (drawn when there are several); None: the profile's."""
    if not placement.opening_hours:
        return None
    if len(placement.opening_hours) == 1:
        return placement.opening_hours[0]
    return state.rng.choice(placement.opening_hours)


def _description(placement: catalogue.Placement) -> str | None:
    if placement.description_extra is None:
        return None
    profile = catalogue.profiles()[placement.kind]
    return f"{profile.description} {placement.description_extra}"
