"""Validators for the identifiers and fields people type in: SIRET, ROME, code INSEE, hours.

Every ``validate_*`` function returns the normalised value or raises ``ValueError`` with a short
French message that can be shown as is next to the offending field: it states the rule and never
quotes the value (which may describe a person). They only check form (and
check digits): whether a SIRET or a commune actually exists is a question for the registries.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

from graph.inputs import SPACE

__all__ = [
    "CODE_INSEE_FORM",
    "FRENCH_LEVELS",
    "ROME_CODE_FORM",
    "SIRET_FORM",
    "french_level_rank",
    "has_atypical_hours",
    "opening_hours_in_french",
    "opening_hours_weekly_minutes",
    "validate_code_insee",
    "validate_opening_hours",
    "validate_rome_code",
    "validate_siren",
    "validate_siret",
]

FRENCH_LEVELS: Final[tuple[str, ...]] = ("A0", "A1", "A2", "B1", "B2", "C1", "C2")
"""CEFR levels of French, lowest first; ``A0`` means "no French yet" (not a CEFR level)."""

# The forms below are regexes without anchors, ASCII only, in a syntax every regex dialect reads
# alike: the validators match them, and the JSON schema of a field says them (`graph.models`).
ROME_CODE_FORM: Final = r"[A-Na-n][0-9]{4}"
"""A ROME code as `validate_rome_code` accepts it: a letter A to N (either case), 4 digits."""
# Metropolitan département (01-95 except 20, Corsica 2A/2B) + 3-digit commune number, or
# overseas département 971-976 or collectivity 977-978 (Saint-Barthélemy, Saint-Martin)
# + 2-digit commune number.
CODE_INSEE_FORM: Final = (
    r"(?:0[1-9]|[13-8][0-9]|2[1-9ABab]|9[0-5])[0-9]{3}"  # metropolitan
    r"|97[1-8][0-9]{2}"  # overseas
)
"""A code INSEE as `validate_code_insee` accepts it (``2a``/``2b`` for Corsica too)."""
SIRET_FORM: Final = rf"[0-9](?:{SPACE}*[0-9]){{13}}"
"""A SIRET as `validate_siret` accepts it before its check digits: 14 digits, spaces between
them allowed."""

_SIREN_RE: Final = re.compile(r"[0-9]{9}")
_SIRET_RE: Final = re.compile(r"[0-9]{14}")
_LA_POSTE_SIREN: Final = "356000000"
_ROME_RE: Final = re.compile(ROME_CODE_FORM)
_CODE_INSEE_RE: Final = re.compile(CODE_INSEE_FORM)

_OPENING_HOURS_HINT: Final = (
    "syntaxe OpenStreetMap opening_hours attendue, ex. « Mo-Fr 08:30-17:00 »"
)
# A fixed week, Monday 4 to Monday 11 March 2024: no French public holiday and no daylight-saving
# change. Times are local wall-clock times of the place, hence naive datetimes (the parser also
# refuses datetime.timezone offsets).
_REFERENCE_WEEK_START: Final = datetime(2024, 3, 4)  # noqa: DTZ001
_REFERENCE_WEEK_END: Final = _REFERENCE_WEEK_START + timedelta(days=7)
_STANDARD_DAY_OPENS: Final = 7  # hour
_STANDARD_DAY_CLOSES: Final = 20  # hour
_SUNDAY: Final = 6  # datetime.weekday()


def _without_spaces(value: str) -> str:
    return "".join(value.split())


# digit → digit sum of its double (7 → 14 → 5), as text: the Luhn "doubling" of one digit
_LUHN_DOUBLED: Final = str.maketrans("0123456789", "0246813579")


def _luhn_valid(digits: str) -> bool:
    """Luhn checksum: from the right, double every second digit, sum the digits, modulo 10.

    ``digits`` holds ASCII digits only (the callers check it first). The doubled digits are
    replaced by the digit sum of their double with one ``str.translate``, and the digits are
    summed as bytes (``ord("0")`` is 48): the same result as a loop over the digits, about
    three times faster, which counts for the SIRET of every record of a large import.
    """
    kept = digits[-1::-2].encode()
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED).encode()
    return (sum(kept) + sum(doubled) - 48 * len(digits)) % 10 == 0


# --- company identifiers ---------------------------------------------------------------------


def validate_siren(value: str) -> str:
    """Validate a SIREN (company identifier, 9 digits, Luhn check digit).

    Parameters
    ----------
    value : str
        The SIREN, spaces allowed (``"732 829 320"``).

    Returns
    -------
    str
        The 9 digits without spaces.

    Raises
    ------
    ValueError
        If it is not 9 digits or the Luhn check digit does not match.
    """
    digits = _without_spaces(value)
    if not _SIREN_RE.fullmatch(digits):
        raise ValueError("SIREN invalide : 9 chiffres attendus")
    if not _luhn_valid(digits):
        raise ValueError("SIREN invalide : la clé de contrôle (Luhn) ne correspond pas")
    return digits


def validate_siret(value: str) -> str:
    """Validate a SIRET (establishment identifier: SIREN + 5-digit NIC).

    The 14 digits must pass the Luhn checksum, and so must the SIREN (first 9 digits). La Poste
    (SIREN 356000000) numbers its many establishments without the Luhn key: for it, a SIRET is
    also valid when the sum of its 14 digits is a multiple of 5 (its head office,
    35600000000048, passes Luhn).

    Parameters
    ----------
    value : str
        The SIRET, spaces allowed (``"732 829 320 00074"``).

    Returns
    -------
    str
        The 14 digits without spaces.

    Raises
    ------
    ValueError
        If it is not 14 digits or a check digit does not match.
    """
    return _checked_siret(value)


@lru_cache(maxsize=1024)
def _checked_siret(value: str) -> str:
    """`validate_siret`, cached: an import checks each SIRET twice in a row (the reader, then
    the model's validator). Only valid values are cached (an error is not)."""
    digits = value
    if not _SIRET_RE.fullmatch(digits):  # else already the 14 digits, as most files write it
        digits = _without_spaces(value)
        if not _SIRET_RE.fullmatch(digits):
            raise ValueError("SIRET invalide : 14 chiffres attendus")
    if not (_luhn_valid(digits) or _la_poste_key_valid(digits)):
        raise ValueError("SIRET invalide : la clé de contrôle (Luhn) ne correspond pas")
    if not _luhn_valid(digits[:9]):
        raise ValueError(
            "SIRET invalide : la clé de contrôle du SIREN (9 premiers chiffres) ne correspond pas"
        )
    return digits


def _la_poste_key_valid(digits: str) -> bool:
    """La Poste's own rule for its SIRET (see `validate_siret`): digit sum multiple of 5."""
    return digits[:9] == _LA_POSTE_SIREN and (sum(digits.encode()) - 48 * len(digits)) % 5 == 0


# --- jobs and places -------------------------------------------------------------------------


def validate_rome_code(value: str) -> str:
    """Validate a ROME job code (France Travail's job directory, v3 and v4), e.g. ``D1106``.

    Parameters
    ----------
    value : str
        The code, any case, surrounding spaces allowed.

    Returns
    -------
    str
        The code in upper case: a domain letter from A to N followed by 4 digits.

    Raises
    ------
    ValueError
        If the code does not have that form.
    """
    code = value.strip()
    if not _ROME_RE.fullmatch(code):
        raise ValueError(
            "code ROME invalide (format attendu : une lettre de A à N "
            "suivie de 4 chiffres, ex. D1106)"
        )
    return code.upper()


def validate_code_insee(value: str) -> str:
    """Validate the form of a commune's code INSEE (code officiel géographique), e.g. ``30189``.

    Accepted: a metropolitan département (``01``-``95`` except ``20``, or ``2A``/``2B`` for
    Corsica) followed by a 3-digit commune number, or an overseas département ``971``-``976``
    or collectivity ``977``/``978`` (Saint-Barthélemy, Saint-Martin, which have INSEE codes
    and OpenStreetMap data) followed by a 2-digit commune number. Only the form is checked,
    not that the commune exists. The code INSEE is not the postcode (Nîmes: 30189, postcode 30000).

    Parameters
    ----------
    value : str
        The code; ``2a``/``2b`` are accepted for ``2A``/``2B``, surrounding spaces are removed.
        Leading zeros are significant and never added (``1053`` is refused, not read as
        ``01053``).

    Returns
    -------
    str
        The 5-character code, upper case.

    Raises
    ------
    ValueError
        If the code does not have that form.
    """
    code = value.strip()
    if not _CODE_INSEE_RE.fullmatch(code):
        raise ValueError(
            "code INSEE invalide (5 caractères attendus : le département "
            "puis le numéro de commune, ex. 30189 pour Nîmes, 2A004 pour Ajaccio)"
        )
    return code.upper()


# --- French level ----------------------------------------------------------------------------


def french_level_rank(level: str) -> int:
    """Rank of a French level in :data:`FRENCH_LEVELS`, to compare levels.

    Parameters
    ----------
    level : str
        ``A0`` (no French yet), ``A1``, ``A2``, ``B1``, ``B2``, ``C1`` or ``C2``; any case.

    Returns
    -------
    int
        0 for ``A0`` up to 6 for ``C2``: a person at rank ``r`` meets a requirement of rank
        ``q`` when ``r >= q``.

    Raises
    ------
    ValueError
        For any other value.
    """
    normalised = level.strip().upper()
    if normalised not in FRENCH_LEVELS:
        raise ValueError(
            "niveau de français inconnu (niveaux attendus : "
            f"{', '.join(FRENCH_LEVELS)} ; A0 = pas encore de français)"
        )
    return FRENCH_LEVELS.index(normalised)


# --- opening hours ---------------------------------------------------------------------------


def validate_opening_hours(value: str) -> str:
    """Validate hours written in the OpenStreetMap ``opening_hours`` syntax.

    Examples of valid values: ``Mo-Fr 08:30-12:00,13:30-17:00``, ``Mo-Sa 09:00-19:00; PH off``,
    ``24/7``, ``Mo-Fr 22:00-06:00``. The syntax is the one of
    https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification, as implemented by the
    ``opening_hours`` package (lower-case day names are tolerated).

    Parameters
    ----------
    value : str
        The expression; surrounding whitespace is removed.

    Returns
    -------
    str
        The stripped expression, otherwise unchanged (not normalised).

    Raises
    ------
    ValueError
        If the expression is empty or not valid ``opening_hours`` syntax (e.g. ``Mo-Fr 8h-16h``).
    """
    import opening_hours

    text = value.strip()
    if not text:
        # The parser reads a blank string as "24/7": refuse it before.
        raise ValueError(f"horaires invalides : valeur vide ({_OPENING_HOURS_HINT})")
    if not opening_hours.validate(text):
        raise ValueError(f"horaires invalides ({_OPENING_HOURS_HINT})")
    return text


def has_atypical_hours(value: str) -> bool:
    """Whether hours include "horaires décalés" (atypical hours), e.g. for a crèche or a job.

    Definition: the place is open at some moment outside the standard day, which is
    Monday to Saturday (jours ouvrables), 07:00 to 20:00 local time. So it is atypical when open
    before 07:00 or after 20:00 on any day, or open at all on a Sunday. Opening exactly at
    07:00 or closing exactly at 20:00 is standard.

    The expression is evaluated over a fixed reference week (Monday 4 to Monday 11 March 2024,
    no public holiday, no clock change), including intervals that span midnight
    (``Mo-Fr 22:00-06:00``). Only the "open" state counts: ``unknown`` periods (e.g.
    ``Mo-Fr 09:00-12:00 unknown``) are not openings. Rules limited to dates (months, weeks,
    years) are evaluated as they apply to that week; solar times (``sunrise``) use the
    parser's defaults (07:00 and 19:00) as no coordinates are given.

    Parameters
    ----------
    value : str
        OpenStreetMap ``opening_hours`` expression, see :func:`validate_opening_hours`.

    Returns
    -------
    bool
        ``True`` for ``Mo-Fr 06:00-14:00``, ``Su 10:00-12:00``, ``24/7``; ``False`` for
        ``Mo-Sa 09:00-19:00``.

    Raises
    ------
    ValueError
        If the expression is invalid.
    """
    intervals = _reference_week_open_intervals(validate_opening_hours(value))
    return not all(_within_standard_day(start, end) for start, end in intervals)


def opening_hours_weekly_minutes(value: str) -> float:
    """Total open time in one week, in minutes.

    Evaluated over the same reference week and with the same conventions as
    :func:`has_atypical_hours` (only the "open" state counts; a night span such as
    ``Fr 22:00-06:00`` counts fully). ``Mo-Fr 09:00-17:00`` gives 2400.0 (40 h); ``24/7`` gives
    10080.0.

    Parameters
    ----------
    value : str
        OpenStreetMap ``opening_hours`` expression, see :func:`validate_opening_hours`.

    Returns
    -------
    float
        Minutes, between 0 and 10080 (7 x 24 x 60).

    Raises
    ------
    ValueError
        If the expression is invalid.
    """
    intervals = _reference_week_open_intervals(validate_opening_hours(value))
    return sum((end - start).total_seconds() for start, end in intervals) / 60


_DAY_NAMES: Final = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def opening_hours_in_french(value: str) -> str:
    """The weekly openings of an ``opening_hours`` expression, in French words.

    Read over the same reference week as :func:`has_atypical_hours` (so any valid expression
    is described, whatever its syntax); days with the same openings are grouped, consecutive
    ones as a range. An interval that runs past midnight is told on the day it starts.

    Parameters
    ----------
    value : str
        OpenStreetMap ``opening_hours`` expression, see :func:`validate_opening_hours`.

    Returns
    -------
    str
        ``"Mo-Fr 08:30-12:00,14:00-17:00; Sa 09:00-12:00"`` →
        « du lundi au vendredi de 8 h 30 à 12 h et de 14 h à 17 h ; le samedi de 9 h à 12 h » ;
        ``"24/7"`` → « tous les jours, 24 h sur 24 » ; never open → « fermé toute la semaine ».

    Raises
    ------
    ValueError
        If the expression is invalid.
    """
    text = validate_opening_hours(value)
    if opening_hours_weekly_minutes(text) >= 7 * 24 * 60:
        return "tous les jours, 24 h sur 24"
    by_day: list[list[str]] = [[] for _ in _DAY_NAMES]
    for start, end in _week_openings(text):
        # Up to a day long: told on the day it starts (« de 22 h à 6 h »); longer: day by day.
        pieces = [(start, end)] if end - start <= timedelta(days=1) else _day_pieces(start, end)
        for piece_start, piece_end in pieces:
            day = (piece_start - _REFERENCE_WEEK_START).days % 7
            by_day[day].append(_span_text(piece_start, piece_end))
    days_of: dict[str, list[int]] = {}
    for day, spans in enumerate(by_day):
        if spans:
            days_of.setdefault(" et ".join(spans), []).append(day)
    if not days_of:
        return "fermé toute la semaine"
    return " ; ".join(f"{_days_text(days)} {text}" for text, days in days_of.items())


def _clock(moment: datetime) -> str:
    """« 8 h 30 », « 17 h »."""
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"


def _week_openings(text: str) -> list[tuple[datetime, datetime]]:
    """Open intervals starting in the reference week, not cut at its end (Sunday night's
    opening runs into Monday); one continuing from the Sunday before is told on that Sunday."""
    import opening_hours

    schedule = opening_hours.OpeningHours(text)
    before, after = (
        _REFERENCE_WEEK_START - timedelta(days=1),
        _REFERENCE_WEEK_END + timedelta(days=1),
    )
    return [
        (start, end)
        for start, end, state, _comment in schedule.intervals(before, after)
        if state == opening_hours.State.OPEN
        and _REFERENCE_WEEK_START <= start < _REFERENCE_WEEK_END
    ]


def _day_pieces(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut at each midnight."""
    pieces = []
    while start < end:
        midnight = start.replace(hour=0, minute=0) + timedelta(days=1)
        pieces.append((start, min(end, midnight)))
        start = midnight
    return pieces


def _span_text(start: datetime, end: datetime) -> str:
    """« de 8 h 30 à 12 h », « de 22 h à 24 h », « toute la journée »."""
    midnight = start.replace(hour=0, minute=0) + timedelta(days=1)
    if end == midnight:
        return (
            "toute la journée"
            if (start.hour, start.minute) == (0, 0)
            else (f"de {_clock(start)} à 24 h")
        )
    return f"de {_clock(start)} à {_clock(end)}"


def _days_text(days: list[int]) -> str:
    """« du lundi au mercredi et le vendredi » for days 0, 1, 2 and 4 (0 is Monday)."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"du {_DAY_NAMES[run[0]]} au {_DAY_NAMES[run[-1]]}")
        else:
            parts.extend(f"le {_DAY_NAMES[day]}" for day in run)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


@lru_cache(maxsize=2048)
def _reference_week_open_intervals(text: str) -> tuple[tuple[datetime, datetime], ...]:
    """Open ``[start, end)`` intervals of a valid expression, clipped to the reference week."""
    import opening_hours

    schedule = opening_hours.OpeningHours(text)
    return tuple(
        (max(start, _REFERENCE_WEEK_START), min(end, _REFERENCE_WEEK_END))
        for start, end, state, _comment in schedule.intervals(
            _REFERENCE_WEEK_START, _REFERENCE_WEEK_END
        )
        if state == opening_hours.State.OPEN and start < end
    )


def _within_standard_day(start: datetime, end: datetime) -> bool:
    """Whether ``[start, end)`` lies inside one Monday-Saturday 07:00-20:00 window."""
    day_opens = start.replace(hour=_STANDARD_DAY_OPENS, minute=0, second=0, microsecond=0)
    day_closes = start.replace(hour=_STANDARD_DAY_CLOSES, minute=0, second=0, microsecond=0)
    return start.weekday() != _SUNDAY and day_opens <= start and end <= day_closes
