"""The SIAE of a département from the Les emplois de l'inclusion API, every page, in one file
(`fetch_pages`; an entry of `service.imports.fetch.manifest`)."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from service.imports.download import Client, FetchError
from service.imports.fetched import Fetched

EMPLOIS_API: Final = "https://emplois.inclusion.beta.gouv.fr/api/v1/siaes/"


@dataclass(frozen=True, slots=True)
class EmploisSiaes:
    """Every SIAE of a département from the Les emplois API, page after page.

    ``{EMPLOIS_API}?departement={departement}`` answers ``{"count", "next", "previous",
    "results"}`` 20 SIAE at a time; ``next`` is followed to the last page and the SIAE are
    written together in one file of the same shape (``next`` null). A page that fails (after
    the retries) writes nothing: the file of an earlier run stays as it was, so an import never
    sees a partial list and never closes the SIAE of the pages it missed.
    """

    departement: str
    name: str = "siae.json"
    what: str = "SIAE du département (Les emplois de l'inclusion, API, toutes les pages)"
    max_pages: int = 1_000


def fetch_pages(entry: EmploisSiaes, client: Client, out: Path) -> Fetched:
    """Follow the API's ``next`` pages and write every SIAE in one file (see `EmploisSiaes`).

    The file's date is the latest ``mis_a_jour_le`` of the list (the API gives no file date);
    a list that has not changed leaves the file as it was.

    Raises
    ------
    FetchError
        In French: a page failed, was not a page of the API, the pages loop, or they do not
        add up to the ``count`` the first page announced. Nothing is written then.
    """
    query = urllib.parse.urlencode({"departement": entry.departement})
    url: str | None = f"{EMPLOIS_API}?{query}"
    results: list[object] = []
    count: int | None = None
    seen: set[str] = set()
    pages = 0
    while url:
        if url in seen or pages >= entry.max_pages:
            raise FetchError(f"{entry.name} : pagination sans fin ({url}) : rien n'est écrit")
        seen.add(url)
        pages += 1
        try:
            page = client.json(url)
        except FetchError as exc:
            raise FetchError(
                f"{entry.name} : page {pages} en échec, rien n'est écrit ({exc})"
            ) from exc
        if not isinstance(page, Mapping) or not isinstance(page.get("results"), list):
            raise FetchError(
                f"{entry.name} : la page {pages} n'est pas une page de l'API (« results »)"
            )
        if count is None and isinstance(page.get("count"), int):
            count = page["count"]
        results.extend(page["results"])
        following = page.get("next")
        url = str(following) if following else None
    if count is not None and count != len(results):
        raise FetchError(
            f"{entry.name} : {len(results)} SIAE reçues sur {count} annoncées "
            f"({pages} page(s)) : liste changée pendant la lecture, rien n'est écrit"
        )
    body = json.dumps(
        {"count": len(results), "next": None, "previous": None, "results": results},
        ensure_ascii=False,
    ).encode("utf-8")
    path = out / entry.name
    if not (path.is_file() and path.read_bytes() == body):
        part = path.with_name(path.name + ".part")
        part.write_bytes(body)
        os.replace(part, path)
    dates = [
        str(r["mis_a_jour_le"])
        for r in results
        if isinstance(r, Mapping) and isinstance(r.get("mis_a_jour_le"), str)
    ]
    return Fetched(
        path,
        len(body),
        hashlib.sha256(body).hexdigest(),
        entry.what,
        pages,
        url=f"{EMPLOIS_API}?{query}",
        date=max(dates) if dates else None,
        date_source="Les emplois (mis_a_jour_le le plus récent)" if dates else None,
    )
