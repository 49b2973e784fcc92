"""``/v1/networks``: the registered travel networks, public like the reference data.

What a counsellor needs to weigh a travel time: which modes have a real network here, over
what extent, built from which files, and — for timetables — the feeds merged and the period
their times are valid for. File paths on the server are not shown, only file names.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.deps import SessionDep, TravelDep
from service.networks import queries
from service.networks.parameters import NetworkQuery
from service.networks.schemas import FeedOut, NetworkOut
from service.travel import LoadedNetwork

router = APIRouter(prefix="/v1/networks", tags=["trajets"])


@router.get("", summary="Réseaux de déplacement inscrits")
def list_networks(
    session: SessionDep, travel: TravelDep, params: Annotated[NetworkQuery, Query()]
) -> list[NetworkOut]:
    """Chaque réseau inscrit (rues à pied, à vélo, en voiture ; horaires de transports en
    commun) : son mode, son emprise, ses nœuds ou arrêts, sa date de construction, le fichier
    dont il vient, s'il est chargé ; pour les transports en commun, les flux GTFS fusionnés et
    la période de validité de leurs horaires. Ailleurs, et pour les modes sans réseau, les
    temps sont estimés (et dits ``estimated``)."""
    loaded = {network.id: network for network in travel.networks}
    return [
        _network_out(row, loaded.get(row[0].id))
        for row in session.execute(queries.registered(params.mode))
    ]


def _network_out(row: Any, loaded: LoadedNetwork | None) -> NetworkOut:
    network = row[0]
    feeds: list[FeedOut] = []
    if loaded is not None and network.mode == "transit":
        feeds = _feeds(loaded.network, network.source_file)
    valid = _common([(f.valid_from, f.valid_until) for f in feeds])
    return NetworkOut(
        name=network.name,
        mode=network.mode,
        bbox=[float(row.minx), float(row.miny), float(row.maxx), float(row.maxy)],
        nodes=network.node_count,
        built_at=network.built_at,
        source=PurePath(network.source_file).name if network.source_file else None,
        loaded=loaded is not None,
        feeds=feeds,
        valid_from=valid[0],
        valid_until=valid[1],
    )


def _feeds(timetable: Any, source_file: str | None) -> list[FeedOut]:
    """The feeds of a timetable with their own periods; an unnamed single feed is named
    after its file."""
    out = []
    for name in timetable.feed_names:
        period = timetable.service_period(name) if name else timetable.service_period()
        label = name or (PurePath(source_file).name.split(".")[0] if source_file else "gtfs")
        out.append(
            FeedOut(
                name=label,
                valid_from=period[0] if period else None,
                valid_until=period[1] if period else None,
            )
        )
    return out


def _common(periods: list[tuple[Any, Any]]) -> tuple[Any, Any]:
    """The span when every feed has times (their whole span when they do not overlap): the
    period `geodata.transit.TransitNetwork.resolve_date` moves departures into."""
    known = [(first, last) for first, last in periods if first is not None and last is not None]
    if not known:
        return None, None
    first, last = max(p[0] for p in known), min(p[1] for p in known)
    if first > last:
        first, last = min(p[0] for p in known), max(p[1] for p in known)
    return first, last
