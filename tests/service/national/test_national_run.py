"""A national run on four shards (the Gard by its real trains, Saint-Barthélemy by car and on
foot on its real streets, a synthetic département by car): Dask's Parquet equals the serial
computation row for row, even when a worker is killed mid-run; a re-run skips every shard."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import geopandas  # type: ignore[import-untyped]
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from service.national.outputs import TABLES, manifests, read_table
from service.national.runner import Dispatch, ShardReport, run_distributed, run_serial
from service.national.shards import ShardTask
from tests.service.national.conftest import BUDGETS, CATEGORIES


@pytest.fixture(scope="module")
def serial(tasks: list[ShardTask], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serie")
    reports = run_serial(tasks, out)
    assert [r.status for r in reports] == ["computed"] * len(tasks)
    return out


def _kill_one_worker_once_busy(client: Any, killed: list[int]) -> None:
    """Wait until a worker is computing a shard, then SIGKILL its process (the nanny starts
    another; Dask reschedules the shard)."""

    def kill() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    threading.Thread(target=kill, daemon=True).start()


def test_distributed_equals_serial_with_a_killed_worker_and_resumes(
    tasks: list[ShardTask], serial: Path, tmp_path: Path
) -> None:
    out = tmp_path / "national"
    killed: list[int] = []
    seen: list[tuple[str, int, int]] = []
    dashboards: list[str] = []

    def progress(report: ShardReport, done: int, total: int) -> None:
        seen.append((report.name, done, total))

    reports = run_distributed(
        tasks,
        out,
        Dispatch(workers=2, retries=2, local_directory=str(tmp_path / "dask")),
        on_dashboard=dashboards.append,
        on_done=progress,
        on_client=lambda client: _kill_one_worker_once_busy(client, killed),
    )
    assert killed, "aucun worker n'a été tué"
    assert dashboards
    assert dashboards[0].startswith("http")
    assert [r.status for r in reports] == ["computed"] * len(tasks)
    assert sorted(done for _, done, _ in seen) == list(range(1, len(tasks) + 1))
    for table in (*TABLES, "summary"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(read_table(out, table)), pd.DataFrame(read_table(serial, table))
        )
    rows = read_table(out, "zones")
    assert set(rows["departement"]) == {"30", "977", "S1"}
    assert set(rows["category"]) == set(CATEGORIES)
    assert set(rows["max_minutes"]) == set(BUDGETS)
    # the Gard's trains and Saint-Barthélemy's streets are real; each shard says so
    real = {m["shard"]: (m["real"], m["networks"]) for m in manifests(out)}
    assert real == {
        "30-transit": (True, ["gard"]),
        "30-car": (False, []),
        "977-car": (True, ["saint-barthelemy"]),
        "977-walk": (True, ["saint-barthelemy"]),
        "S1-car": (True, ["synthetique-S1"]),
    }
    assert not list((out / ".tmp").glob("*"))  # nothing half-written left

    again = run_distributed(tasks, out, Dispatch(workers=2))
    assert [r.status for r in again] == ["skipped"] * len(tasks)


def test_a_crashed_shard_is_computed_again(
    tasks: list[ShardTask], serial: Path, tmp_path: Path
) -> None:
    """A shard whose manifest is missing (a crash after some partitions moved) is computed
    again and its partitions replaced; the others are skipped."""
    import shutil

    out = tmp_path / "reprise"
    shutil.copytree(serial, out)
    (out / "_manifests" / "977-walk.json").unlink()
    reports = run_serial(tasks, out)
    assert [r.status for r in reports] == ["skipped"] * 3 + ["computed", "skipped"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(read_table(out, "gaps")), pd.DataFrame(read_table(serial, "gaps"))
    )


def test_outputs_read_with_geopandas_pyarrow_and_duckdb(serial: Path) -> None:
    strings = ds.partitioning(
        pa.schema([(n, pa.string()) for n in ("departement", "mode", "category")]),
        flavor="hive",
    )
    zones = geopandas.read_parquet(serial / "zones", partitioning=strings)
    assert zones.crs.to_epsg() == 4326
    assert set(zones["departement"]) == {"30", "977", "S1"}
    assert zones.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    con = duckdb.connect()
    found = con.execute(
        "SELECT departement, mode, count(*) AS n, max(rank) AS worst FROM read_parquet(?, "
        "hive_partitioning = true, hive_types = {'departement': VARCHAR}) "
        "WHERE category = 'hebergement' AND max_minutes = 40 GROUP BY ALL ORDER BY ALL",
        [str(serial / "gaps" / "**" / "*.parquet")],
    ).fetchall()
    gaps = read_table(serial, "gaps")
    expected = (
        gaps[(gaps["category"] == "hebergement") & (gaps["max_minutes"] == 40)]
        .groupby(["departement", "mode"])["rank"]
        .agg(["count", "max"])
    )
    assert found == [(d, m, int(r["count"]), int(r["max"])) for (d, m), r in expected.iterrows()]


def test_a_shard_that_fails_every_retry_is_reported_and_the_others_go_on(
    tasks: list[ShardTask], tmp_path: Path
) -> None:
    """A network file that vanished: the shard fails its retries, is reported ``failed`` with
    its error, and the other shard is written."""
    good = next(t for t in tasks if t.name == "977-walk")
    ref = good.networks[0]  # its walking network
    broken = replace(ref, path=str(tmp_path / "disparu.npz"))
    bad = replace(good, inputs=replace(good.inputs, code="97X", networks=(broken,)))
    reports = run_distributed([bad, good], tmp_path / "out", Dispatch(workers=1, retries=1))
    assert [r.status for r in reports] == ["failed", "computed"]
    assert "disparu.npz" in reports[0].manifest["error"]


def test_a_demand_layer_weighs_the_shard(tasks: list[ShardTask], tmp_path: Path) -> None:
    """With a demand layer by zone (job seekers, say), the shard counts that demand, not the
    population; the manifest and the summary say which."""
    walk = next(t for t in tasks if t.name == "977-walk")
    layer = dict.fromkeys(walk.inputs.zones.ids[:5], 2.0)
    weighed = replace(walk, inputs=walk.inputs.with_demand("demandeurs", layer))
    assert weighed.fingerprint() != walk.fingerprint()
    [report] = run_serial([weighed], tmp_path)
    assert report.manifest["demand"] == "demandeurs"
    summary = read_table(tmp_path, "summary")
    assert (summary["demand_total"] == 10.0).all()
    zones = read_table(tmp_path, "zones")
    assert zones["demand"].sum() == 10.0 * len(CATEGORIES) * len(BUDGETS)
