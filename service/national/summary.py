"""The national summary table: per département, mode, category and budget, the share of the
demand (the population, or a demand layer) within the budget, and whether the mode's times
came from a registered network.

One row per département × mode × category × budget, from the ``summary`` partitions and the
manifests of a run's output directory. Two CSV conventions: ``standard`` (comma, decimal
point, UTF-8) and ``excel`` (the French Excel convention: semicolon, decimal comma, UTF-8
with a byte-order mark, so that Excel opens it with its accents and numbers right).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Final, Literal

from service.national.outputs import manifests, read_table

Convention = Literal["standard", "excel"]

HEADERS: Final = (
    ("departement", "département"),
    ("nom", "nom"),
    ("mode", "mode"),
    ("reseau", "réseau"),
    ("category", "catégorie"),
    ("max_minutes", "budget (minutes)"),
    ("demand_name", "demande"),
    ("demand_total", "demande totale"),
    ("demand_within", "demande dans le budget"),
    ("share_percent", "part dans le budget (%)"),
    ("median_e2sfca", "E2SFCA médiane (places pour 1 000)"),
    ("gaps", "zones en manque"),
    ("no_site_gaps", "zones sans aucun site"),
    ("estimated_percent", "trajets estimés (%)"),
)


def summary_rows(out: Path) -> list[dict[str, Any]]:
    """The rows of the table, sorted by département, mode, category and budget."""
    told = {m["shard"]: m for m in manifests(out)}
    frame = read_table(out, "summary")
    rows = []
    for record in frame.to_dict("records"):
        manifest = told.get(f"{record['departement']}-{record['mode']}", {})
        networks = manifest.get("networks") or []
        share = record["share_within"]
        rows.append(
            {
                **record,
                "nom": manifest.get("name", ""),
                "demand_name": manifest.get("demand", "population"),
                "reseau": _network(record["mode"], networks),
                "share_percent": None if share is None or math.isnan(share) else 100.0 * share,
                "estimated_percent": 100.0 * record["estimated_share"],
            }
        )
    return rows


def summary_csv(out: Path, *, convention: Convention = "excel") -> bytes:
    """The table as CSV in the given convention (see the module docstring)."""
    excel = convention == "excel"
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow([label for _, label in HEADERS])
    for row in summary_rows(out):
        writer.writerow([_cell(row.get(key), excel=excel) for key, _ in HEADERS])
    return text.getvalue().encode("utf-8-sig" if excel else "utf-8")


def _network(mode: str, networks: list[str]) -> str:
    """« réel (gard) », « estimé » — and for transit, that its walks are estimated."""
    if not networks:
        return "estimé"
    said = f"réel ({', '.join(networks)})"
    return f"{said}, marches estimées" if mode == "transit" else said


def _cell(value: Any, *, excel: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
        return text.replace(".", ",") if excel else text
    return str(value)


def real_modes(out: Path) -> dict[str, dict[str, bool]]:
    """Per département, each mode computed and whether its times came from a registered
    network (``True``) or the flagged estimate (``False``)."""
    found: dict[str, dict[str, bool]] = {}
    for manifest in manifests(out):
        found.setdefault(manifest["departement"], {})[manifest["mode"]] = bool(manifest["real"])
    return found
