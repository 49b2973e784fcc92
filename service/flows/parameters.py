"""The flows feature's query parameters and request bodies: bounded, cross-checked, in French."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, model_validator

from graph.flows import FlowCounts, month_end, period_shape_problems
from graph.inputs import Date, InputModel, Integer
from graph.models import RelationKind

MAX_COUNT = 1_000_000
"""No relation carries more orientations in a year; a larger number is a typing mistake."""

Count = Annotated[Integer, Field(ge=0, le=MAX_COUNT)]

PERIOD_RULES = (
    "période de mois entiers : period_start le premier jour d'un mois, period_end le dernier "
    "jour d'un mois (défaut : la fin du mois de period_start), au plus 12 mois, pas à venir, "
    "pas finie avant la durée de conservation (422 sinon)"
)


def _split_commas(value: Any) -> Any:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [part.strip() for item in items for part in str(item).split(",")]


class FlowDeclaration(InputModel):
    """Les comptes d'orientations d'une relation pour une période de mois entiers : des
    nombres, jamais une personne. Un compte absent du corps garde sa valeur enregistrée ;
    ``null`` l'efface (non déclaré, ce qui n'est pas zéro)."""

    period_start: Date = Field(description="premier jour d'un mois (AAAA-MM-01)")
    period_end: Date | None = Field(
        None,
        description="dernier jour d'un mois, au plus 12 mois après period_start ; absent : la "
        "fin du mois de period_start",
    )
    sent: Count | None = Field(
        None, description="orientations envoyées par la structure source de la relation"
    )
    received: Count | None = Field(
        None, description="orientations reçues par la structure cible de la relation"
    )
    accepted: Count | None = Field(
        None, description="orientations acceptées parmi les reçues (au plus received, 422 sinon)"
    )

    @model_validator(mode="after")
    def _whole_months(self) -> Self:
        problems = period_shape_problems(self.period_start, self.end)
        if problems:
            raise ValueError(problems[0])
        return self

    @property
    def end(self) -> dt.date:
        """``period_end``, or the end of ``period_start``'s month."""
        return self.period_end if self.period_end is not None else month_end(self.period_start)

    def counts_over(self, stored: FlowCounts | None) -> FlowCounts:
        """The counts once this declaration is applied to the ``stored`` ones."""
        given = self.model_fields_set
        base = stored or FlowCounts()
        return FlowCounts(
            sent=self.sent if "sent" in given else base.sent,
            received=self.received if "received" in given else base.received,
            accepted=self.accepted if "accepted" in given else base.accepted,
        )


class PeriodQuery(InputModel):
    """Une période déclarée d'une relation, désignée par son premier jour."""

    period_start: Date = Field(description="premier jour de la période (AAAA-MM-01)")


class FlowWindow(InputModel):
    """Les comptes des périodes comprises entre ``since`` et ``until`` (incluses) ; une période
    à cheval sur une borne est laissée de côté, jamais coupée."""

    since: Date | None = Field(None, description="début de la fenêtre (AAAA-MM-JJ) ; absent : tout")
    until: Date | None = Field(
        None, description="fin de la fenêtre (AAAA-MM-JJ), pas avant since (422 sinon)"
    )
    kinds: Annotated[list[RelationKind], BeforeValidator(_split_commas)] = Field(
        default_factory=list,
        description="types de relation (oriente-vers, prescrit…) ; vide : tous",
    )
    partner_id: uuid.UUID | None = Field(
        None, description="seulement les relations de ce partenaire (source ou cible)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.since and self.until and self.until < self.since:
            raise ValueError("la date de fin précède la date de début")
        return self
