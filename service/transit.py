"""Public transport answers for the service: the timetable where it has a ride, the estimate
where it has none, the walk whenever it is quicker — and what each answer assumes.

For a trip by public transport `service.travel.TravelService` weighs, per destination:

1. **the walk** — the walk network's time where one is registered, else the straight-line
   walk estimate (`geodata.traveltime.StraightLineEstimator`);
2. **a timetable ride** — the registered timetable's time over the departure window
   (`geodata.transit.TransitNetwork.travel_times`): for one person's trip (matches, a
   search by travel time: `DepartureTravel`) the quickest concrete journey leaving within
   the window, timed from leaving home; for aggregate accessibility (coverage, isochrones)
   the window's median, as r5py. Kept only where it rides: where the timetable's best
   answer is its own estimated walk, the walk of (1) stands for it;
3. **an estimated ride** where the timetable has none within the budget, or where no
   timetable is registered — `geodata.transit_estimate.TransitEstimate`, with the
   timetable's real stops (their names, headways and vehicles) when there is one, the
   default stops otherwise; again kept only where it rides.

The answer is the quickest of the three; when the walk wins, the answer *is* the walk, so
public transport is never quicker than walking the same trip. Every walk without a walking
network under it is `geodata.walking`'s estimated walk (the same metres and minutes in a walk
answer, a journey's walk leg and the estimate); every leg walked on a straight line is an
estimate (the timetable's walks to and from its stops are), so a journey is
estimated as soon as it walks on a straight line; a ride read from a timetable is not.

A departure outside the timetable's validity is answered by the same weekday inside it
(`geodata.transit.TransitNetwork.resolve_date`), and the answer carries the French notice
saying so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from geodata.journeys import VEHICLE_LABELS, Journey, Vehicle, street_journey
from geodata.modes import TravelMode
from geodata.sphere import great_circle_m
from geodata.transit_estimate import TransitAssumptions, TransitEstimate
from geodata.traveltime import DETOUR_FACTOR, ESTIMATE_SPEED_KMH
from geodata.walking import ESTIMATED_WALK, EstimatedWalk
from geodata.words import decimal

if TYPE_CHECKING:
    from geodata.transit import WalkHook
    from service.travel import TravelResult, TravelService

PARIS = ZoneInfo("Europe/Paris")

WALK: Final = 0
"""`TransitPlan.source`: the walk answers."""
TIMETABLE: Final = 1
"""`TransitPlan.source`: a ride of the registered timetable answers."""
ESTIMATE: Final = 2
"""`TransitPlan.source`: an estimated ride answers (no timetable ride within the budget)."""

_SAME = 1e-9  # minutes: a ride must beat the walk it is compared with by more than this

WALK_WINS: Final = "À pied : plus rapide qu'en transports en commun pour ce trajet."


def next_weekday_morning(today: dt.date | None = None) -> dt.datetime:
    """The next Tuesday at 08:00 (local time): a typical working-day departure."""
    today = today or dt.datetime.now(PARIS).date()
    days = (1 - today.weekday()) % 7 or 7
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(8, 0))


def resolve_departure(
    network: Any, departure: dt.datetime | None
) -> tuple[dt.datetime, str | None]:
    """The departure the timetable answers for ``departure`` (next Tuesday 08:00 when None),
    naive in the timetable's local time, and the French notice when its date had to move into
    the timetable's validity (`geodata.transit.TransitNetwork.resolve_date`)."""
    wanted = departure or next_weekday_morning()
    if wanted.tzinfo is not None:
        zone = ZoneInfo(network.timezone) if getattr(network, "timezone", None) else PARIS
        try:
            wanted = wanted.astimezone(zone).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999 with an offset: its own clock
            wanted = wanted.replace(tzinfo=None)
    day, notice = network.resolve_date(wanted.date())
    # the router reads the day before too (trips past midnight): never the first or last date
    day = min(max(day, dt.date.min + dt.timedelta(days=1)), dt.date.max - dt.timedelta(days=1))
    return dt.datetime.combine(day, wanted.time()), notice


def network_walk_minutes(network: Any, lon: float, lat: float, xy: NDArray[np.float64]) -> Any:
    """Minutes of the timetable's own walk from the origin to each destination: its estimated
    walk (`geodata.walking`), as `TransitNetwork.travel_times` counts it."""
    walk = getattr(network, "walk", ESTIMATED_WALK)
    return walk.minutes(great_circle_m(lon, lat, xy[:, 0], xy[:, 1]))


