"""What ``territory fetch`` wrote: ``SHA256SUMS`` and ``MANIFEST.json`` beside the files.

``SHA256SUMS`` is in the format of ``sha256sum -c``. ``MANIFEST.json`` says, for each file,
where it comes from and how recent it is::

    {"files": {"finess-etablissements.csv": {
        "sha256": "…", "size": 123, "url": "https://static.data.gouv.fr/…",
        "date": "2026-05-12T09:11:52", "date_source": "data.gouv.fr (last_modified)",
        "dataset": "53699569a3a729239d2046eb", "resource": "…", "etag": "…"}}}

``date`` is the publisher's date of the file, not the time of the download: the portal's
``last_modified`` of the resource, the HTTP ``Last-Modified`` of the answer, or, for the
SIAE of Les emplois (an API, no file date), the latest ``mis_a_jour_le`` of the list. Both
files are merged with what an earlier run wrote (a file fetched before and not this time keeps
its line) and written only from what was fetched, in name order, with no time of their own:
a second run that changes nothing writes the same bytes. `previous` gives an earlier run's
entries, so that a file kept (its checksum or its validators unchanged) keeps its date.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.imports.download import digest

SUMS = "SHA256SUMS"
MANIFEST = "MANIFEST.json"


@dataclass(slots=True)
class Fetched:
    """A file written (or kept) by ``territory fetch``: its path, size in bytes and SHA-256,
    with the manifest's fields (`MANIFEST`): publisher's date, where the date comes from, URL,
    data.gouv.fr dataset and resource ids, HTTP ``ETag``/``Last-Modified`` validators."""

    path: Path
    size: int
    sha256: str
    what: str
    attempts: int = 1
    url: str | None = None
    date: str | None = None
    date_source: str | None = None
    dataset: str | None = None
    resource: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    def entry(self) -> dict[str, Any]:
        """The file's line of the manifest (fields without value left out)."""
        values = {
            "what": self.what,
            "sha256": self.sha256,
            "size": self.size,
            "url": self.url,
            "date": self.date,
            "date_source": self.date_source,
            "dataset": self.dataset,
            "resource": self.resource,
            "etag": self.etag,
            "last_modified": self.last_modified,
        }
        return {key: value for key, value in values.items() if value is not None}


def previous(out: Path) -> dict[str, dict[str, Any]]:
    """The entries of the manifest an earlier run wrote in ``out`` (none when unreadable)."""
    try:
        document = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = document.get("files") if isinstance(document, Mapping) else None
    if not isinstance(files, Mapping):
        return {}
    return {str(name): dict(entry) for name, entry in files.items() if isinstance(entry, Mapping)}


def unchanged(path: Path, entry: Mapping[str, Any] | None) -> bool:
    """Whether ``path`` is on disk as the earlier run's manifest describes it (SHA-256)."""
    return bool(entry) and path.is_file() and digest(path, "sha256") == entry.get("sha256")  # type: ignore[union-attr]


def describe(
    path: Path, what: str, *, date: str | None = None, source: str | None = None
) -> Fetched:
    """A file written otherwise than by a download (an extract cut here), for `write_sums`;
    ``date``: that of the file it was made from (``source`` names it)."""
    return Fetched(
        path,
        path.stat().st_size,
        digest(path, "sha256"),
        what,
        0,
        date=date,
        date_source=source,
    )


def write_sums(out: Path, files: Iterable[Fetched]) -> None:
    """``SHA256SUMS`` and ``MANIFEST.json``, merged with those of an earlier run."""
    files = list(files)
    path = out / SUMS
    sums: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            checksum, _, name = line.partition("  ")
            if name:
                sums[name] = checksum
    sums.update({file.path.name: file.sha256 for file in files})
    _replace(path, "".join(f"{sums[n]}  {n}\n" for n in sorted(sums)))
    entries = previous(out)
    entries.update({file.path.name: file.entry() for file in files})
    document = {"files": {name: entries[name] for name in sorted(entries)}}
    _replace(out / MANIFEST, json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, and not at all when it is already there."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)
