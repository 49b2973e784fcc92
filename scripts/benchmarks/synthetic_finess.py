"""A synthetic FINESS extract: fictitious establishments of the Gard in the published format.

Used by ``scripts/bench import`` and by the tests of large streamed imports; not part of the
installed service. The format is the one `geodata.sources.finess` reads (Windows-1252, ``;``,
CRLF, ``structureet`` then ``geolocalisation`` lines in Lambert-93).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Final

from geodata.sources.common import fold

# In-scope categories with weights close to their counts in the national register (DREES).
_CATEGORIES: Final = (
    ("246", "Etablissement et Service d'Aide par le Travail (E.S.A.T.)", "4301", 1_450, "ESAT"),
    ("214", "Centre Hébergement & Réinsertion Sociale (C.H.R.S.)", "4601", 900, "CHRS"),
    ("219", "Autre Centre d'Accueil", "4601", 600, "CENTRE D'ACCUEIL"),
    ("442", "Centre Provisoire Hébergement (C.P.H.)", "4601", 100, "CPH"),
    ("443", "Centre Accueil Demandeurs Asile (C.A.D.A.)", "4601", 950, "CADA"),
    ("258", "Maisons Relais - Pensions de Famille", "4601", 1_200, "PENSION DE FAMILLE"),
    ("259", "Autre Résidence Sociale (hors Maison Relais, Pension de Famille)", "4601", 1_800,
     "RÉSIDENCE SOCIALE"),
    ("257", "Foyer de Jeunes Travailleurs (résidence sociale ou non)", "4601", 500, "FJT"),
    ("197", "Centre soins accompagnement prévention addictologie (C.S.A.P.A.)", "2206", 900,
     "CSAPA"),
    ("178", "Ctre.Accueil/ Accomp.Réduc.Risq.Usag. Drogues (C.A.A.R.U.D.)", "2206", 150,
     "CAARUD"),
    ("156", "Centre Médico-Psychologique (C.M.P.)", "1301", 3_000, "CMP"),
)  # fmt: skip
# Out-of-scope categories of the register, which a reader skips (a few of the ~95 others, in
# rough proportion): nursing homes, pharmacies, laboratories, health centres, hospitals,
# institutions and home services for disabled people.
_OTHER_CATEGORIES: Final = (
    ("500", "Etablissement d'hébergement pour personnes âgées dépendantes", "4401", 7_500,
     "EHPAD"),
    ("620", "Pharmacie d'Officine", "3301", 20_000, "PHARMACIE"),
    ("611", "Laboratoire d'Analyses de Biologie Médicale", "3101", 4_000, "LABORATOIRE"),
    ("124", "Centre de Santé", "2203", 3_000, "CENTRE DE SANTÉ"),
    ("355", "Centre Hospitalier (C.H.)", "1102", 1_000, "CENTRE HOSPITALIER"),
    ("183", "Institut Médico-Educatif (I.M.E.)", "4101", 1_200, "IME"),
    ("182", "Service d'Éducation Spéciale et de Soins à Domicile", "4101", 1_800, "SESSAD"),
    ("209", "Service de soins infirmiers A Domicile (S.S.I.A.D)", "4401", 2_100, "SSIAD"),
)  # fmt: skip
NATIONAL_IN_SCOPE_SHARE: Final = sum(c[3] for c in _CATEGORIES) / 100_000
"""Share of the in-scope categories in the national register: about 11,500 of about 100,000
establishments (the weights of :data:`_CATEGORIES`, counts of the same order as DREES')."""
# Towns of the Gard: commune number (3 digits of the code INSEE), name, postcode, lon, lat.
_TOWNS: Final = (
    ("189", "NÎMES", "30000", 4.3601, 43.8367),
    ("007", "ALÈS", "30100", 4.0810, 44.1250),
    ("028", "BAGNOLS-SUR-CÈZE", "30200", 4.6197, 44.1623),
    ("032", "BEAUCAIRE", "30300", 4.6440, 43.8070),
    ("258", "SAINT-GILLES", "30800", 4.4316, 43.6786),
    ("341", "VAUVERT", "30600", 4.2767, 43.6953),
    ("344", "LE VIGAN", "30120", 3.6060, 43.9910),
    ("334", "UZÈS", "30700", 4.4197, 44.0125),
)
_STREETS: Final = (("R", "DES ÉCOLES"), ("AV", "JEAN JAURÈS"), ("CHE", "DE LA PRAIRIE"),
                   ("BD", "GAMBETTA"), ("PL", "DE LA RÉPUBLIQUE"), ("RTE", "D'UZÈS"))  # fmt: skip


def write_synthetic_finess(
    path: Path, rows: int, *, seed: int = 1, in_scope_share: float = 1.0
) -> None:
    """Write a fictitious FINESS extract of ``rows`` establishments of the Gard.

    ``in_scope_share`` of them (all by default) are of the in-scope categories, the others of
    :data:`_OTHER_CATEGORIES`, which a reader skips (`NATIONAL_IN_SCOPE_SHARE`: the mix of the
    national register), shuffled through the file.

    The format is the published one (`geodata.sources.finess`): Windows-1252, ``;``, CRLF,
    header ``finess;etalab;…``, 32-field ``structureet`` lines then ``geolocalisation`` lines
    in Lambert-93 (EPSG:2154, metres, 0.1 m). Categories follow the weights of
    :data:`_CATEGORIES`; points scatter up to about 3 km around eight towns; two in three
    establishments have a (Luhn-valid, fictitious) SIRET; ``maj`` spans the last three years.
    Deterministic for a given ``seed``.
    """
    from pyproj import Transformer

    rng = random.Random(seed)  # noqa: S311 (fictitious data, not cryptographic)
    categories = (*_CATEGORIES, *_OTHER_CATEGORIES)
    weights = [c[3] for c in _CATEGORIES]
    picks = rng.choices(range(len(_CATEGORIES)), weights=weights, k=rows)
    if in_scope_share < 1.0:
        others = rng.choices(
            range(len(_CATEGORIES), len(categories)),
            weights=[c[3] for c in _OTHER_CATEGORIES],
            k=rows,
        )
        picks = [
            p if rng.random() < in_scope_share else o for p, o in zip(picks, others, strict=True)
        ]
    towns = [rng.choice(_TOWNS) for _ in range(rows)]
    lons = [t[3] + rng.uniform(-0.035, 0.035) for t in towns]
    lats = [t[4] + rng.uniform(-0.025, 0.025) for t in towns]
    xs, ys = Transformer.from_crs(4326, 2154, always_xy=True).transform(lons, lats)
    today = dt.date(2026, 5, 12)
    structures: list[str] = []
    geolocations: list[str] = []
    for i in range(rows):
        code, label, group, _, short = categories[picks[i]]
        number = f"30{i + 1:07d}"
        town = towns[i]
        street_type, street = rng.choice(_STREETS)
        name = f"{short} {town[1]} {i + 1}"
        siret = _luhn_siret(rng) if rng.random() < 2 / 3 else ""
        maj = today - dt.timedelta(days=rng.randrange(3 * 365))
        fields = [
            "structureet", number, f"30{rng.randrange(10**7):07d}", name[:38], name, "", "",
            str(rng.randrange(1, 200)), street_type, street, "", "", town[0], "30", "GARD",
            f"{town[2]} {fold(town[1]).upper()}", f"0466{rng.randrange(10**6):06d}", "",
            code, label, group, "", siret, "", "99", "Indéterminé", "", "", "2001-01-01",
            "2001-01-01", maj.isoformat(), "",
        ]  # fmt: skip
        structures.append(";".join(fields))
        geolocations.append(
            f"geolocalisation;{number};{xs[i]:.1f};{ys[i]:.1f};"
            "1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole);2026-05-04"
        )
    lines = [f"finess;etalab;{rows};{today.isoformat()}", *structures, *geolocations]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def _luhn_siret(rng: random.Random) -> str:
    """A fictitious SIRET: a Luhn-valid SIREN, four digits, then the SIRET's Luhn key."""
    siren = _with_luhn_key([rng.randrange(10) for _ in range(8)])
    return "".join(map(str, _with_luhn_key([*siren, *(rng.randrange(10) for _ in range(4))])))


def _with_luhn_key(digits: list[int]) -> list[int]:
    """``digits`` followed by the key that makes the whole pass the Luhn check."""
    total = 0
    for position, digit in enumerate(reversed(digits)):  # the key will be position 0
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return [*digits, (10 - total % 10) % 10]
