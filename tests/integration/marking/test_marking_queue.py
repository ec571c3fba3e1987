"""The marking queue on SQLite and PostgreSQL: open, lease, submit, expire, third marks, arbitration."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import delete, func, insert, select, update

from marking.policy import MarkingPolicy
from marking.queue import (AlreadyMarked, LeaseLost, current_lease, lease_next, open_marking, reclaim_expired_leases,
                           release_lease, submit_mark)
from marking.rules import InvalidScores
from marking.sample import SampleItem, build_sample_exam
from models.db import session_scope
from models.exams import Response
from models.marking import MarkingGroup, MarkingMark, MarkingScript, MarkingTask

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)  # one group, Q1: max 10, step 1, tolerance 1
ADJACENT = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}})  # a script's two marks next in the queue


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_open_creates_one_anonymous_script_per_student_and_group_and_is_idempotent(migrated_db):
    with session_scope(migrated_db) as session:
        sample = build_sample_exam(session, students_per_school=4)
    late = sample.student_ids[0]
    with session_scope(migrated_db) as session:
        session.execute(delete(Response).where(Response.student_id == late))
    with session_scope(migrated_db) as session:
        first = open_marking(session, sample.exam_id)
    assert first.groups == [("math", "G1"), ("math", "Q7")]
    assert (first.scripts, first.tasks, first.double_marked) == (22, 44, 22)
    with session_scope(migrated_db) as session:
        scripts = session.scalars(select(MarkingScript)).all()
        assert len({s.code for s in scripts}) == 22
        assert all(s.student_id not in s.code and s.school_id not in s.code for s in scripts)
        g1 = session.get(MarkingGroup, (sample.exam_id, "math", "G1"))
        assert [(i["item_id"], i["max_score"], i["score_step"], i["tolerance"]) for i in g1.items] == [
            ("S-I05", 10.0, 1.0, 1.0), ("S-I06", 6.0, 0.5, 0.5)]
        late_rows = sample.responses[sample.responses["student_id"] == late].to_dict("records")
        session.execute(insert(Response), late_rows)
    with session_scope(migrated_db) as session:
        second = open_marking(session, sample.exam_id)
        third = open_marking(session, sample.exam_id)
    assert (second.scripts, second.already_open) == (2, 22)
    assert third.scripts == 0


def test_a_marker_never_gets_a_script_of_their_school_nor_the_same_script_twice(small_exam):
    marker = small_exam.markers("Q7", school="S-SCH1")[0]
    seen = []
    with small_exam.session() as session:
        while (lease := lease_next(session, marker)) is not None:
            seen.append(lease.script_id)
            submit_mark(session, marker, lease.task_id, {"S-I07": 4})
        schools = dict(session.execute(select(MarkingScript.script_id, MarkingScript.school_id)).tuples().all())
        waiting_own = count(session, MarkingTask, MarkingTask.item_group == "Q7", MarkingTask.state == "waiting",
                            MarkingTask.school_id == "S-SCH1")
    assert len(seen) == len(set(seen)) == 8  # every script of the two other schools, once
    assert {schools[s] for s in seen} == {"S-SCH2", "S-SCH3"}
    assert waiting_own == 8  # school 1's scripts wait for markers of other schools


def test_submit_is_idempotent_and_only_the_holder_may_submit(small_exam):
    a, b = small_exam.markers("Q7", school="S-SCH1")
    other_group = small_exam.markers("G1", school="S-SCH2")[0]
    with small_exam.session() as session:
        lease = lease_next(session, a)
        first = submit_mark(session, a, lease.task_id, {"S-I07": 5})
        again = submit_mark(session, a, lease.task_id, {"S-I07": 5})
        assert (again.duplicate, again.mark_id, first.duplicate) == (True, first.mark_id, False)
        assert count(session, MarkingMark, MarkingMark.task_id == lease.task_id) == 1
        held = lease_next(session, a)
        with pytest.raises(LeaseLost):
            submit_mark(session, b, held.task_id, {"S-I07": 5})
        with pytest.raises(LeaseLost):  # another group's marker cannot touch it either
            submit_mark(session, other_group, held.task_id, {"S-I05": 1, "S-I06": 1})
        assert submit_mark(session, a, held.task_id, {"S-I07": 6}).mark_id > first.mark_id


def test_invalid_scores_write_nothing(small_exam):
    marker = small_exam.markers("G1", school="S-SCH1")[0]
    with small_exam.session() as session:
        lease = lease_next(session, marker)
        for scores in ({"S-I05": 11, "S-I06": 1}, {"S-I05": 1, "S-I06": 1.25}, {"S-I05": 1},
                       {"S-I05": 1, "S-I06": 1, "S-I07": 1}):
            with pytest.raises(InvalidScores):
                submit_mark(session, marker, lease.task_id, scores)
        assert count(session, MarkingMark) == 0
        state = session.scalar(select(MarkingTask.state).where(MarkingTask.task_id == lease.task_id))
        assert state == "leased"
        assert submit_mark(session, marker, lease.task_id, {"S-I05": 7, "S-I06": 2.5}).script_status == "marking"


def test_an_expired_lease_returns_to_the_queue_and_a_late_submit_is_refused(make_exam):
    policy = MarkingPolicy.from_dict({"queue": {"lease_seconds": 30, "reclaim_interval_seconds": 0}})
    exam = make_exam(policy=policy, students_per_school=1, items=ONE_ITEM)
    a, b = exam.markers("Q1", school="S-SCH1")
    t0 = time.time()
    with exam.session() as session:
        lease = lease_next(session, a, policy=policy, now=t0)
        taken = lease_next(session, b, policy=policy, now=t0 + 31)  # a's lease ran out: b gets that script
        assert taken.task_id == lease.task_id
        with pytest.raises(LeaseLost):
            submit_mark(session, a, lease.task_id, {"S-I01": 3}, policy=policy, now=t0 + 32)
        assert submit_mark(session, b, taken.task_id, {"S-I01": 3}, policy=policy, now=t0 + 33).duplicate is False
        # expired but not taken again: the late submit still counts
        late = lease_next(session, a, policy=policy, now=t0 + 40)
        assert reclaim_expired_leases(session, exam.exam_id, now=t0 + 80) == 1
        result = submit_mark(session, a, late.task_id, {"S-I01": 3}, policy=policy, now=t0 + 81)
        assert result.duplicate is False
        assert count(session, MarkingMark) == 2


def test_resume_release_and_already_marked_guard(small_exam):
    a, b = small_exam.markers("Q7", school="S-SCH1")
    with small_exam.session() as session:
        lease = lease_next(session, a)
        assert lease_next(session, a, resume=True).task_id == lease.task_id  # a reload shows the same script
        assert current_lease(session, a).task_id == lease.task_id
        assert release_lease(session, a, lease.task_id) is True
        assert release_lease(session, a, lease.task_id) is False
        assert lease_next(session, b).task_id == lease.task_id  # back in the queue for others
        mine = lease_next(session, a)
        submit_mark(session, a, mine.task_id, {"S-I07": 2})
        # Force a's hands on the sibling task of the same script: the database refuses the second mark.
        sibling = session.scalar(select(MarkingTask.task_id).where(MarkingTask.script_id == mine.script_id,
                                                                   MarkingTask.task_id != mine.task_id))
        session.execute(update(MarkingTask).where(MarkingTask.task_id == sibling).values(
            state="leased", marker_id=a.teacher_id, lease_expires_at=time.time() + 60))
        session.commit()
        with pytest.raises(AlreadyMarked):
            submit_mark(session, a, sibling, {"S-I07": 2})
        task = session.get(MarkingTask, sibling)
        assert (task.state, task.marker_id) == ("waiting", None)
        assert count(session, MarkingMark, MarkingMark.script_id == mine.script_id) == 1


def _mark(session, marker, score, policy=None):
    lease = lease_next(session, marker, policy=policy)
    assert lease is not None, f"{marker.teacher_id} got nothing"
    return lease, submit_mark(session, marker, lease.task_id, {"S-I01": score}, policy=policy)


def test_disagreement_goes_to_a_third_mark_then_to_arbitration(make_exam):
    exam = make_exam(policy=ADJACENT, students_per_school=1, items=ONE_ITEM)
    m2, m2b = exam.markers("Q1", school="S-SCH2")
    m3 = exam.markers("Q1", school="S-SCH3")[0]
    leader1, leader2 = exam.markers("Q1", role="leader")
    with exam.session() as session:
        first, _ = _mark(session, m2, 2)  # school 1's script (the first in the queue)
        second, result = _mark(session, m3, 8)
        assert second.script_id == first.script_id and result.script_status == "third"
        assert lease_next(session, leader2) is None  # leaders arbitrate only; nothing to arbitrate yet
        third, result = _mark(session, m2b, 5)  # third marks go first
        assert (third.kind, third.script_id, result.script_status) == ("third", first.script_id, "arbitration")
        assert lease_next(session, leader1) is None  # the leader of school 1 cannot arbitrate school 1's script
        arbitration, result = _mark(session, leader2, 6)
        assert (arbitration.kind, result.script_status) == ("arbitration", "final")
        script = session.get(MarkingScript, first.script_id)
        assert (script.status, script.source, script.agreed) == ("final", "arbitration", False)
        assert script.final_scores == {"S-I01": 6.0}
        assert script.final_marks == {"S-I01": [result.mark_id]}
        assert count(session, MarkingMark, MarkingMark.script_id == first.script_id) == 4
        assert count(session, MarkingTask, MarkingTask.script_id == first.script_id, MarkingTask.state != "done") == 0


def test_a_third_mark_near_one_of_the_two_settles_the_script(make_exam):
    exam = make_exam(policy=ADJACENT, students_per_school=1, items=ONE_ITEM)
    m2, m2b = exam.markers("Q1", school="S-SCH2")
    m3 = exam.markers("Q1", school="S-SCH3")[0]
    with exam.session() as session:
        first, _ = _mark(session, m2, 2)
        _, second = _mark(session, m3, 8)
        _, third = _mark(session, m2b, 7)
        assert third.script_status == "final"
        script = session.get(MarkingScript, first.script_id)
        assert script.final_scores == {"S-I01": 8.0}  # (7 + 8) / 2 = 7.5, half up
        assert script.final_sources == {"S-I01": "third"}
        assert sorted(script.final_marks["S-I01"]) == [second.mark_id, third.mark_id]


def test_a_share_of_scripts_is_single_marked_when_the_policy_says_so(make_exam):
    policy = MarkingPolicy.from_dict({"double": {"double_share": 0.5}})
    exam = make_exam(policy=policy, students_per_school=20)
    with exam.session() as session:
        needed = session.execute(select(MarkingScript.marks_needed, func.count()).group_by(
            MarkingScript.marks_needed)).tuples().all()
        tasks = count(session, MarkingTask)
    by_need = dict(needed)
    assert by_need[1] + by_need[2] == 120 and 40 <= by_need[2] <= 80  # about half, drawn by seeded hash
    assert tasks == by_need[1] + 2 * by_need[2]
    marker = exam.markers("Q7", school="S-SCH1")[0]
    with exam.session() as session:
        statuses = set()
        while (lease := lease_next(session, marker, policy=policy)) is not None:
            statuses.add(submit_mark(session, marker, lease.task_id, {"S-I07": 5}, policy=policy).script_status)
        singles = session.scalars(select(MarkingScript).where(MarkingScript.marks_needed == 1,
                                                              MarkingScript.status == "final")).all()
    assert statuses == {"final", "marking"}
    assert singles and all(s.final_sources == {"S-I07": "single"} for s in singles)


def test_leaders_give_first_marks_only_when_the_policy_says_so(make_exam):
    policy = MarkingPolicy.from_dict({"double": {"leaders_also_mark": True}})
    exam = make_exam(policy=policy, students_per_school=1, items=ONE_ITEM)
    leader = exam.markers("Q1", role="leader")[0]
    with exam.session() as session:
        assert lease_next(session, leader) is None  # the repository's default: arbitration only
        lease = lease_next(session, leader, policy=policy)
        assert lease is not None and lease.kind == "first"


def test_second_marks_come_later_so_two_markers_rarely_hold_one_script(small_exam):
    markers = (small_exam.markers("Q7", school="S-SCH2") + small_exam.markers("Q7", school="S-SCH3")
               + small_exam.markers("Q7", school="S-SCH1"))
    with small_exam.session() as session:
        leases = [lease_next(session, m) for m in markers]
        orders = dict(session.execute(select(MarkingTask.task_id, MarkingTask.queue_order)).tuples().all())
    assert [lease.kind for lease in leases] == ["first"] * 6
    assert len({lease.script_id for lease in leases}) == 6  # six markers, six different scripts
    assert min(orders[lease.task_id] for lease in leases) == 0


def test_the_queue_mixes_schools_instead_of_running_school_by_school(make_exam):
    # Student ids group by school; a queue in that order would show markers a run of one school's
    # scripts and make a marker of that school skip all of them on every lease.
    exam = make_exam(students_per_school=20, items=ONE_ITEM)
    with exam.session() as session:
        schools = session.scalars(select(MarkingTask.school_id).where(MarkingTask.kind == "first")
                                  .order_by(MarkingTask.queue_order)).all()
    changes = sum(1 for before, after in zip(schools, schools[1:]) if before != after)
    assert len(schools) == 60 and len(set(schools[:10])) >= 2
    assert changes >= 20  # school by school would give 2; a fair shuffle of 3 × 20 about 40


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # reads a PostgreSQL plan
def test_a_leader_polling_for_arbitration_does_not_walk_the_whole_queue(make_exam):
    """The lease's index scan is bounded by the kinds' priorities (PostgreSQL plan, measured by EXPLAIN)."""
    from marking import sql as sql_text

    exam = make_exam(students_per_school=30, items=ONE_ITEM)
    leader = exam.markers("Q1", role="leader")[0]
    with exam.session() as session:
        assert lease_next(session, leader) is None  # 180 first and second marks wait; nothing to arbitrate
        connection = session.connection()
        connection.exec_driver_sql("ANALYZE marking_task")
        params = {"exam": leader.exam_id, "subject": leader.subject, "item_group": leader.item_group,
                  "school": leader.school_id, "marker": leader.teacher_id, "now": time.time(), "expires": 0.0}
        plan = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) "
            + sql_text.Driver(None, "postgresql")._sql(sql_text.lease_sql(("arbitration",), "postgresql")),
            params).scalar()
        session.rollback()
    read = _rows_read(plan[0]["Plan"], "candidate")
    assert read is not None and read <= 1  # without the priority bound: every waiting first and second mark


def _rows_read(node: dict, alias: str) -> float | None:
    """Rows the scan of the relation `alias` produced plus those its filter removed (what it read), or None."""
    if node.get("Alias") == alias:
        return node.get("Actual Rows", 0) * node.get("Actual Loops", 1) + node.get("Rows Removed by Filter", 0)
    for child in node.get("Plans", []):
        found = _rows_read(child, alias)
        if found is not None:
            return found
    return None