def estimate_walk_minutes(
    estimate: TransitEstimate, lon: float, lat: float, xy: NDArray[np.float64]
) -> Any:
    """Minutes of the estimate's own walk (`geodata.walking`: the same estimated walk)."""
    return estimate.assumptions.walk.minutes(great_circle_m(lon, lat, xy[:, 0], xy[:, 1]))


@dataclass(frozen=True, eq=False)
class TransitPlan:
    """Per destination: the answer's minutes, whether it is an estimate, which source answers
    (`WALK`, `TIMETABLE`, `ESTIMATE`), and the walk it was weighed against."""

    minutes: NDArray[np.float64]
    estimated: NDArray[np.bool_]
    source: NDArray[np.int8]
    walk_minutes: NDArray[np.float64]
    walk_estimated: NDArray[np.bool_]
    network: str | None
    departure: dt.datetime | None
    notice: str | None


def weigh(
    walk_minutes: NDArray[np.float64],
    walk_estimated: NDArray[np.bool_],
    timetable: NDArray[np.float64] | None,
    timetable_walk: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """The rides a timetable offers (``inf`` where its best answer is its own walk) and their
    source; the estimate fills the others afterwards (`fill_estimate`)."""
    n = walk_minutes.shape[0]
    ride = np.full(n, np.inf)
    source = np.full(n, WALK, dtype=np.int8)
    if timetable is not None and timetable_walk is not None:
        rides = np.isfinite(timetable) & (timetable < timetable_walk - _SAME)
        ride[rides] = timetable[rides]
        source[rides] = TIMETABLE
    return ride, source


def fill_estimate(
    ride: NDArray[np.float64],
    source: NDArray[np.int8],
    estimated: NDArray[np.float64],
    estimate_walk: NDArray[np.float64],
    where: NDArray[np.intp],
) -> None:
    """Put the estimate's rides (not its walks) at the destinations ``where``, in place."""
    rides = np.isfinite(estimated) & (estimated < estimate_walk - _SAME)
    ride[where[rides]] = estimated[rides]
    source[where[rides]] = ESTIMATE


def quickest(
    walk_minutes: NDArray[np.float64],
    walk_estimated: NDArray[np.bool_],
    ride: NDArray[np.float64],
    source: NDArray[np.int8],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int8]]:
    """The walk where it is at least as quick as the ride, else the ride (flagged estimated:
    its walks to and from the stops are estimated unless a walking network timed them, which
    only its legs tell)."""
    walk_wins = walk_minutes <= ride
    minutes = np.where(walk_wins, walk_minutes, ride)
    estimated = np.where(walk_wins, walk_estimated, True)
    return minutes, estimated, np.where(walk_wins, WALK, source).astype(np.int8)


def honest(journey: Journey) -> Journey:
    """The timetable's journey with every leg walked on a straight line flagged estimated:
    walks and transfers that carry straight-line metres (a walking network's walks carry
    none)."""
    legs = tuple(
        leg.model_copy(update={"estimated": True})
        if not leg.estimated and leg.kind in ("walk", "transfer") and (leg.metres or 0) > 0
        else leg
        for leg in journey.legs
    )
    return Journey(mode=journey.mode, legs=legs, notice=journey.notice)


