"""Remobilisation par l'activité: PHC, Convergence, TAPAJ and AAVA, on the sites that carry them.

PHC and Convergence sit on the site of the chantier d'insertion that carries them and orient to
its CDDI; TAPAJ (Nîmes, Alès) publishes day missions for 16-25 year olds; an AAVA workshop is
run by a CHRS of Alès and of Nîmes. Their opportunities are the sets of the same names in
``offers.csv``.
"""

from __future__ import annotations

from service.demo import catalogue
from service.demo.offers import publish_set
from service.demo.state import ALES, NIMES, BuildState


def add_remobilisation(state: BuildState) -> None:
    """Create the PHC, Convergence, TAPAJ and AAVA nodes with their offers and first links."""
    _add_phc_and_convergence(state)
    _add_tapaj(state)
    _add_aava(state)


def _add_phc_and_convergence(state: BuildState) -> None:
    nimes_aci = state.in_commune(NIMES, "aci")
    ales_aci = state.in_commune(ALES, "aci")
    for carrier in (nimes_aci[0], ales_aci[1]):
        phc = state.add(
            "phc",
            carrier.commune.code_insee,
            at=carrier,
            name=f"Premières heures en chantier {carrier.commune.name}",
            description=f"{_description('phc')} Porté par {carrier.name}.",
        )
        publish_set(state, phc, "phc")
        state.relate(phc, carrier, "oriente-vers", "Suite de parcours en CDDI")
    carrier = nimes_aci[1]
    cvg = state.add(
        "cvg",
        NIMES,
        at=carrier,
        name="Convergence Nîmes",
        description=f"{_description('cvg')} Porté par {carrier.name}.",
    )
    publish_set(state, cvg, "cvg")
    state.relate(cvg, carrier, "convention", "Chantier d'accueil du dispositif")


def _add_tapaj(state: BuildState) -> None:
    """TAPAJ: carried by a CAARUD (Nîmes) or a CSAPA (Alès), missions through an AI (links)."""
    for code in (NIMES, ALES):
        tapaj = state.add("tapaj", code, name=f"TAPAJ {state.commune(code).name}")
        publish_set(state, tapaj, "tapaj")


def _add_aava(state: BuildState) -> None:
    """AAVA: a workshop on the site of the last CHRS of Alès and of Nîmes."""
    for code in (ALES, NIMES):
        chrs = state.in_commune(code, "chrs")[-1]
        short_name = chrs.name.removesuffix(" (fictif)").removeprefix("CHRS ")
        aava = state.add(
            "aava",
            code,
            at=chrs,
            name=f"Atelier AAVA {short_name}",
            description=f"{_description('aava')} Géré par {chrs.name}.",
        )
        publish_set(state, aava, "aava")
        state.relate(chrs, aava, "oriente-vers", "Atelier géré par le CHRS")


def _description(kind: str) -> str:
    return catalogue.profiles()[kind].description
