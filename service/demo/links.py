"""Relations of the demo network (domain.md §6), drawn between partners already placed.

A TESA-like platform in Alès with its members; FAS, COORACE and Mob'In networks; the SIAO
orienting to shelters and shelters to SIAE, mobility and language support nearby; prescriptions
by the public employment service; conventions; employers recruiting through ETTI, AI and GEIQ,
each with at most one referent structure; funding by the DDETS and the département; the first
employers of Alès and Nîmes solicited at once by the employment agency, the local mission and a
CHRS nearby (the seed's « one interlocutor per employer » case). Distances
are great-circle metres between partners (`service.demo.state.distance_m`); isolated AHI
structures are never linked to a SIAE or an employer.
"""

from __future__ import annotations

from typing import Final

from graph.vocabulary import SIAE_KINDS
from service.demo import catalogue
from service.demo.state import ALES, FICTION, NIMES, BuildState, Partner, distance_m

AHI_KINDS: Final = ("chrs", "chu", "cph", "cada", "huda", "pension-de-famille", "accueil-de-jour")
_SIAE: Final = tuple(sorted(SIAE_KINDS))
_PLATFORM_REFERENT_WITHIN_M = 12_000.0


def link_partners(state: BuildState) -> None:
    """Every relation of the demo, family of links by family of links."""
    _link_tapaj_carriers(state)
    _link_platform(state)
    _link_networks(state)
    _link_orientations(state)
    _link_prescriptions(state)
    _link_conventions(state)
    _link_employers(state)
    _link_funding(state)
    _link_solicited_employers(state)  # last, and without drawing: the draws above unchanged


def _link_tapaj_carriers(state: BuildState) -> None:
    """TAPAJ is carried by a CAARUD (Nîmes) or a CSAPA (elsewhere), with an AI as employer."""
    for tapaj in state.of_kind("tapaj"):
        code = tapaj.commune.code_insee
        carrier = state.in_commune(code, "caarud" if code == NIMES else "csapa")[0]
        employer = state.nearest(tapaj, "ai", within_m=30_000)[0]
        state.relate(carrier, tapaj, "convention", "Porte le dispositif TAPAJ")
        state.relate(tapaj, employer, "convention", "Mise à disposition des jeunes par l'AI")
        tapaj.properties["description"] = (
            f"{catalogue.profiles()['tapaj'].description} Porté par {carrier.name}, les jeunes "
            f"étant salariés de {employer.name}. {FICTION}"
        )


def _link_platform(state: BuildState) -> None:
    """The TESA-like platform of Alès and its members (CHRS, CPH, chantiers, Mission locale)."""
    platform = state.of_kind("plateforme-emploi")[0]
    members = (
        state.in_commune(ALES, "chrs")
        + state.in_commune(ALES, "cph")
        + state.in_commune(ALES, "chu")[:1]
        + state.in_commune(ALES, "aci")
        + state.in_commune(ALES, "ei")[:1]
        + state.in_commune(ALES, "ai")
        + state.in_commune(ALES, "mission-locale")
    )
    for member in members:
        state.relate(member, platform, "membre", "Participe au comité emploi mensuel")
    for agency in state.in_commune(ALES, "france-travail"):
        state.relate(agency, platform, "oriente-vers", "Offres d'emploi partagées chaque mois")


def _link_networks(state: BuildState) -> None:
    fas = state.of_kind("federation-des-acteurs-de-la-solidarite")[0]
    for partner in state.of_kind(*AHI_KINDS, "oacas", "siao"):
        if partner.kind in ("cada", "huda") or state.rng.random() < 0.85:
            state.relate(partner, fas, "membre")
    for partner in state.of_kind("aci", "ei"):
        if state.rng.random() < 0.3:
            state.relate(partner, fas, "membre")
    coorace = state.of_kind("coorace")[0]
    for partner in state.of_kind("ai", "etti", "ei"):
        state.relate(partner, coorace, "membre")
    mobin = state.of_kind("mobin")[0]
    for partner in state.of_kind("plateforme-mobilite", "auto-ecole-sociale", "garage-solidaire"):
        state.relate(partner, mobin, "membre")


