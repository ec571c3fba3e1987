"""Quality control racing the queue, as real threads on SQLite and PostgreSQL: a problem report and a
submit of the same task, a leader's mark and a marker's submit on the same script. No mark lost, none
counted twice, no script left between states."""
from __future__ import annotations

import threading

from sqlalchemy import select

from marking.policy import MarkingPolicy
from marking.queue import LeaseLost, lease_next, submit_mark
from marking.queue.problems import report_problem
from marking.queue.remarking import leader_mark
from marking.sample import SampleItem
from models.marking import MarkingMark, MarkingScript, MarkingTask
from models.marking_quality import MarkingProblem

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)
ADJACENT = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}})


def _race(*calls):
    """Run the calls at the same moment, one thread each; their results (or the exception raised)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index):
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001  (an outcome of the race, checked by the caller)
            results[index] = error

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _in_session(exam, call):
    """call(session) in a session of its own (each racing thread has its own connection)."""
    def run():
        with exam.session() as session:
            return call(session)
    return run


def test_a_problem_report_and_a_submit_of_the_same_task_race_and_exactly_one_wins(make_exam):
    exam = make_exam(policy=ADJACENT, students_per_school=4, items=ONE_ITEM)
    markers = exam.markers("Q1")
    outcomes = {"problem": 0, "mark": 0}
    for _round in range(2):
        with exam.session() as session:
            leases = [(m, lease_next(session, m, policy=ADJACENT)) for m in markers]
        calls = []
        for marker, lease in leases:
            assert lease is not None
            calls.append(_in_session(exam, lambda db, m=marker, t=lease.task_id: report_problem(db, m, t, "illegible")))
            calls.append(_in_session(exam, lambda db, m=marker, t=lease.task_id: submit_mark(
                db, m, t, {"S-I01": 5}, policy=ADJACENT)))
        results = _race(*calls)
        for (marker, lease), problem, mark in zip(leases, results[::2], results[1::2]):
            won = [r for r in (problem, mark) if not isinstance(r, Exception)]
            lost = [r for r in (problem, mark) if isinstance(r, Exception)]
            assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], LeaseLost), (problem, mark)
            outcomes["problem" if isinstance(won[0], int) else "mark"] += 1
            with exam.session() as session:
                task = session.get(MarkingTask, lease.task_id)
                marks = session.scalars(select(MarkingMark).where(MarkingMark.task_id == lease.task_id)).all()
                problems = session.scalars(select(MarkingProblem).where(
                    MarkingProblem.task_id == lease.task_id)).all()
                if isinstance(won[0], int):
                    assert (task.state, len(marks), len(problems)) == ("problem", 0, 1)
                else:
                    assert (task.state, len(marks), len(problems)) == ("done", 1, 0)
    assert outcomes["problem"] + outcomes["mark"] == 2 * len(markers)
    with exam.session() as session:  # every script counts exactly its marks; a reported one is a problem script
        for script in session.scalars(select(MarkingScript)):
            marks = session.scalars(select(MarkingMark).where(MarkingMark.script_id == script.script_id)).all()
            reported = session.scalars(select(MarkingProblem).where(
                MarkingProblem.script_id == script.script_id)).all()
            assert script.marks_done == len(marks)
            assert (script.status == "problem") == bool(reported)


def test_a_leaders_mark_and_a_markers_submit_on_one_script_leave_the_leaders_mark_final(make_exam):
    exam = make_exam(policy=ADJACENT, students_per_school=3, items=ONE_ITEM)
    markers = exam.markers("Q1")
    leader = exam.markers("Q1", role="leader")[0]
    with exam.session() as session:
        leases = [lease_next(session, m, policy=ADJACENT) for m in markers]
        codes = {lease.task_id: lease.code for lease in leases if lease is not None}
    calls = []
    for marker, lease in zip(markers, leases):
        assert lease is not None
        calls.append(_in_session(exam, lambda db, m=marker, t=lease.task_id: submit_mark(
            db, m, t, {"S-I01": 3}, policy=ADJACENT)))
    for code in sorted(set(codes.values())):
        calls.append(_in_session(exam, lambda db, c=code: leader_mark(db, leader, c, {"S-I01": 8})))
    results = _race(*calls)
    assert all(not isinstance(r, Exception) or isinstance(r, LeaseLost) for r in results), results
    with exam.session() as session:
        for code in set(codes.values()):
            script = session.scalars(select(MarkingScript).where(MarkingScript.code == code)).one()
            assert (script.status, script.source, script.final_scores) == ("final", "leader", {"S-I01": 8.0})
            tasks = session.scalars(select(MarkingTask).where(MarkingTask.script_id == script.script_id)).all()
            marks = session.scalars(select(MarkingMark).where(MarkingMark.script_id == script.script_id)).all()
            assert {t.state for t in tasks} <= {"done", "dropped"}
            assert len(marks) == sum(1 for t in tasks if t.state == "done")  # one mark per done task
            assert script.marks_done == sum(1 for m in marks if m.kind in ("first", "second"))
