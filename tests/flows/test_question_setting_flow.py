"""The exam season's setting and approval stages: pause, timeout, review, rerun."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from flows.exam_season import exam_season
from app.paper_setting import exam_context
from flows.question_setting import PaperReview, apply_review, submit_review
from models import Paper, SeasonStage
from models.db import session_scope


def season_exam_id(url: str) -> str:
    from models import ExamSession

    with session_scope(url) as session:
        return session.scalars(select(ExamSession.exam_id).limit(1)).one()


def papers(url: str, exam_id: str) -> list[tuple[str, int, str]]:
    with session_scope(url) as session:
        return [(p.subject, p.version, p.status) for p in session.scalars(
            select(Paper).where(Paper.exam_id == exam_id).order_by(Paper.subject, Paper.version))]


def test_season_waits_for_review_then_continues_and_reruns_change_nothing(demo_db):
    exam_id = season_exam_id(demo_db)
    first = exam_season(exam_id, db_url=demo_db, approval_timeout_s=2)
    assert [s.stage for s in first.stages] == ["setting", "approval"]
    assert first.stages[0].status == "done", first.stages[0].message
    assert first.status == "waiting" and "xuequ paper approve" in first.stages[1].message
    subjects = exam_context(demo_db, exam_id)["subjects"]
    assert {(s, 1, "draft") for s in subjects} == set(papers(demo_db, exam_id))
    with session_scope(demo_db) as session:
        assert session.get(SeasonStage, (exam_id, "approval")).status == "waiting"

    for subject in subjects:  # the research office approves from the command line, no server running
        assert "已由 李老师 批准并锁定" in submit_review(exam_id, subject, PaperReview(reviewer="李老师"), demo_db)
    second = exam_season(exam_id, db_url=demo_db, approval_timeout_s=2)
    assert second.stages[0].status == "already-done"
    assert second.stages[1].status == "done"
    locked = papers(demo_db, exam_id)
    assert {status for _, _, status in locked} == {"locked"}

    third = exam_season(exam_id, db_url=demo_db, approval_timeout_s=2)
    assert [s.status for s in third.stages[:2]] == ["already-done", "already-done"]
    assert papers(demo_db, exam_id) == locked  # rerunning finished stages changes nothing


def test_paused_review_resumes_with_the_reviewers_input(demo_db):
    """The approval flow pauses with wait_for_input; a swap re-assembles, an approval locks."""
    from prefect import get_client  # noqa: F401
    from prefect.client.orchestration import get_client as client_factory
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import resume_flow_run

    from flows.question_setting import paper_approval, question_setting

    exam_id = season_exam_id(demo_db)
    assert question_setting(exam_id, db_url=demo_db).status == "done"
    subjects = exam_context(demo_db, exam_id)["subjects"]
    for subject in subjects[1:]:  # only the first subject is reviewed through the pause
        apply_review(demo_db, exam_id, subject, PaperReview())
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=paper_approval(
        exam_id, db_url=demo_db, timeout_s=120)))
    runner.start()

    def paused_runs():
        with client_factory(sync_client=True) as client:
            return client.read_flow_runs(flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))

    def wait_for_pause(key: str):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            for run in paused_runs():
                if run.state.state_details.pause_key == key:
                    return run
            time.sleep(0.5)
        raise AssertionError(f"no run paused at {key}")

    subject = subjects[0]
    run = wait_for_pause(f"review-{subject}-v1")
    with session_scope(demo_db) as session:
        first_items = [i.item_id for i in session.scalars(select(Paper).where(
            Paper.exam_id == exam_id, Paper.subject == subject)).one().items]
    resume_flow_run(run.id, run_input={"decision": "swap", "reviewer": "王老师", "comment": "换掉第1题",
                                       "remove_items": [first_items[0]]})
    run = wait_for_pause(f"review-{subject}-v2")
    resume_flow_run(run.id, run_input={"decision": "approve", "reviewer": "王老师"})
    runner.join(timeout=120)
    assert outcome["result"].status == "done"
    with session_scope(demo_db) as session:
        versions = session.scalars(select(Paper).where(Paper.exam_id == exam_id, Paper.subject == subject)
                                   .order_by(Paper.version)).all()
        assert [(p.version, p.status) for p in versions] == [(1, "rejected"), (2, "locked")]
        new_items = [i.item_id for i in versions[1].items]
        assert first_items[0] not in new_items
        assert len(set(first_items) & set(new_items)) >= len(first_items) // 2  # a swap, not a new paper
        assert versions[0].review_comment == "换掉第1题"
        assert session.scalar(select(func.count()).select_from(Paper).where(Paper.status == "locked")) == len(subjects)


def test_a_subject_whose_bank_cannot_make_a_paper_blocks_setting_and_is_named(demo_db):
    from models import Item

    exam_id = season_exam_id(demo_db)
    subjects = exam_context(demo_db, exam_id)["subjects"]
    with session_scope(demo_db) as session:  # the english bank loses its items of this grade
        grade = exam_context(demo_db, exam_id)["grade"]
        for item in session.scalars(select(Item).where(Item.subject == "english", Item.grade == grade)):
            item.grade = grade + 5
    from flows.question_setting import question_setting

    outcome = question_setting(exam_id, db_url=demo_db)
    assert outcome.status == "blocked"
    assert outcome.message.startswith("英语（english）: ") and "题库中没有" in outcome.message
    made = {subject for subject, _, _ in papers(demo_db, exam_id)}
    assert made == set(subjects) - {"english"}  # the other subjects' drafts are kept


# --- a review never leaves a subject without a paper; `xuequ paper assemble` sets one again ---------

def _first_subject_draft(url: str) -> tuple[str, str, list[str]]:
    """A draft of the exam's first subject, set with `assemble_again` (no flow run needed): exam, subject, items."""
    from app.paper_setting import assemble_again

    exam_id = season_exam_id(url)
    subject = exam_context(url, exam_id)["subjects"][0]
    made, summary = assemble_again(url, exam_id, subject)
    assert made, summary
    with session_scope(url) as session:
        paper = session.scalars(select(Paper).where(Paper.exam_id == exam_id, Paper.subject == subject)).one()
        return exam_id, subject, [i.item_id for i in paper.items]


