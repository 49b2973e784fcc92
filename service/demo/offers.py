"""The demo's opportunities: who publishes which set of ``offers.csv`` or ``activities.csv``.

The personas of domain.md §9 each find material: CDDI in chantiers and EI (the first ACI and EI
of Alès always offer cleaning, resp. retail — Amina's wishes), missions of AI and ETTI, ESAT
and EA work on CDAPH orientation or RQTH, immersions (PMSMP), alternance in GEIQ, French courses
and a welding POEI in the first training centres of Nîmes and Alès, mobility workshops, and
volunteering open without a work authorisation. Hours are per week, durations in weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.demo import catalogue
from service.demo.state import ALES, BAGNOLS, BEAUCAIRE, FICTION, NIMES, BuildState, Partner

# Shares of partners that publish an optional set.
_ASYLUM_VOLUNTEERING_SHARE = 0.6
_SOCIAL_GROCERY_SHARE = 0.7
_RECYCLING_VOLUNTEERING_SHARE = 0.4
_AMINA_WISHES = ("K2204", "D1106")  # cleaning, food retail: ROME codes


def publish(state: BuildState, partner: Partner, template: catalogue.OfferTemplate) -> None:
    """One opportunity of ``offers.csv``: places drawn in their range, then the duration."""
    places = None
    if template.places is not None:
        low, high = template.places
        places = low if low == high else state.rng.randint(low, high)
    weeks = None
    if template.weeks:
        weeks = template.weeks[0] if len(template.weeks) == 1 else state.rng.choice(template.weeks)
    state.offer(
        partner,
        template.title,
        template.opportunity_kind,
        contract=template.contract,
        rome=template.rome,
        hours=template.hours,
        schedule=template.schedule,
        places=places,
        requirements=template.requirements,
        description=template.description,
        weeks=weeks,
    )


def publish_set(state: BuildState, partner: Partner, name: str) -> None:
    """Every opportunity of the set ``name`` of ``offers.csv``, in file order."""
    for template in catalogue.offers(name):
        publish(state, partner, template)


def offer_immersion(state: BuildState, partner: Partner, job: str, rome: str) -> None:
    """A two-week PMSMP to discover ``job`` (ROME code ``rome``)."""
    state.offer(
        partner,
        f"Immersion (PMSMP) : découvrir le métier – {job.lower()}",
        "immersion",
        contract="pmsmp",
        rome=rome,
        hours=(20, 35),
        places=state.rng.randint(1, 3),
        requirements={"requires_work_authorization": True},
        description="Période de mise en situation en milieu professionnel, sur prescription.",
        weeks=2,
    )


def offer_hebergement(state: BuildState) -> None:
    """Volunteering in day centres and asylum housing, solidarity activities in OACAS."""
    for partner in state.of_kind("accueil-de-jour"):
        publish_set(state, partner, "accueil-de-jour")
    for partner in state.of_kind("oacas"):
        publish_set(state, partner, "oacas")
    for partner in state.of_kind("cada", "huda"):
        if state.rng.random() < _ASYLUM_VOLUNTEERING_SHARE:
            publish_set(state, partner, "cada-huda")


def offer_public_employment(state: BuildState) -> None:
    """CEJ in Missions locales, the PLIE's support, volunteering in CCAS groceries."""
    for partner in state.of_kind("mission-locale"):
        publish_set(state, partner, "mission-locale")
    for partner in state.of_kind("plie"):
        publish_set(state, partner, "plie")
    for partner in state.of_kind("ccas-cias"):
        if state.rng.random() < _SOCIAL_GROCERY_SHARE:
            publish_set(state, partner, "ccas-cias")


def offer_inclusive_employers(state: BuildState) -> None:
    """SIAE, GEIQ, sheltered and adapted work, the EBE."""
    _offer_chantier_jobs(state)
    _offer_missions(state)
    _offer_geiq(state)
    _offer_sheltered_work(state)


def offer_training_and_language(state: BuildState) -> None:
    """Courses of training centres, language platforms, E2C, EPIDE and Afpa."""
    centres = state.of_kind("organisme-formation")
    pinned = [state.in_commune(code, "organisme-formation")[0] for code in (NIMES, ALES)]
    courses = catalogue.offers("organisme-formation")
    for partner in centres:
        # The first centres of Nîmes and Alès always teach French and run the welding POEI.
        is_pinned = any(partner is centre for centre in pinned)
        chosen = courses[:3] if is_pinned else state.rng.sample(courses, 3)
        for template in chosen:
            publish(state, partner, template)
    for kind in ("plateforme-linguistique", "ecoles-de-la-deuxieme-chance", "epide", "afpa"):
        for partner in state.of_kind(kind):
            publish_set(state, partner, kind)


def offer_mobility(state: BuildState) -> None:
    """Driving lessons, « savoir bouger » workshops, volunteering in a solidarity garage."""
    for partner in state.of_kind("auto-ecole-sociale"):
        publish_set(state, partner, "auto-ecole-sociale")
    for partner in state.of_kind("plateforme-mobilite", "wimoov"):
        publish_set(state, partner, "plateforme-mobilite")
    for partner in state.of_kind("garage-solidaire"):
        publish_set(state, partner, "garage-solidaire")


def offer_digital_workshops(state: BuildState) -> None:
    for partner in state.of_kind("conseillers-numeriques"):
        publish_set(state, partner, "conseillers-numeriques")


def siae_requirements(state: BuildState) -> dict[str, Any]:
    """Work authorisation always; a few SIAE ask for French A1, rarely a licence."""
    return {
        "requires_work_authorization": True,
        "min_french_level": "A1" if state.rng.random() < 0.15 else None,
        "requires_driving_licence": True if state.rng.random() < 0.08 else None,
    }


