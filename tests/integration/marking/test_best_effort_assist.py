"""A declared best-effort marking plan is marked to the end through the queue (marking/assist.py):
leaders and other groups' teachers of other schools fill in for the short schools only, a single-marked
fallback where the subject has one teacher of another school, and no mark ever by a script's own school."""
from __future__ import annotations

from sqlalchemy import delete, select

from marking.assist_store import (apply_single_marking, clear_assist_cache, load_assists, settle_unarbitrable,
                                   stuck_tasks)
from marking.policy import MarkingPolicy
from marking.queue import escalate_unmarkable_thirds, lease_next, markers, submit_mark
from marking.sample import SampleItem
from models import Plan
from models.marking import Marker, MarkingMark, MarkingScript, MarkingTask

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)
TWO_GROUPS = (SampleItem(1, "subjective", 10, 1, item_group="Q1"), SampleItem(2, "subjective", 10, 1, item_group="Q2"))
ADJACENT = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}})


def declare_best_effort(exam) -> None:
    with exam.session() as session:
        session.add(Plan(kind="marking", scope=exam.exam_id, version=1, exam_id=exam.exam_id, created_by="test",
                         summary={"best_effort": True, "relaxations": []}))
        session.commit()
    clear_assist_cache()


def leave_plan(exam, *teacher_ids: str) -> None:
    with exam.session() as session:
        session.execute(delete(Marker).where(Marker.teacher_id.in_(teacher_ids)))
        session.commit()
    clear_assist_cache()


def mark_everything(exam, score) -> int:
    """Every registered teacher takes what the queue gives them until nothing moves; marks given."""
    given = 0
    with exam.session() as session:
        people = markers(session, exam.exam_id)
        moving = True
        while moving:
            moving = False
            for ref in people:
                while (lease := lease_next(session, ref)) is not None:
                    submit_mark(session, ref, lease.task_id, {i.item_id: score(ref, lease) for i in lease.items})
                    given += 1
                    moving = True
            if escalate_unmarkable_thirds(session, exam.exam_id, policy=ADJACENT):
                moving = True
            session.commit()
    return given


def marks_with_schools(exam) -> list[tuple[str, str, str, str, str]]:
    """(marker, marker's school, script's school, item group, kind) of every mark."""
    with exam.session() as session:
        school_of = dict(session.execute(select(Marker.teacher_id, Marker.school_id)).tuples().all())
        rows = session.execute(select(MarkingMark.marker_id, MarkingScript.school_id, MarkingScript.item_group,
                                      MarkingMark.kind)
                               .join(MarkingScript, MarkingScript.script_id == MarkingMark.script_id)).all()
    return [(m, school_of[m], s, g, k) for m, s, g, k in rows]


def statuses(exam) -> set[str]:
    with exam.session() as session:
        return set(session.scalars(select(MarkingScript.status)))


def test_group_leaders_of_other_schools_double_mark_the_short_schools_only(make_exam):
    # three schools, one marker each; the marker of S-SCH1 leaves: scripts of SCH2 and SCH3 have one
    # marker of another school each. Leaders: L1 of SCH1, L2 of SCH2.
    exam = make_exam(students_per_school=3, markers_per_school=1, items=ONE_ITEM, policy=ADJACENT)
    leave_plan(exam, "S-SCH1-Q1-M1")
    agree = lambda ref, lease: 5  # noqa: E731
    mark_everything(exam, agree)
    assert statuses(exam) == {"final", "marking"}  # not declared: leaders only arbitrate, SCH2's and SCH3's wait
    with exam.session() as session:
        assert load_assists(session, exam.exam_id).grants == []

    declare_best_effort(exam)
    mark_everything(exam, agree)
    assert statuses(exam) == {"final"}
    marks = marks_with_schools(exam)
    assert all(marker_school != script_school for _, marker_school, script_school, _, _ in marks)
    leader_marks = {(m, s) for m, _, s, _, kind in marks if m.endswith("-L1") or m.endswith("-L2")}
    # SCH1's scripts have two markers of other schools: no leader marks them
    assert leader_marks and all(school != "S-SCH1" for _, school in leader_marks)
    assert ("S-SCH2-Q1-L2", "S-SCH2") not in leader_marks


def test_other_groups_fill_in_and_arbitrate_never_for_their_own_school(make_exam):
    exam = make_exam(students_per_school=3, markers_per_school=1, items=TWO_GROUPS, policy=ADJACENT)
    # Q1 keeps the marker of SCH3 and the leader of SCH2: SCH2's and SCH3's scripts need Q2's teachers
    leave_plan(exam, "S-SCH1-Q1-M1", "S-SCH2-Q1-M1", "S-SCH1-Q1-L1")
    declare_best_effort(exam)
    with exam.session() as session:
        plan = load_assists(session, exam.exam_id)
    hows = {(c.school_id, c.how) for c in plan.cases if c.item_group == "Q1"}
    assert {("S-SCH1", "group_leaders"), ("S-SCH2", "other_group"), ("S-SCH3", "other_group")} <= hows
    assert all(c.item_group == "Q1" for c in plan.cases)  # Q2 is complete: no help there

    # the marker of SCH3 is strict, everyone else lenient: many scripts go to third marks and arbitration
    strict = lambda ref, lease: 0 if ref.teacher_id == "S-SCH3-Q1-M1" else 10  # noqa: E731
    mark_everything(exam, strict)
    marks = marks_with_schools(exam)
    assert all(marker_school != script_school for _, marker_school, script_school, _, _ in marks)
    arbitrations = [row for row in marks if row[4] == "arbitration"]
    assert arbitrations  # disagreements were arbitrated, by someone of another school
    # Q2's teachers give Q1's first and second marks only to the schools Q1 cannot double-mark itself;
    # they may arbitrate SCH1's too (Q1's leader of another school gives marks there)
    q2_in_q1 = {(m, s) for m, _, s, g, kind in marks if g == "Q1" and "-Q2-" in m and kind in ("first", "second")}
    assert q2_in_q1 and all(s in ("S-SCH2", "S-SCH3") for _, s in q2_in_q1)
    with exam.session() as session:
        remaining = statuses(exam) - {"final"}
        # whatever is not final is exactly what nobody may take (stated, not silently waiting)
        stuck = stuck_tasks(session, exam.exam_id, plan, policy=ADJACENT)
        waiting = session.scalars(select(MarkingTask).where(MarkingTask.state == "waiting")).all()
    assert sum(stuck.values()) == len(waiting)
    assert not remaining or stuck


