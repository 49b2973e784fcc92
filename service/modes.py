"""What is real and what is estimated on the territory, mode by mode, said in French.

A counsellor who sees one absurd time stops trusting all of them: the home page and the
demo's output say, for walking, cycling, driving and public transport, whether the times come
from a registered network (and which), or from an estimate (and what it assumes). The same
feeds and validity periods are listed by ``GET /v1/networks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

from geodata.modes import TRAVEL_MODES
from geodata.traveltime import DETOUR_FACTOR, ESTIMATE_SPEED_KMH
from geodata.walking import WALK_DETOUR, WALK_SPEED_KMH
from geodata.words import decimal
from service.travel import LoadedNetwork, TravelService

MODE_LABELS = {
    "walk": "À pied",
    "bike": "À vélo",
    "car": "En voiture",
    "transit": "En transports en commun",
}

Status = Literal["réel", "en partie réel", "estimé"]


@dataclass(frozen=True, slots=True)
class FeedPeriod:
    """A feed of a timetable and the dates it has times for (None: no service at all)."""

    name: str
    first: dt.date | None
    last: dt.date | None


@dataclass(frozen=True, slots=True)
class ModeStatement:
    """How the times of one mode are known on the territory."""

    mode: str
    label: str
    status: Status
    text: str


def feed_periods(timetable: Any, source_file: str | None = None) -> list[FeedPeriod]:
    """The feeds of a timetable with their own periods; an unnamed single feed is named after
    its file (``sncf_ter_2025.zip`` → « sncf_ter_2025 »)."""
    out = []
    for name in timetable.feed_names:
        period = timetable.service_period(name) if name else timetable.service_period()
        label = name or (PurePath(source_file).name.split(".")[0] if source_file else "gtfs")
        out.append(FeedPeriod(label, *(period if period else (None, None))))
    return out


def common_period(feeds: Sequence[FeedPeriod]) -> tuple[dt.date | None, dt.date | None]:
    """The span when every feed has times (their whole span when they do not overlap): the
    period `geodata.transit.TransitNetwork.resolve_date` moves departures into."""
    known = [(f.first, f.last) for f in feeds if f.first is not None and f.last is not None]
    if not known:
        return None, None
    first = max(p[0] for p in known if p[0] is not None)
    last = min(p[1] for p in known if p[1] is not None)
    if first > last:
        first = min(p[0] for p in known if p[0] is not None)
        last = max(p[1] for p in known if p[1] is not None)
    return first, last


def _names(networks: Sequence[LoadedNetwork]) -> str:
    return ", ".join(f"« {n.name} »" for n in networks)


def _street(mode: str, networks: Sequence[LoadedNetwork]) -> ModeStatement:
    label = MODE_LABELS[mode]
    if networks:
        text = (
            f"temps calculés sur le réseau de rues {_names(networks)} (OpenStreetMap) ; "
            "estimés à vol d'oiseau hors de son emprise ou à plus de 1 km d'une rue."
        )
        return ModeStatement(mode, label, "réel", text)
    text = (
        "temps estimés à vol d'oiseau (aucun réseau de rues inscrit pour ce mode) : trajet "
        f"{decimal(DETOUR_FACTOR[mode])} fois plus long que la ligne droite, à "
        f"{decimal(ESTIMATE_SPEED_KMH[mode])} km/h."
    )
    return ModeStatement(mode, label, "estimé", text)


def _transit(networks: Sequence[LoadedNetwork]) -> ModeStatement:
    label = MODE_LABELS["transit"]
    if not networks:
        text = (
            "temps estimés sans horaires : marche jusqu'à un arrêt supposé, attente, trajet à la "
            "vitesse moyenne d'un bus ou d'un car, marche ; la marche quand elle est plus "
            "rapide. Aucun horaire de transports inscrit."
        )
        return ModeStatement("transit", label, "estimé", text)
    parts = []
    for network in networks:
        feeds = feed_periods(network.network)
        first, last = common_period(feeds)
        names = ", ".join(feed.name for feed in feeds)
        validity = (
            f", valables du {first:%d/%m/%Y} au {last:%d/%m/%Y}"
            if first is not None and last is not None
            else ""
        )
        parts.append(f"« {network.name} » (flux {names}{validity})")
    text = (
        f"horaires réels des trajets en véhicule : {', '.join(parts)} ; un départ hors de la "
        "période de validité est servi par le même jour de la semaine dans la période, et la "
        "réponse le dit. Le trajet d'une personne est le plus rapide qui part dans la fenêtre "
        "de départ ; la couverture et les isochrones retiennent la médiane sur la fenêtre. La "
        "marche vers les arrêts et depuis eux est estimée "
        f"({decimal(WALK_DETOUR)} fois la ligne droite à {decimal(WALK_SPEED_KMH)} km/h), "
        "sauf pour le trajet d'une personne là où un réseau à pied est inscrit ; "
        "là où aucun horaire ne dessert le trajet, il est estimé (arrêts réels, attente, "
        "vitesse du véhicule) ; la marche répond quand elle est plus rapide."
    )
    return ModeStatement("transit", label, "en partie réel", text)


def mode_statements(travel: TravelService) -> list[ModeStatement]:
    """One statement per travel mode, in the order of `geodata.modes.TRAVEL_MODES`."""
    out = []
    for mode in TRAVEL_MODES:
        networks = [n for n in travel.networks if n.mode == mode]
        out.append(_transit(networks) if mode == "transit" else _street(mode, networks))
    return out
