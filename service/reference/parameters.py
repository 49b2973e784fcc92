"""The reference feature's query parameters (422 in French)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from graph.inputs import NOT_BLANK, Documented, InputModel

MAX_JOBS = 50


class JobQuery(InputModel):
    """Words of a job title, as a counsellor types them."""

    q: Annotated[str, Documented(lambda: {"pattern": NOT_BLANK})] = Field(
        min_length=1,
        max_length=200,
        description="mots de l'intitulé, sans tenir compte des accents ni des majuscules ; le "
        "dernier peut être le début d'un mot (« aide soig ») ; un code ROME (« D1507 ») donne "
        "ses intitulés",
    )
    limit: int = Field(10, ge=1, le=MAX_JOBS, description="nombre d'intitulés (50 au plus)")
