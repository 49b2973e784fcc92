"""The bodies of ``/v1/reference/...``: one code, its French label, its description."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReferenceItem(BaseModel):
    code: str
    label: str
    description: str = ""


class KindItem(BaseModel):
    code: str
    label: str
    family: str
    family_label: str
    data_inclusion: bool = Field(description="code du référentiel data·inclusion v1")


class JobTitleOut(BaseModel):
    """Un intitulé de métier du ROME 4.0 (une appellation) et son code ROME."""

    code_ogr: str = Field(description="identifiant France Travail de l'intitulé (code OGR)")
    label: str = Field(description="intitulé, ex. « Employé / Employée de libre-service »")
    code_rome: str = Field(
        description="code ROME de l'intitulé (un des 532 codes classiques), celui que la mise "
        "en relation et les offres emploient, ex. D1507"
    )
    rome_label: str = Field(description="libellé de ce code ROME")
    code_fiche: str = Field(
        description="fiche ROME 4.0 de l'intitulé ; le plus souvent égale à code_rome"
    )
    rare: bool = Field(description="intitulé peu usité selon France Travail (classé après)")


class JobSearch(BaseModel):
    """Les intitulés qui répondent aux mots donnés, du plus courant au plus rare."""

    source: str | None = Field(
        description="mention de la source, ex. « Source : France Travail, ROME 4.0 v460 "
        "(sept. 2025) » ; vide quand le référentiel n'est pas chargé"
    )
    version: str | None = Field(description="version du ROME chargée, ex. v460")
    notice: str | None = Field(description="ce qui manque, quand le référentiel n'est pas chargé")
    results: list[JobTitleOut]
