"""The national address API (Base Adresse Nationale) as a `geodata.geocoding.Geocoder`.

``GET <url>?q=&limit=&lat=&lon=`` answers a GeoJSON FeatureCollection whose features are
points with the properties ``label``, ``score`` (0 to 1), ``type`` (``housenumber``,
``street``, ``locality``, ``municipality``), ``citycode`` (code INSEE), ``postcode``,
``city``... — the format of ``https://api-adresse.data.gouv.fr/search/`` and of its
successor ``https://data.geopf.fr/geocodage/search``; the URL is a setting.

A remote failure — no connection, no answer within the timeout, a status other than 200, a
body that is not that format — raises `GeocoderUnavailableError` with a French message that names
neither the query nor the remote error (whose text carries the URL, hence the query). httpx
logs each request's URL at INFO level: `DropRequestLines` keeps those lines out of the logs.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Final, cast

import httpx

from geodata.geocoding import PRECISIONS, Candidate, GeocoderUnavailableError, Precision

UNAVAILABLE: Final = "Le service national d'adresses ne répond pas ; réessayez plus tard."
UNREADABLE: Final = "Le service national d'adresses a répondu dans un format inattendu."


class DropRequestLines(logging.Filter):
    """Drop httpx's « HTTP Request: GET <url with the address> » records for one URL."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(str(arg).startswith(self.url) for arg in args)


class BanGeocoder:
    """A client of the national address API at ``url`` (module docstring)."""

    def __init__(self, url: str, *, timeout_s: float = 3.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": "maillage"},
            follow_redirects=True,
        )
        logger = logging.getLogger("httpx")
        if not any(isinstance(f, DropRequestLines) and f.url == url for f in logger.filters):
            logger.addFilter(DropRequestLines(url))

    def close(self) -> None:
        self._client.close()

    def search(
        self, query: str, *, limit: int, near: tuple[float, float] | None = None
    ) -> list[Candidate]:
        params: dict[str, str | int | float] = {"q": query, "limit": limit}
        if near is not None:
            params["lon"], params["lat"] = near
        try:
            response = self._client.get(self.url, params=params)
        except httpx.HTTPError:
            raise GeocoderUnavailableError(UNAVAILABLE) from None
        if response.status_code != 200:
            raise GeocoderUnavailableError(UNAVAILABLE)
        try:
            body = response.json()
            features = body["features"]
            if not isinstance(features, list):
                raise TypeError
            return [c for c in (_candidate(f) for f in features[:limit]) if c is not None]
        except (ValueError, KeyError, TypeError, IndexError):
            raise GeocoderUnavailableError(UNREADABLE) from None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _candidate(feature: Any) -> Candidate | None:
    """One BAN feature; None for a feature without a point or a label."""
    properties = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    coordinates = geometry.get("coordinates")
    label = _text(properties.get("label"))
    if geometry.get("type") != "Point" or not isinstance(coordinates, list) or label is None:
        return None
    lon, lat = (float(v) for v in coordinates[:2])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    kind = properties.get("type")
    precision = cast(Precision, kind) if kind in PRECISIONS else "locality"
    score = properties.get("score")
    return Candidate(
        label=label,
        lon=lon,
        lat=lat,
        precision=precision,
        score=float(score) if isinstance(score, int | float) and 0 <= score <= 1 else 0.0,
        source="ban",
        code_insee=_text(properties.get("citycode")),
        postcode=_text(properties.get("postcode")),
        city=_text(properties.get("city")),
    )