def walk_hook(network: Any, max_minutes: float | None) -> WalkHook:
    """The walks a registered walking network times for one person's trip by public
    transport: to and from the stops and the walk-only trip (`geodata.transit.WalkHook`; NaN
    off the network, where the estimated walk stands). Aggregate questions (coverage:
    thousands of origins, each walking every stop to every destination again) keep the
    estimated walk."""

    def walk(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        from_snap, to_snap = network.snap(a), network.snap(b)
        minutes = np.array(
            network.travel_times(from_snap, to_snap, max_minutes=max_minutes), dtype=np.float64
        )
        off = (
            np.asarray(from_snap.too_far, dtype=bool)[:, None]
            | np.asarray(to_snap.too_far, dtype=bool)[None, :]
        )
        minutes[off] = np.nan
        return minutes

    return walk


def has_ride(journey: Journey | None) -> bool:
    return journey is not None and any(leg.kind == "ride" for leg in journey.legs)


def walk_journey(
    minutes: float, *, estimated: bool, metres: float | None, notice: str | None
) -> Journey:
    """A public transport answer that is the walk: one walk leg (``metres`` said for an
    estimated walk), said so."""
    walk = street_journey("walk", minutes, estimated=estimated, metres=metres)
    return Journey(mode="transit", legs=walk.legs, notice=WALK_WINS).then(notice=notice)


def with_notice(journey: Journey, notice: str | None) -> Journey:
    return journey.then(notice=notice) if notice else journey


class DepartureTravel:
    """A `TravelService` with the departure fixed, for one person's request: a
    `geodata.journeys.JourneyModel` (``times`` and ``journeys`` by mode within a budget) that
    keeps the notices of its timetable answers (`notice`).

    A person plans a trip: a timetable answers with the quickest concrete journey leaving
    within the window (``statistic="quickest"``), timed from leaving home, told with the legs
    that add up to it — not the window's median, which aggregate questions (coverage,
    isochrones) keep."""

    def __init__(
        self, service: TravelService, departure: dt.datetime | None, window_minutes: int
    ) -> None:
        self.service = service
        self.departure = departure
        self.window_minutes = window_minutes
        self._notices: list[str] = []

    @property
    def notice(self) -> str | None:
        """The notices of the answers so far, once each, in French."""
        return " ".join(dict.fromkeys(self._notices)) or None

    def times(
        self,
        mode: TravelMode,
        lon: float,
        lat: float,
        destinations: NDArray[np.float64],
        *,
        max_minutes: float | None,
    ) -> TravelResult:
        result = self.service.times(
            mode,
            lon,
            lat,
            destinations,
            max_minutes=max_minutes,
            departure=self.departure,
            window_minutes=self.window_minutes,
            statistic="quickest",
        )
        if result.notice:
            self._notices.append(result.notice)
        return result

    def journeys(
        self,
        mode: TravelMode,
        lon: float,
        lat: float,
        destinations: NDArray[np.float64],
        *,
        max_minutes: float | None,
    ) -> list[Journey | None]:
        return self.service.journeys(
            mode,
            lon,
            lat,
            destinations,
            max_minutes=max_minutes,
            departure=self.departure,
            window_minutes=self.window_minutes,
            statistic="quickest",
        )


# -- what is assumed, in French -------------------------------------------------------------


def street_assumptions(mode: str) -> str:
    """What a straight-line estimate of a street mode assumes."""
    label = {"walk": "à pied", "bike": "à vélo", "car": "en voiture"}[mode]
    return (
        f"Estimation à vol d'oiseau {label} : aucun réseau de rues inscrit ici pour ce mode ; "
        f"trajet {decimal(DETOUR_FACTOR[mode])} fois plus long que la ligne droite, à "
        f"{decimal(ESTIMATE_SPEED_KMH[mode])} km/h."
    )


def estimate_assumptions(assumptions: TransitAssumptions, *, real_stops: bool) -> str:
    """What the public transport estimate assumes (`geodata.transit_estimate`)."""
    a = assumptions
    shown: tuple[Vehicle, ...] = ("bus", "coach", "train")
    speeds = ", ".join(
        f"{VEHICLE_LABELS[vehicle]} {decimal(a.ride_speed_kmh[vehicle])} km/h" for vehicle in shown
    )
    stops = (
        f"arrêt réel le plus proche (à {decimal(a.max_access_m)} m au plus, sinon supposé à "
        f"{decimal(a.access_m)} m), attente de la moitié de l'intervalle entre ses départs "
        "en semaine"
        if real_stops
        else f"arrêt supposé à {decimal(a.access_m)} m, un départ supposé toutes les "
        f"{decimal(a.headway_minutes)} min (attente de la moitié)"
    )
    return (
        "Transports en commun estimés sans horaires pour ce trajet : "
        f"{stops} ; trajet sur {decimal(a.ride_detour)} fois la distance à vol d'oiseau "
        f"({speeds}) ; marche à {decimal(a.walk_speed_kmh)} km/h sur "
        f"{decimal(a.walk_detour)} fois la ligne droite ; la marche quand elle est plus rapide."
    )


def timetable_assumptions(name: str, network: Any) -> str:
    """What a timetable answer assumes beyond the timetable itself."""
    walk: EstimatedWalk = getattr(network, "walk", ESTIMATED_WALK)
    return (
        f"Horaires du réseau « {name} » (médiane sur la fenêtre de départ) ; marche vers les "
        f"arrêts et depuis eux estimée : {decimal(walk.detour)} fois la ligne droite à "
        f"{decimal(walk.speed_kmh)} km/h, arrêts à 1 km au plus à vol d'oiseau."
    )