def _offer_chantier_jobs(state: BuildState) -> None:
    """CDDI on activity supports and immersions in ACI and EI; PHC and Convergence."""
    supports = catalogue.activities("aci")
    for partner in state.of_kind("aci"):
        _offer_cddi(state, partner, supports, count=state.rng.randint(2, 4))
        offer_immersion(state, partner, supports[0].title, supports[0].rome)
        if state.rng.random() < _RECYCLING_VOLUNTEERING_SHARE:
            publish_set(state, partner, "aci")
    # PHC and Convergence as programme opportunities of the chantier itself (no separate node).
    for partner in state.in_commune(BAGNOLS, "aci") + state.in_commune(BEAUCAIRE, "aci"):
        publish_set(state, partner, "phc")
    for partner in state.in_commune(ALES, "aci")[:1]:
        publish_set(state, partner, "cvg")
    supports = catalogue.activities("ei")
    for partner in state.of_kind("ei"):
        _offer_cddi(state, partner, supports, count=state.rng.randint(2, 4))
        support = state.rng.choice(supports)
        offer_immersion(state, partner, support.title, support.rome)


def _offer_cddi(
    state: BuildState, partner: Partner, supports: Sequence[catalogue.Activity], *, count: int
) -> None:
    """``count`` CDDI on activity supports drawn at random.

    The first ACI and EI of Alès always offer cleaning, resp. retail (Amina's wishes).
    """
    drawn = state.rng.sample(list(supports), count)
    if partner is state.in_commune(ALES, partner.kind)[0]:
        wished = next(s for s in supports if s.rome in _AMINA_WISHES)
        drawn = [wished, *(s for s in drawn if s != wished)]
    for support in drawn:
        state.offer(
            partner,
            f"{support.title} en CDDI",
            "emploi",
            contract="cddi",
            rome=support.rome,
            hours=state.rng.choice(((20, 26), (20, 24), (24, 26))),
            schedule=support.schedule,
            requirements=siae_requirements(state),
            description="Contrat à durée déterminée d'insertion, accompagnement par une CIP.",
            weeks=state.rng.choice((17, 26, 52)),
        )


def _offer_missions(state: BuildState) -> None:
    """Mises à disposition (AI), temp missions (ETTI, EATT), independent work (EITI)."""
    for partner in state.of_kind("ai"):
        for mission in state.rng.sample(catalogue.activities("ai"), 3):
            state.offer(
                partner,
                f"{mission.title} (mise à disposition)",
                "emploi",
                contract="mise-a-disposition",
                rome=mission.rome,
                hours=(4, 20),
                schedule=mission.schedule,
                requirements=siae_requirements(state),
                description="Quelques heures pour commencer, au rythme de la personne.",
            )
    for partner in state.of_kind("etti", "eatt"):
        rqth = partner.kind == "eatt"
        for mission in state.rng.sample(catalogue.activities("interim"), 5):
            state.offer(
                partner,
                f"{mission.title} (mission d'intérim)",
                "emploi",
                contract="interim",
                rome=mission.rome,
                hours=(20, 35),
                schedule=mission.schedule,
                requirements={
                    "requires_work_authorization": True,
                    "requires_rqth": True if rqth else None,
                    "min_french_level": mission.min_french_level,
                    "requires_driving_licence": (
                        True if state.rng.random() < mission.driving_licence_share else None
                    ),
                },
                weeks=state.rng.choice((2, 4, 8)),
            )
    for partner in state.of_kind("eiti"):
        publish_set(state, partner, "eiti")


def _offer_geiq(state: BuildState) -> None:
    """Alternance in each GEIQ, on the jobs of its list in ``activities.csv``."""
    for partner in state.of_kind("geiq"):
        for job in catalogue.activities(partner.name.removesuffix(" (fictif)")):
            state.offer(
                partner,
                f"{job.title} en alternance",
                "emploi",
                contract="alternance",
                rome=job.rome,
                hours=(35, 35),
                schedule=job.schedule,
                requirements={
                    "requires_work_authorization": True,
                    "min_french_level": state.rng.choice(("A2", "B1")),
                },
                weeks=52,
            )


def _offer_sheltered_work(state: BuildState) -> None:
    """ESAT activities (CDAPH orientation), EA jobs (RQTH), the EBE's CDI au temps choisi."""
    for partner in state.of_kind("esat"):
        workshops = state.rng.sample(catalogue.activities("esat"), 3)
        # the ESAT's record says its workshops: an orientation admits to the establishment,
        # and the matcher looks for the wished activities there
        named = ", ".join(activity.title.lower() for activity in workshops)
        partner.properties["description"] = partner.properties["description"].replace(
            FICTION, f"Ateliers : {named}. {FICTION}"
        )
        for activity in workshops:
            state.offer(
                partner,
                f"Travailleur·se d'ESAT : {activity.title.lower()}",
                "emploi",
                contract="esat",
                rome=activity.rome,
                hours=(24, 35),
                schedule=activity.schedule,
                places=state.rng.choice((0, 1, 2)),
                requirements={
                    "requires_cdaph_orientation": True,
                    "requires_work_authorization": True,
                },
            )
    for partner in state.of_kind("ea"):
        for job in state.rng.sample(catalogue.activities("ea"), 3):
            state.offer(
                partner,
                job.title,
                "emploi",
                contract=state.rng.choice(("cdi", "cdd-tremplin", "cdd")),
                rome=job.rome,
                hours=(24, 35),
                schedule=job.schedule,
                requirements={"requires_rqth": True, "requires_work_authorization": True},
            )
    for partner in state.of_kind("etcld"):
        publish_set(state, partner, "etcld")