def _link_orientations(state: BuildState) -> None:
    """The SIAO orients to shelters; shelters orient to SIAE and mobility support nearby."""
    siao = state.of_kind("siao")[0]
    for partner in state.of_kind("chrs", "chu", "pension-de-famille", "residences-fjt"):
        state.relate(siao, partner, "oriente-vers", "Orientation par le SIAO")
    for partner in state.of_kind("chrs", "chu", "cph"):
        if partner.isolated:
            continue
        for siae in state.nearest(partner, "aci", "ei", limit=2, within_m=20_000):
            state.relate(partner, siae, "oriente-vers", "Orientation des personnes hébergées")
        for ai in state.nearest(partner, "ai", "etti", within_m=20_000):
            state.relate(partner, ai, "oriente-vers")
        for mobility in state.nearest(partner, "plateforme-mobilite", "wimoov", within_m=20_000):
            state.relate(partner, mobility, "oriente-vers", "Diagnostic mobilité")
    _link_other_shelters(state)
    _link_support_orientations(state)


def _link_other_shelters(state: BuildState) -> None:
    """Pensions de famille, day centres, asylum housing and FJT linked to work nearby."""
    for partner in state.of_kind("pension-de-famille", "accueil-de-jour"):
        if partner.isolated:
            continue
        for target in state.nearest(partner, "ai", "aci", within_m=20_000):
            state.relate(partner, target, "oriente-vers", "Reprise d'activité progressive")
        for target in state.nearest(partner, "phc", "tapaj", within_m=20_000):
            state.relate(partner, target, "oriente-vers", "Premières heures, TAPAJ")
    for partner in state.of_kind("cada", "huda"):
        if not partner.isolated:
            for aci in state.nearest(partner, "aci", within_m=20_000):
                state.relate(
                    partner,
                    aci,
                    "oriente-vers",
                    "Bénévolat, puis parcours IAE dès l'autorisation de travail obtenue",
                )
    for partner in state.of_kind("residences-fjt"):
        for target in state.nearest(partner, "geiq", "etti", "ai", within_m=30_000):
            state.relate(partner, target, "convention", "Logement des alternant·es et intérimaires")


def _link_support_orientations(state: BuildState) -> None:
    """Language, harm reduction, disability, youth and justice services orienting people."""
    for partner in state.of_kind("cph", "cada", "huda"):
        for platform in state.nearest(partner, "plateforme-linguistique", within_m=60_000):
            state.relate(partner, platform, "oriente-vers", "Évaluation du niveau de français")
        for oacas in state.nearest(partner, "oacas", within_m=40_000):
            state.relate(partner, oacas, "oriente-vers")
    for platform in state.of_kind("plateforme-linguistique"):
        for centre in state.nearest(platform, "organisme-formation", limit=2):
            state.relate(platform, centre, "oriente-vers", "Cours de FLE")
    for day_centre in state.of_kind("accueil-de-jour"):
        for target in state.nearest(day_centre, "chu", "csapa", "caarud", limit=2):
            state.relate(day_centre, target, "oriente-vers")
    for carrier in state.of_kind("caarud", "csapa"):
        for tapaj in state.nearest(carrier, "tapaj", within_m=5_000):
            state.relate(carrier, tapaj, "oriente-vers", "Jeunes accompagnés en addictologie")
    _link_care_orientations(state)


def _link_care_orientations(state: BuildState) -> None:
    """Disability (MDPH), youth (Mission locale) and justice (SPIP) orientations."""
    mdph = state.of_kind("mdph")[0]
    for target in state.of_kind("esat", "ea", "cap-emploi-reseau-cheops"):
        state.relate(mdph, target, "oriente-vers", "Orientation CDAPH")
    for local_mission in state.of_kind("mission-locale"):
        for target in state.nearest(
            local_mission,
            "ecoles-de-la-deuxieme-chance",
            "epide",
            "tapaj",
            limit=2,
            within_m=40_000,
        ):
            state.relate(local_mission, target, "oriente-vers")
        for school in state.nearest(local_mission, "auto-ecole-sociale", within_m=40_000):
            state.relate(local_mission, school, "oriente-vers")
    for spip in state.of_kind("spip"):
        for aci in state.nearest(spip, "aci", limit=2):
            state.relate(spip, aci, "oriente-vers", "Placements extérieurs et sorties de détention")


