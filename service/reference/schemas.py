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
