"""``/v1/networks``: the registered travel networks, public like the reference data.

What a counsellor needs to weigh a travel time: which modes have a real network here, over
what extent, built from which files, and — for timetables — the feeds merged and the period
their times are valid for. File paths on the server are not shown, only file names.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Query

from geodata.roads import main_roads
from service.deps import SessionDep, TravelDep
from service.modes import FeedPeriod, common_period, feed_periods
from service.networks import queries
from service.networks.parameters import NetworkQuery, RoadsQuery
from service.networks.schemas import (
    FeedOut,
    NetworkOut,
    RoadCollection,
    RoadFeature,
    RoadGeometry,
    RoadProperties,
)
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


OSM = "© les contributeurs d'OpenStreetMap (ODbL)"
ROAD_MODES = ("car", "walk", "bike")  # the car network knows main roads by their speed


@router.get("/roads", summary="Routes principales du réseau de rues inscrit (fond de carte)")
def roads(travel: TravelDep, params: Annotated[RoadsQuery, Query()]) -> RoadCollection:
    """Les routes du réseau de rues inscrit qui couvre l'étendue donnée, en lignes GeoJSON
    simplifiées, pour le fond des cartes hors ligne : le réseau en voiture de préférence (ses
    vitesses disent les routes principales : 70 km/h ou plus, rang 1), sinon celui à pied
    ou à vélo (toutes ses rues, quand elles ne sont pas trop nombreuses à cette échelle).
    Sans réseau de rues inscrit : aucune ligne."""
    west, south, east, north = params.box
    candidates = [
        n
        for n in travel.networks
        if n.mode in ROAD_MODES
        and n.bounds[0] <= east
        and west <= n.bounds[2]
        and n.bounds[1] <= north
        and south <= n.bounds[3]
    ]
    if not candidates:
        return RoadCollection(features=[], complete=True)
    loaded = min(candidates, key=lambda n: ROAD_MODES.index(n.mode))
    found = main_roads(loaded.network, params.box, tolerance=(east - west) / 2000)
    return RoadCollection(
        features=[
            RoadFeature(
                geometry=RoadGeometry(coordinates=line.coordinates),
                properties=RoadProperties(rank=line.rank, mode=loaded.mode),
            )
            for line in found.lines
        ],
        complete=found.complete,
        attribution=OSM,
    )


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