def _link_prescriptions(state: BuildState) -> None:
    for agency in state.of_kind("france-travail"):
        for siae in state.nearest(agency, *_SIAE, limit=4, within_m=30_000):
            state.relate(agency, siae, "prescrit", "Parcours IAE et PMSMP")
    for local_mission in state.of_kind("mission-locale"):
        for siae in state.nearest(local_mission, *_SIAE, limit=2, within_m=30_000):
            state.relate(local_mission, siae, "prescrit")
    for cap_emploi in state.of_kind("cap-emploi-reseau-cheops"):
        for target in state.nearest(cap_emploi, "ea", "eatt", limit=2, within_m=40_000):
            state.relate(cap_emploi, target, "prescrit")
    for plie in state.of_kind("plie"):
        for siae in state.nearest(plie, "aci", "ei", limit=2):
            state.relate(plie, siae, "prescrit")
    for department in state.of_kind("departements"):
        for aci in state.nearest(department, "aci", limit=1, within_m=30_000):
            state.relate(department, aci, "prescrit", "Allocataires du RSA")


def _link_conventions(state: BuildState) -> None:
    for chrs in state.in_commune(ALES, "chrs")[:1] + state.in_commune(NIMES, "chrs")[:1]:
        for esat in state.nearest(chrs, "esat", within_m=30_000):
            state.relate(chrs, esat, "convention", "Stages et accueil de personnes orientées ESAT")
        for creche in state.nearest(chrs, "creches-avip", within_m=10_000):
            state.relate(chrs, creche, "convention", "Places réservées aux parents hébergés")
    for cph in state.of_kind("cph"):
        for platform in state.nearest(cph, "plateforme-linguistique", within_m=60_000):
            state.relate(cph, platform, "convention", "Parcours de français pour les réfugiés")
    for siae in state.of_kind("aci", "ei"):
        for employer in state.nearest(siae, "entreprise", limit=2, within_m=15_000):
            if state.rng.random() < 0.5:
                state.relate(siae, employer, "convention", "Convention de PMSMP")


def _link_employers(state: BuildState) -> None:
    """Employers recruit through ETTI/AI/GEIQ; each has at most one referent structure."""
    platform = state.of_kind("plateforme-emploi")[0]
    for employer in state.of_kind("entreprise"):
        if state.rng.random() < 0.35:
            for intermediary in state.nearest(employer, "etti", "ai", "geiq", within_m=30_000):
                state.relate(employer, intermediary, "recrute")
        if state.rng.random() < 0.6:
            referent = _referent_for(state, employer, platform)
            if referent is not None:
                state.relate(referent, employer, "referent-employeur", "Interlocuteur·rice unique")


def _referent_for(state: BuildState, employer: Partner, platform: Partner) -> Partner | None:
    """The platform when it is near and drawn, else one of the three nearest structures."""
    near_platform = distance_m(employer, platform) <= _PLATFORM_REFERENT_WITHIN_M
    if near_platform and state.rng.random() < 0.6:
        return platform
    options = state.nearest(
        employer, "france-travail", "aci", "ei", "chrs", limit=3, within_m=30_000
    )
    return state.rng.choice(options) if options else None


def _link_funding(state: BuildState) -> None:
    ddets = state.of_kind("ddets")[0]
    kinds = (*AHI_KINDS, "siao", *_SIAE, "phc", "cvg", "plateforme-emploi")
    for partner in state.of_kind(*kinds):
        state.relate(ddets, partner, "finance")
    department = state.of_kind("departements")[0]
    for partner in state.of_kind("aci", "plie", "creches-avip"):
        if state.rng.random() < 0.5:
            state.relate(department, partner, "finance")


SOLICITED_PER_TOWN: Final = 3
"""Employers of Alès and of Nîmes that several structures solicit at once."""


def _link_solicited_employers(state: BuildState) -> None:
    """The first `SOLICITED_PER_TOWN` employers placed in Alès and in Nîmes (the anchored ones:
    retail, cleaning) each receive people from the nearest France Travail agency, the nearest
    mission locale and the nearest CHRS (not an isolated one): three structures approach the
    same employer, which a single referent would spare. No random draw."""
    for town in (ALES, NIMES):
        for employer in state.in_commune(town, "entreprise")[:SOLICITED_PER_TOWN]:
            for kind, note in (
                ("france-travail", "Candidatures de demandeurs d'emploi"),
                ("mission-locale", "Jeunes en recherche d'emploi"),
                ("chrs", "Immersions (PMSMP) de personnes hébergées"),
            ):
                for structure in state.nearest(employer, kind, within_m=30_000):
                    state.relate(structure, employer, "oriente-vers", note)
