"""``maillage network purge-flows``: the orientation counts past the retention go, the others
stay, and the command says how many and from which day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from graph.flows import add_months, month_end, retention_cutoff
from graph.models import RelationFields
from service.cli.main import app
from service.migrate import upgrade
from service.store import records
from service.tables import Partner, Relation, RelationFlow
from tests.conftest import partner_fields

runner = CliRunner()


def test_counts_older_than_the_retention_are_purged(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_FLOW_RETENTION_MONTHS", "12")
    today = dt.datetime.now(dt.UTC).date()
    cutoff = retention_cutoff(today, 12)
    engine = create_engine(env)
    upgrade(engine)
    with Session(engine) as session:
        chrs, aci = Partner(), Partner()
        records.apply_partner(chrs, partner_fields(name="CHRS (fictif)"))
        records.apply_partner(aci, partner_fields(name="ACI (fictif)", kind="aci"))
        session.add_all([chrs, aci])
        session.flush()
        relation = Relation(source_partner_id=chrs.id, target_partner_id=aci.id)
        records.apply_relation(relation, RelationFields.model_validate({"kind": "oriente-vers"}))
        session.add(relation)
        session.flush()
        for first in (add_months(cutoff, -1), cutoff, add_months(today, -1)):
            session.add(
                RelationFlow(
                    relation_id=relation.id,
                    period_start=first,
                    period_end=month_end(first),
                    sent=7,
                    source="declared",
                )
            )
        session.commit()
    result = runner.invoke(app, ["network", "purge-flows"])
    assert result.exit_code == 0, result.output
    assert "1 période(s)" in result.output
    assert f"{cutoff:%d/%m/%Y}" in result.output
    with Session(engine) as session:
        kept = sorted(session.scalars(select(RelationFlow.period_start)))
    engine.dispose()
    assert kept == sorted([cutoff, add_months(today, -1)])
