"""Every benchmark suite runs from a fresh copy of the work tree, at a tiny size (``--tiny``).

The copy holds the files git knows (``git ls-files``: tracked, plus untracked ones not ignored),
so no ``.venv``, no caches, no ``../shared`` beside it. Each script runs as ``scripts/bench``
runs it: its path as ``argv``, so ``sys.path[0]`` is ``scripts/benchmarks`` — where a module named
like an installed package shadows it (``coverage.py`` shadowed the ``coverage`` that numba
imports) —, with the current interpreter and the copy first on ``PYTHONPATH`` (what the editable
install of a fresh clone gives). Each must exit 0 and print its ratio or latency lines; speed is
never asserted. Suites on PostGIS start their own throwaway cluster; they ask for the session's
``postgis_url`` only to be skipped (or failed, in CI) like any database test when PostGIS is
missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = Path("scripts") / "benchmarks"
TIMEOUT_S = 90  # per suite; each takes a few seconds on an idle 2-core machine

# (suite, script, arguments, patterns its output must hold)
SUITES = (
    ("traveltime", "bench_traveltime.py", ["--tiny"],
     [r"one → all \(144\) .*\d×", r"all results agree within",
      r"one Dijkstra search per origin \(before\)", r"goal ≤ 2 s on 2 cores"]),
    ("traveltime --grid-only", "bench_traveltime.py", ["--tiny", "--grid-only"],
     [r"10 × 10 .*\d×", r"all results agree within"]),
    ("transit", "bench_transit.py", ["--tiny"],
     [r"one-to-all, 08:00 .*\d×", r"window 08:00–09:00, median .*\d×",
      r"300 × 40 points around platforms\s+[\d.]+\s+[\d.]+\s+[\d.]+×",
      r"equal to the per-minute medians, value for value"]),
    ("match-core", "bench_match_core.py", ["--tiny"],
     [r"match\(\) sur 10 profils : p50 [\d.]+ ms, p95 [\d.]+ ms", r"match_batch\(\) pour 20"]),
    ("coverage", "bench_coverage.py", ["--tiny"],
     [r"results agree with access within", r"speed-up on the same pairs: \d+× to \d+×",
      r"equal to the per-zone computation: yes", r"cold [\d.]+ s"]),
    ("national", "bench_national.py", ["--tiny"],
     [r"4 morceaux : 2 départements synthétiques", r"médiane [\d.]+ s par morceau",
      r"extrapolé, France entière \(192 morceaux.*sur 16 cœurs : ≈ [\d.]+"]),
    ("import", "bench_import.py", ["--tiny"],
     [r"écriture en masse / ORM \(mêmes fiches lues\) : [\d.]+×",
      r"import de bout en bout / lecture \+ ORM : [\d.]+×",
      r"fichier à la composition du registre national, médiane de 1 +500 +[\d.]+ +[\d ]+",
      r"'hors périmètre': \d+"]),
    ("network", "bench_network.py", ["--tiny"],
     [r"ratio analyse / the networkx calls it stands for: [\d.]+×",
      r"same cuts: yes", r"goal ≤ 2 s for every analysis"]),
    ("match", "bench_match.py", ["--tiny"],
     [r"rapport matches / GET /v1/partners\s+[\d.]+x\s+[\d.]+x", r"objectif : p95 ≤ 50 ms"]),
    ("match --writes", "bench_match_writes.py", ["--tiny", "--writes", "2"],
     [r"rapport écriture / sans écriture\s+[\d.]+x\s+[\d.]+x", r"mémoire du serveur \(RSS\)",
      r"objectif"]),
)  # fmt: skip
ON_POSTGIS = {"import", "match", "match --writes"}


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files git knows of the work tree, copied into an empty folder."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("pas de dépôt git : la copie fraîche ne peut être faite")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path_factory.mktemp("fresh") / "maillage"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is left out
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return copy


def _run(copy: Path, script: str, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTHONSAFEPATH", None)  # would drop the script's folder from sys.path
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "arguments", "patterns"),
    [pytest.param(*suite[1:], id=suite[0]) for suite in SUITES if suite[0] not in ON_POSTGIS],
)
def test_a_suite_runs_from_a_fresh_copy(
    fresh_copy: Path, script: str, arguments: list[str], patterns: list[str]
) -> None:
    _check(_run(fresh_copy, script, arguments), patterns)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "arguments", "patterns"),
    [pytest.param(*suite[1:], id=suite[0]) for suite in SUITES if suite[0] in ON_POSTGIS],
)
def test_a_suite_on_postgis_runs_from_a_fresh_copy(
    postgis_url: str, fresh_copy: Path, script: str, arguments: list[str], patterns: list[str]
) -> None:
    _check(_run(fresh_copy, script, arguments), patterns)


def test_no_benchmark_module_can_shadow_an_installed_package() -> None:
    """A module of ``scripts/benchmarks`` comes first on ``sys.path`` when a suite runs: none
    may bear the name of a module importable without that folder."""
    import importlib.util

    names = sorted(path.stem for path in (ROOT / BENCHMARKS).glob("*.py"))
    shadowing = [
        name
        for name in names
        if name in sys.stdlib_module_names or importlib.util.find_spec(name) is not None
    ]
    assert names
    assert shadowing == []


def _check(result: subprocess.CompletedProcess[str], patterns: list[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    missing = [pattern for pattern in patterns if not re.search(pattern, result.stdout)]
    assert missing == [], result.stdout[-3000:]