def _starve_cell_of(url: str, item_id: str, paper_items: list[str]) -> str:
    """Move every other bank item of `item_id`'s blueprint cell out of the grade, so nothing can replace
    it; returns the cell's knowledge area."""
    from models import Item

    with session_scope(url) as session:
        item = session.get(Item, item_id)
        for other in session.scalars(select(Item).where(
                Item.subject == item.subject, Item.grade == item.grade, Item.knowledge_area == item.knowledge_area,
                Item.cognitive_level == item.cognitive_level, Item.item_type == item.item_type,
                Item.item_id.not_in(paper_items))):
            other.grade = item.grade + 5
        return item.knowledge_area


def test_a_swap_the_blueprint_can_absorb_replaces_the_item_in_a_new_draft(demo_db):
    exam_id, subject, items = _first_subject_draft(demo_db)
    summary = apply_review(demo_db, exam_id, subject, PaperReview(decision="swap", reviewer="王老师",
                                                                  remove_items=[items[0]]))
    assert "已换题" in summary and "新草稿 第 2 版" in summary, summary
    assert papers(demo_db, exam_id) == [(subject, 1, "rejected"), (subject, 2, "draft")]
    with session_scope(demo_db) as session:
        new_items = [i.item_id for i in session.scalars(select(Paper).where(Paper.version == 2)).one().items]
    assert items[0] not in new_items and len(set(items) & set(new_items)) >= len(items) // 2


def test_a_swap_the_blueprint_cannot_absorb_keeps_the_draft_and_says_which_cell_is_short(demo_db):
    from models import AuditEntry

    exam_id, subject, items = _first_subject_draft(demo_db)
    area = _starve_cell_of(demo_db, items[0], items)
    summary = apply_review(demo_db, exam_id, subject, PaperReview(decision="swap", reviewer="王老师",
                                                                  remove_items=[items[0]]))
    assert papers(demo_db, exam_id) == [(subject, 1, "draft")]  # still a paper, still waiting for review
    assert "仍为待审草稿" in summary and items[0] in summary
    assert f"「{area} ×" in summary and "缺" in summary  # which blueprint cell, how many points short
    assert f"xuequ paper assemble --exam {exam_id} --subject {subject}" in summary
    english = apply_review(demo_db, exam_id, subject, PaperReview(decision="swap", remove_items=[items[0]]), "en")
    assert "stays a draft" in english and f"cell [{area} ×" in english
    with session_scope(demo_db) as session:
        refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "swap-not-applied")).all()
        assert len(refused) == 2 and refused[0].detail["remove_items"] == [items[0]]

    # A rejection needs a paper without any of the draft's items: the starved cell has none either.
    rejected = apply_review(demo_db, exam_id, subject, PaperReview(decision="reject", comment="太难"))
    assert "驳回未生效" in rejected and f"「{area} ×" in rejected
    assert papers(demo_db, exam_id) == [(subject, 1, "draft")]


