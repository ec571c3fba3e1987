"""The marker API's fast progress figures agree with the full computation (marking/progress.py)."""
from __future__ import annotations

import math
import threading

from marking import progress
from marking.policy import MarkingPolicy
from marking.progress import (GROUP_COLUMNS, GROUP_COUNTS, MARKER_COLUMNS, group_counts, group_figures,
                              marker_figures, marker_progress, marking_progress)
from marking.queue import lease_next, release_lease
from marking.simulate import run_simulated_marking, simulated_markers


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def test_fast_figures_are_the_full_computations_figures(make_exam):
    # flags after 3 paired marks, so that careless markers are flagged in a small exam
    policy = MarkingPolicy.from_dict({"progress": {"min_paired_marks": 3}})
    exam = make_exam(policy=policy, schools=3, students_per_school=8, markers_per_school=2)
    markers = [m for m in simulated_markers(exam.sample.plan, seed=3, careless_share=0.5)
               if not m.teacher_id.split("-")[-1].startswith("L")]  # leaders do not arbitrate: some wait
    run_simulated_marking(exam.url, exam.exam_id, markers, exam.sample.true_scores, threads=4, seed=3,
                          policy=policy, retry_share=0.1)
    with exam.session() as session:
        leader = exam.markers("G1", role="leader")[0]
        held = lease_next(session, leader, policy=policy)
        full_groups = marking_progress(session, exam.exam_id, policy=policy).set_index("item_group")
        full_markers = marker_progress(session, exam.exam_id, policy=policy).set_index("teacher_id")
        fast_markers = marker_figures(session, exam.exam_id, list(full_markers.index))
        for group in ("G1", "Q7"):
            row, members = group_figures(session, exam.exam_id, "math", group, policy=policy, max_age=0)
            counts = group_counts(session, exam.exam_id, "math", group, max_age=0)
            expected = full_groups.loc[group]
            for column in GROUP_COLUMNS:
                value = row[column] if column != "item_group" else group
                assert same(value, expected[column] if column != "item_group" else group), (group, column)
            assert all(same(counts[c], expected[c]) for c in GROUP_COUNTS), group
            assert [m["teacher_id"] for m in members] == sorted(
                full_markers.index[full_markers["item_group"] == group])
            for member in members:
                for column in MARKER_COLUMNS[1:]:
                    assert same(member[column], full_markers.loc[member["teacher_id"], column]), (member, column)
        for teacher, figures in fast_markers.items():
            assert all(same(v, full_markers.loc[teacher, k]) for k, v in figures.items()), teacher
    # cached: a group's figures are read at most every few seconds; older ones are shown while a thread
    # reads fresh ones (here: after the leader's lease is given back)
    with exam.session() as session:
        first, _ = group_figures(session, exam.exam_id, "math", "G1", policy=policy, max_age=60)
        assert release_lease(session, leader, held.task_id)
        assert group_figures(session, exam.exam_id, "math", "G1", policy=policy, max_age=60)[0] == first
        key = ("figures", str(session.get_bind().engine.url), exam.exam_id, "math", "G1")
        progress._cache[key] = (progress._cache[key][0] - 5, progress._cache[key][1])  # 5 s old
        assert group_figures(session, exam.exam_id, "math", "G1", policy=policy, max_age=2)[0]["leased"] == 1
        for thread in [t for t in threading.enumerate() if t.name == "progress-refresh"]:
            thread.join(10)
        fresh, _ = group_figures(session, exam.exam_id, "math", "G1", policy=policy, max_age=2)
        assert fresh["leased"] == 0 and fresh["as_of"] > first["as_of"]
    # the exam exercised what the figures count: pairs, flags, finals, arbitrations waiting, a lease
    assert held is not None and full_groups.loc["G1", "leased"] == 1
    assert full_groups["final"].sum() > 0 and full_groups["waiting_arbitration"].sum() > 0
    assert full_markers["paired"].sum() > 0 and full_markers["flagged"].any() and (~full_markers["flagged"]).any()
    assert full_markers["third_marks"].sum() > 0
