"""app.term_planning.roster_view: the current roster by name, never a what-if run; the stored scopes."""
from __future__ import annotations

from sqlalchemy import select

from app.term_planning import roster_view, stored_roster_scopes
from models import Plan
from models.db import session_scope
from tests.web.conftest import build_district, run_cli


def test_the_roster_page_reads_the_current_plan_by_name_and_never_a_scenario(tmp_path, monkeypatch):
    monkeypatch.delenv("XUEQU_DATABASE_URL", raising=False)  # put back after `--db` below points the process at it
    url = f"sqlite:///{tmp_path / 'x.db'}"
    build_district(url, tmp_path)  # C1, 2026 term 1: version 1
    before = roster_view(2026, 1, "C1", url=url)
    assert before.version == 1 and before.cluster_name == "城关第一学区"
    assert {r.teacher_name for r in before.rows} >= {"张伟", "刘洋"}
    assert all(r.from_school_name != r.from_school_id and r.to_school_name != r.to_school_id for r in before.rows)
    assert before.shortfalls  # the mini district cannot meet the default policy: said, not hidden

    run_cli("rotation", "whatif", "无干部交流", "--year", "2026", "--term", "1", "--cluster", "C1", "--db", url,
            "--time-limit", "5")
    with session_scope(url) as session:
        assert session.scalars(select(Plan.status).where(Plan.kind == "rotation").order_by(Plan.plan_id)).all() == [
            "draft", "scenario"]
    after = roster_view(2026, 1, "C1", url=url)
    assert (after.version, after.rows) == (1, before.rows)  # the scenario is stored beside it, not as it
    assert stored_roster_scopes(url) == [(2026, 1, "C1")]
    assert roster_view(2026, 2, "C1", url=url) is None and roster_view(2026, 1, "C2", url=url) is None