def test_paper_assemble_sets_a_paper_again_for_a_subject_left_without_one(demo_db, monkeypatch):
    from typer.testing import CliRunner

    from models.papers import latest_paper, review_paper
    from service.cli import app

    exam_id, subject, items = _first_subject_draft(demo_db)
    with session_scope(demo_db) as session:  # how older versions left a subject: rejected, no draft
        review_paper(session, latest_paper(session, exam_id, subject), decision="reject", reviewer="教研室")
    assert "paper assemble" in submit_review(exam_id, subject, PaperReview(), demo_db)

    monkeypatch.setenv("XUEQU_DATABASE_URL", demo_db)
    result = CliRunner().invoke(app, ["paper", "assemble", "--exam", exam_id, "--subject", subject, "--db", demo_db])
    assert result.exit_code == 0, result.output
    assert "v2" in result.output and "待审核" in result.output
    assert papers(demo_db, exam_id) == [(subject, 1, "rejected"), (subject, 2, "draft")]
    with session_scope(demo_db) as session:
        kept = {i.item_id for i in latest_paper(session, exam_id, subject).items}
    assert len(kept & set(items)) >= len(items) // 2  # the closest paper to the last one, not a new one

    assert "approved and locked" in submit_review(exam_id, subject, PaperReview(), demo_db, lang="en")
    locked = CliRunner().invoke(app, ["paper", "assemble", "--exam", exam_id, "--subject", subject, "--db", demo_db])
    assert locked.exit_code == 1 and "已批准并锁定" in locked.output
    assert papers(demo_db, exam_id)[-1] == (subject, 2, "locked")


def _wait_for_pause(key: str, timeout_s: float = 90):
    """The paused flow run waiting at pause key `key` (polls the test harness's API)."""
    from prefect.client.orchestration import get_client as client_factory
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with client_factory(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
        for run in runs:
            if run.state.state_details.pause_key == key:
                return run
        time.sleep(0.5)
    raise AssertionError(f"no run paused at {key}")


def test_a_refused_swap_in_the_paused_run_pauses_again_and_the_cli_reaches_it(demo_db):
    """The paused run keeps the draft after a swap it cannot absorb, pauses again on the same version
    (a new pause key: Prefect would replay the old input on the same key), and `paper approve` finds it."""
    from prefect.flow_runs import resume_flow_run

    from flows.question_setting import paper_approval, question_setting

    exam_id = season_exam_id(demo_db)
    assert question_setting(exam_id, db_url=demo_db).status == "done"
    subjects = exam_context(demo_db, exam_id)["subjects"]
    for subject in subjects[1:]:
        apply_review(demo_db, exam_id, subject, PaperReview())
    subject = subjects[0]
    with session_scope(demo_db) as session:
        items = [i.item_id for i in session.scalars(select(Paper).where(
            Paper.exam_id == exam_id, Paper.subject == subject)).one().items]
    _starve_cell_of(demo_db, items[0], items)
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=paper_approval(
        exam_id, db_url=demo_db, timeout_s=120)), daemon=True)  # daemon: a failed test must not hang the session
    runner.start()
    resume_flow_run(_wait_for_pause(f"review-{subject}-v1").id,
                    run_input={"decision": "swap", "reviewer": "王老师", "remove_items": [items[0]]})
    _wait_for_pause(f"review-{subject}-v1-r1")
    assert [p for p in papers(demo_db, exam_id) if p[0] == subject] == [(subject, 1, "draft")]  # kept, waiting
    sent = submit_review(exam_id, subject, PaperReview(reviewer="王老师"), demo_db)
    assert "review sent to the waiting flow run" in sent, sent
    runner.join(timeout=120)
    assert outcome["result"].status == "done", outcome["result"].message
    assert (subject, 1, "locked") in papers(demo_db, exam_id)
