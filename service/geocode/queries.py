"""The SQL of the geocoder: the partners' addresses and the registered street networks."""

from __future__ import annotations

from sqlalchemy import func, select

from service.db import AnySelect
from service.tables import Commune, Network, Partner


def partner_addresses() -> AnySelect:
    """(address, lon, lat, code INSEE) of the open partners with an address, once per
    address and point."""
    return (
        select(
            Partner.address,
            func.ST_X(Partner.geom),
            func.ST_Y(Partner.geom),
            func.min(Partner.code_insee),
        )
        .where(Partner.status == "open", Partner.address.is_not(None), Partner.address != "")
        .group_by(Partner.address, func.ST_X(Partner.geom), func.ST_Y(Partner.geom))
        .order_by(Partner.address)
    )


def street_network_paths() -> AnySelect:
    """The files of the registered street networks (walk, bike, car)."""
    return select(Network.path).where(Network.mode != "transit").order_by(Network.path)


def town_halls() -> AnySelect:
    """(code INSEE, address, lon, lat) of the town halls whose point and address are known."""
    return (
        select(
            Commune.code_insee,
            Commune.town_hall_address,
            func.ST_X(Commune.town_hall),
            func.ST_Y(Commune.town_hall),
        )
        .where(Commune.town_hall.is_not(None), Commune.town_hall_address.is_not(None))
        .order_by(Commune.code_insee)
    )
