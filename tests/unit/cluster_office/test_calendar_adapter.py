"""The ledger reads helper `cal`'s calendar through `models.calendar.activities` when it is there,
and counts nothing (no error) while it is not."""
from __future__ import annotations

import datetime as dt
import sys
import types
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.ledger import load_activities


@dataclass(frozen=True)
class CalRecord:  # the fields of h-cal's models.calendar.ActivityRecord the ledger reads
    cluster_id: str
    school_year: int
    term: int
    activity_id: str
    kind: str
    subject: str
    date: dt.date
    host_school_id: str
    teacher_ids: tuple[str, ...]
    presenter_id: str | None
    status: str


def test_activities_come_from_the_calendar_repository_or_nothing(monkeypatch):
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        monkeypatch.delitem(sys.modules, "models.calendar", raising=False)
        fake = types.ModuleType("models.calendar")
        asked = {}

        def activities(session, cluster_id=None, year=None, term=None):
            asked.update(cluster_id=cluster_id, year=year)
            return [CalRecord("C1", 2026, 1, "a1", "demo_lesson", "math", dt.date(2026, 10, 9), "S3", ("T1", "T2"),
                              "T1", "held"),
                    CalRecord("C1", 2026, 1, "a2", "joint_meeting", "", dt.date(2026, 10, 5), "S1", (), None, "planned")]

        fake.activities = activities  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "models.calendar", fake)
        import models
        monkeypatch.setattr(models, "calendar", fake, raising=False)
        found = load_activities(session, "C1", 2026)
        assert asked == {"cluster_id": "C1", "year": 2026}
        assert [(a.activity_id, a.kind, a.subject, a.term, a.presenter_id, a.status) for a in found] == [
            ("a1", "demo_lesson", "math", 1, "T1", "held"), ("a2", "joint_meeting", None, 1, None, "planned")]

        def missing_table(session, **_):
            return session.execute(text("select * from calendar_activity")).all()

        fake.activities = missing_table  # type: ignore[attr-defined]
        assert load_activities(session, "C1", 2026) == []
        assert session.execute(text("select 1")).scalar() == 1  # the session is still usable