def test_single_marking_when_the_subject_has_one_teacher_of_another_school(make_exam):
    exam = make_exam(schools=2, students_per_school=3, markers_per_school=1, leaders_per_group=1, items=ONE_ITEM,
                     policy=ADJACENT)
    # two schools: only the marker of SCH1 stays; SCH2's scripts have one teacher of another school in
    # the subject, SCH1's none
    leave_plan(exam, "S-SCH2-Q1-M1", "S-SCH1-Q1-L1")
    declare_best_effort(exam)
    with exam.session() as session:
        plan = load_assists(session, exam.exam_id)
        assert {(c.school_id, c.how) for c in plan.cases if not c.how.startswith("arb")} == \
            {("S-SCH1", "nobody"), ("S-SCH2", "single")}
        assert apply_single_marking(session, exam.exam_id, plan, policy=ADJACENT) == 3
        session.commit()
    mark_everything(exam, lambda ref, lease: 4)
    with exam.session() as session:
        rows = session.execute(select(MarkingScript.school_id, MarkingScript.status, MarkingScript.source)).all()
    assert {(s, status, source) for s, status, source in rows} == {("S-SCH2", "final", "single"),
                                                                 ("S-SCH1", "marking", None)}
    assert all(m != s for _, m, s, _, _ in marks_with_schools(exam))


def test_simulated_markers_stop_at_the_end_of_their_marking_day_and_go_on_the_next(make_exam):
    from marking.simulate import run_simulated_marking, simulated_markers

    exam = make_exam(students_per_school=4, markers_per_school=1, items=ONE_ITEM, policy=ADJACENT)
    plan = exam.sample.plan
    # a day of 0.02 h (72 s) at 20–60 s a script: a marker gives a few marks, then stops for the day
    people = simulated_markers(plan, seed=3, hours={("math", "Q1"): 0.02})
    assert all(p.day_seconds == 72.0 for p in people)
    day1 = run_simulated_marking(exam.url, exam.exam_id, people, exam.sample.true_scores, threads=2, seed=1,
                                 policy=ADJACENT)
    assert day1.day_over > 0 and 0 < day1.marks < 24  # 12 scripts × 2 marks were not all given
    assert "marking" in statuses(exam)
    days = 1
    while "marking" in statuses(exam) and days < 10:
        run_simulated_marking(exam.url, exam.exam_id, people, exam.sample.true_scores, threads=2, seed=1 + days,
                              policy=ADJACENT)
        days += 1
    assert days > 1 and "marking" not in statuses(exam)


def test_an_arbitration_nobody_may_give_is_settled_by_the_closest_pair_and_flagged(make_exam):
    # three schools, one group: the markers of SCH2 and SCH3 and the one leader (of SCH1) remain. The
    # marker of SCH3 is strict: SCH1's scripts disagree, no third marker is left and the only leader
    # is of SCH1, so every teacher of another school has marked them: nobody may arbitrate.
    exam = make_exam(schools=3, students_per_school=3, markers_per_school=1, leaders_per_group=1, items=ONE_ITEM,
                     policy=ADJACENT)
    leave_plan(exam, "S-SCH1-Q1-M1")
    declare_best_effort(exam)
    strict = lambda ref, lease: 0 if ref.teacher_id == "S-SCH3-Q1-M1" else 10  # noqa: E731
    mark_everything(exam, strict)
    with exam.session() as session:
        plan = load_assists(session, exam.exam_id)
        stuck = stuck_tasks(session, exam.exam_id, plan, policy=ADJACENT)
        assert sum(n for (_, _, school, kind), n in stuck.items() if kind == "arbitration" and school == "S-SCH1") == 3
        waiting = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}, "double": {"unarbitrable": "wait"}})
        assert settle_unarbitrable(session, exam.exam_id, plan, policy=waiting) == {}  # the planner chose to wait
        settled = settle_unarbitrable(session, exam.exam_id, plan, policy=ADJACENT)
        session.commit()
    assert sum(n for (_, _, school), n in settled.items() if school == "S-SCH1") == 3
    with exam.session() as session:
        rows = session.execute(select(MarkingScript.school_id, MarkingScript.status, MarkingScript.source,
                                      MarkingScript.final_scores)).all()
        left = session.scalars(select(MarkingTask).where(MarkingTask.state == "waiting")).all()
        assert stuck_tasks(session, exam.exam_id, plan, policy=ADJACENT) == {}
    sch1 = [r for r in rows if r.school_id == "S-SCH1"]
    assert {(r.status, r.source) for r in sch1} == {("final", "closest")}
    assert all(list(r.final_scores.values()) == [5.0] for r in sch1)  # 10 and 0: the closest (only) pair's mean
    assert left == [] and {r.status for r in rows} == {"final"}
