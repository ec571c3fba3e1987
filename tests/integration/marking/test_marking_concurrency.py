"""Many markers at once, as real threads with a session each, on SQLite and PostgreSQL.

Every script must end with exactly the marks it needs: none lost, none counted twice, no script
marked twice by one teacher or by a teacher of its own school.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from marking.policy import MarkingPolicy
from marking.queue import lease_next, submit_mark
from marking.rules import ItemStandard, MarkRecord, resolve_script
from marking.simulate import run_simulated_marking, simulated_markers
from models.marking import Marker, MarkingGroup, MarkingMark, MarkingScript, MarkingTask


def _threads(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            target(index)
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def assert_every_script_has_exactly_the_marks_it_needs(exam) -> int:
    with exam.session() as session:
        scripts = {s.script_id: s for s in session.scalars(select(MarkingScript))}
        marks = session.scalars(select(MarkingMark)).all()
        groups = {(g.subject, g.item_group): [ItemStandard.from_dict(d) for d in g.items]
                  for g in session.scalars(select(MarkingGroup))}
        school_of = dict(session.execute(select(Marker.teacher_id, Marker.school_id)).tuples().all())
        open_tasks = session.scalar(select(func.count()).select_from(MarkingTask).where(MarkingTask.state != "done"))
        done_tasks = session.scalar(select(func.count()).select_from(MarkingTask).where(MarkingTask.state == "done"))
    assert open_tasks == 0
    assert done_tasks == len(marks)  # one mark per task, none lost, none duplicated
    assert len({(m.script_id, m.marker_id) for m in marks}) == len(marks)  # nobody marked a script twice
    assert all(school_of[m.marker_id] != scripts[m.script_id].school_id for m in marks)  # never own school
    by_script: dict[int, list] = {}
    for mark in marks:
        by_script.setdefault(mark.script_id, []).append(mark)
    for script_id, script in scripts.items():
        mine = by_script[script_id]
        kinds = Counter(m.kind for m in mine)
        assert script.status == "final"
        assert kinds["first"] + kinds["second"] == script.marks_needed == script.marks_done
        assert max(kinds.values()) == 1
        # the stored finals are exactly what the rules make of the marks behind them
        items = groups[(script.subject, script.item_group)]
        expected = resolve_script(items, [MarkRecord(m.mark_id, m.kind, m.scores, m.marker_id) for m in mine],
                                  script.marks_needed, exam.policy.double)
        assert (expected.status, expected.finals, expected.sources) == ("final", script.final_scores,
                                                                       script.final_sources)
        assert ("third" in kinds) == (script.agreed is False)
        assert ("arbitration" in kinds) == (script.source == "arbitration")
    return len(marks)


def test_fifty_concurrent_markers_mark_every_script_exactly_as_needed(make_exam):
    exam = make_exam(schools=5, students_per_school=24, markers_per_school=5, leaders_per_group=2)
    markers = simulated_markers(exam.sample.plan, seed=5, careless_share=0.3)  # careless ones cause arbitrations
    assert sum(1 for m in exam.sample.plan.itertuples() if m.role == "marker") == 50
    report = run_simulated_marking(exam.url, exam.exam_id, markers, exam.sample.true_scores, threads=len(markers),
                                   seed=7, retry_share=0.2, max_seconds=120)
    assert not report.timed_out
    assert report.duplicates > 0  # some submits were sent twice on purpose …
    marks = assert_every_script_has_exactly_the_marks_it_needs(exam)
    assert report.marks == marks  # … and each counted once
    with exam.session() as session:
        sources = Counter(session.scalars(select(MarkingScript.source)))
    assert sources["double"] > 0 and sources["third"] + sources["arbitration"] > 0
    assert len(report.marks_by_marker) >= 50


def test_racing_leases_hand_out_each_task_once(make_exam):
    exam = make_exam(schools=5, students_per_school=10, markers_per_school=5)
    markers = exam.markers("G1") + exam.markers("Q7")
    assert len(markers) == 50
    leased: list[tuple[int, int]] = []
    lock = threading.Lock()

    def lease(index):
        with exam.session() as session:
            for _ in range(3):
                got = lease_next(session, markers[index])
                assert got is not None
                with lock:
                    leased.append((index, got.task_id))

    _threads(len(markers), lease)
    # one lease per marker and group: a marker asking again gets the script they hold
    by_marker = {index: {task for i, task in leased if i == index} for index in range(len(markers))}
    assert len(leased) == 150 and all(len(tasks) == 1 for tasks in by_marker.values())
    assert len({task for _, task in leased}) == 50  # and no task went to two markers
    with exam.session() as session:
        held = session.scalar(select(func.count()).select_from(MarkingTask).where(MarkingTask.state == "leased"))
    assert held == 50


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_forty_racing_requests_of_one_marker_get_one_lease(make_exam):
    """40 parallel /next of one marker on PostgreSQL (SKIP LOCKED hands each statement another task):
    the unique index lets one lease through; the others get that same one back."""
    exam = make_exam(schools=3, students_per_school=20)
    marker = exam.markers("Q7", school="S-SCH1")[0]
    got: list[int] = []
    lock = threading.Lock()

    def lease(_index):
        with exam.session() as session:
            lease = lease_next(session, marker, resume=True)
            with lock:
                got.append(lease.task_id)

    _threads(40, lease)
    assert len(got) == 40 and len(set(got)) == 1
    with exam.session() as session:
        held = session.scalars(select(MarkingTask.task_id).where(MarkingTask.state == "leased")).all()
    assert held == got[:1]


def test_a_submit_sent_many_times_at_once_counts_once(make_exam):
    exam = make_exam(students_per_school=2)
    marker = exam.markers("Q7", school="S-SCH1")[0]
    with exam.session() as session:
        lease = lease_next(session, marker)
    results = []

    def submit(_index):
        with exam.session() as session:
            results.append(submit_mark(session, marker, lease.task_id, {"S-I07": 6}))

    _threads(20, submit)
    assert len({r.mark_id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    with exam.session() as session:
        assert session.scalar(select(func.count()).select_from(MarkingMark)) == 1


def test_both_marks_of_each_script_submitted_at_the_same_moment_resolve_it_once(make_exam):
    adjacent = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}})  # hand out both marks of a script
    exam = make_exam(policy=adjacent, schools=3, students_per_school=8, markers_per_school=13)
    markers = exam.markers("Q7", school="S-SCH2") + exam.markers("Q7", school="S-SCH3")
    with exam.session() as session:
        leases = [lease_next(session, m) for m in markers]  # first and second marks in turn
    pairs = Counter(lease.script_id for lease in leases if lease is not None)
    both = [k for k, lease in enumerate(leases) if lease is not None and pairs[lease.script_id] == 2]
    assert len(both) >= 12  # at least 6 scripts with both tasks leased
    seen: set[int] = set()
    score = {}  # one mark of each pair 6, the other 7
    for k in both:
        score[k] = 7 if leases[k].script_id in seen else 6
        seen.add(leases[k].script_id)

    def submit(index):
        k = both[index]
        with exam.session() as session:
            submit_mark(session, markers[k], leases[k].task_id, {"S-I07": score[k]})

    _threads(len(both), submit)
    paired = {leases[k].script_id for k in both}
    with exam.session() as session:
        scripts = session.scalars(select(MarkingScript).where(MarkingScript.script_id.in_(list(paired)))).all()
        marks = Counter(session.scalars(select(MarkingMark.script_id)
                                        .where(MarkingMark.script_id.in_(list(paired)))).all())
    assert set(marks.values()) == {2}
    assert [(s.status, s.marks_done) for s in scripts] == [("final", 2)] * len(paired)
    # a 6 and a 7 agree within tolerance: the final is their mean, 6.5, rounded to the step of 1
    assert all(s.final_scores == {"S-I07": 7.0} for s in scripts)
