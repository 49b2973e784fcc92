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
from service.modes import FeedPeriod, common_period, feed_periods
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
    periods: list[FeedPeriod] = []
    if loaded is not None and network.mode == "transit":
        periods = feed_periods(loaded.network, network.source_file)
    valid = common_period(periods)
    return NetworkOut(
        name=network.name,
        mode=network.mode,
        bbox=[float(row.minx), float(row.miny), float(row.maxx), float(row.maxy)],
        nodes=network.node_count,
        built_at=network.built_at,
        source=PurePath(network.source_file).name if network.source_file else None,
        loaded=loaded is not None,
        feeds=[FeedOut(name=f.name, valid_from=f.first, valid_until=f.last) for f in periods],
        valid_from=valid[0],
        valid_until=valid[1],
    )
