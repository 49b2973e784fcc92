"""Dispatching the shards: Dask distributed, or one after the other in this process.

`run_distributed` submits one task per unfinished shard (`run_shard`: compute, then write its
partitions and manifest on the worker — the rows never travel back) to a Dask scheduler: a
``LocalCluster`` sized to the machine by default (one single-threaded worker process per core:
the travel searches use their own threads), or any cluster by address (``tcp://…:8786`` — dask-
jobqueue on a batch system, the Dask Kubernetes operator); the workers must then see the output
directory and the network files at the same paths (shared storage). Failures are retried
(``retries``: an exception in a shard; a worker that dies is replaced and its task rescheduled
by Dask itself); a shard that fails every retry is reported ``failed`` and the others go on (a
re-run computes only what is missing). A shard whose manifest is already there with the same
fingerprint is skipped, before submission and again on the worker (a retried task that a dying
worker had finished).

`run_serial` computes the same shards here, one after the other: the reference the distributed
run is compared with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.national.outputs import is_done, read_manifest, write_shard
from service.national.shards import ShardTask, compute_shard


@dataclass(frozen=True, slots=True)
class ShardReport:
    """What became of one shard: ``computed``, ``skipped`` or ``failed`` (after every retry;
    its manifest then holds only ``error``), and its manifest."""

    name: str
    status: str
    manifest: dict[str, Any]


def run_shard(task: ShardTask, out: str) -> ShardReport:
    """Compute and write one shard, unless it is already written (Dask task; picklable)."""
    folder = Path(out)
    if is_done(folder, task):
        return ShardReport(task.name, "skipped", read_manifest(folder, task.name) or {})
    manifest = write_shard(folder, compute_shard(task))
    return ShardReport(task.name, "computed", manifest)


def run_serial(tasks: Sequence[ShardTask], out: Path) -> list[ShardReport]:
    """Every shard here, in order (the reference run)."""
    return [run_shard(task, str(out)) for task in tasks]


@dataclass(frozen=True, slots=True)
class Dispatch:
    """How to reach Dask: a scheduler address, or a local cluster of ``workers`` processes."""

    scheduler: str | None = None
    workers: int | None = None
    retries: int = 2
    local_directory: str | None = None


def run_distributed(
    tasks: Sequence[ShardTask],
    out: Path,
    dispatch: Dispatch,
    *,
    on_dashboard: Callable[[str], None] = lambda _: None,
    on_done: Callable[[ShardReport, int, int], None] = lambda *_: None,
    on_client: Callable[[Any], None] = lambda _: None,
) -> list[ShardReport]:
    """Run the unfinished shards on Dask; reports in the order of ``tasks``.

    ``on_dashboard`` receives the dashboard's address once the client is connected,
    ``on_done`` each report as it arrives (with the count done and the total: a progress
    bar), ``on_client`` the client (tests use it to reach the workers).
    """
    from dask.distributed import Client, LocalCluster, as_completed

    out.mkdir(parents=True, exist_ok=True)
    reports: dict[str, ShardReport] = {}
    pending = []
    for task in tasks:
        if is_done(out, task):
            reports[task.name] = ShardReport(
                task.name, "skipped", read_manifest(out, task.name) or {}
            )
        else:
            pending.append(task)
    total, done = len(tasks), len(reports)
    for report in reports.values():
        on_done(report, 0, total)
    if not pending:
        return [reports[t.name] for t in tasks]
    cluster = None
    if dispatch.scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=dispatch.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            local_directory=dispatch.local_directory,
        )
    try:
        with Client(cluster or dispatch.scheduler) as client:  # type: ignore[no-untyped-call]
            on_dashboard(client.dashboard_link)
            on_client(client)
            named = {
                client.submit(
                    run_shard,
                    task,
                    str(out.resolve()),
                    key=f"shard-{task.name}-{task.fingerprint()[:12]}",
                    retries=dispatch.retries,
                    pure=False,
                ): task.name
                for task in pending
            }
            for future in as_completed(list(named)):  # type: ignore[no-untyped-call]
                try:
                    arrived: ShardReport = future.result()
                except Exception as exc:  # a shard that failed every retry: the others go on
                    error = f"{type(exc).__name__}: {exc}"[:500]
                    arrived = ShardReport(named[future], "failed", {"error": error})
                reports[arrived.name] = arrived
                done += 1
                on_done(arrived, done, total)
    finally:
        if cluster is not None:
            cluster.close()
    return [reports[t.name] for t in tasks]
