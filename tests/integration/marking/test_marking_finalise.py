"""Final scores: every item of every student, each traceable to the key or to its marks."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bundle.spec import EXPORT_COLUMNS
from marking.finalise import NotFinished, finalise_scores, score_trace, scores_frame
from marking.queue import lease_next, submit_mark
from marking.simulate import run_simulated_marking
from models.db import session_scope
from models.exams import Score
from models.marking import MarkingMark, MarkingScript


def test_finalise_writes_every_score_traceable_to_its_marks(small_exam):
    report = run_simulated_marking(small_exam.url, small_exam.exam_id, small_exam.sample.plan,
                                   small_exam.sample.true_scores, threads=8, seed=3)
    assert report.marks >= 48  # 12 students × 2 groups × 2 marks
    with session_scope(small_exam.url) as session:
        result = finalise_scores(session, small_exam.exam_id, strict=True)
        frame = scores_frame(session, small_exam.exam_id)
    assert result.students == 12 and result.pending_scripts == 0
    assert result.scores["auto"] == 12 * 4  # four objective items
    assert sum(result.scores[s] for s in ("double", "third", "arbitration")) == 12 * 3  # three subjective items
    assert tuple(frame.columns) == EXPORT_COLUMNS["scores"]
    assert len(frame) == 12 * 7 and not frame.duplicated(["student_id", "item_id"]).any()
    assert set(frame["school_id"]) == set(small_exam.sample.school_ids)
    responses = small_exam.sample.responses.set_index(["student_id", "item_id"])["answer"]
    keyed = frame[frame["item_id"] == "S-I01"]  # single choice, key B, 3 points
    assert all((score == 3.0) == (responses[(s, "S-I01")] == "B") for s, score in zip(keyed["student_id"],
                                                                                       keyed["score"]))
    with session_scope(small_exam.url) as session:
        subjective = session.scalars(select(Score).where(Score.item_id == "S-I05")).all()
        for score in subjective:
            trace = score_trace(session, small_exam.exam_id, score.student_id, "S-I05")
            used = [m for m in trace["marks"] if m["used"]]
            assert trace["source"] == score.source and trace["script_code"]
            assert used and min(m["score"] for m in used) <= score.score <= max(m["score"] for m in used) + 0.5
        auto = score_trace(session, small_exam.exam_id, small_exam.sample.student_ids[0], "S-I03")
        assert auto["source"] == "auto" and auto["answer"] == responses[(small_exam.sample.student_ids[0], "S-I03")]
        # rerunning rewrites, never adds
        again = finalise_scores(session, small_exam.exam_id)
        assert again.written == result.written
        assert len(session.scalars(select(Score)).all()) == 12 * 7


def test_students_with_scripts_still_in_marking_are_held_back(small_exam):
    marker = small_exam.markers("Q7", school="S-SCH1")[0]
    with small_exam.session() as session:
        lease = lease_next(session, marker)
        submit_mark(session, marker, lease.task_id, {"S-I07": 9})
    with session_scope(small_exam.url) as session:
        with pytest.raises(NotFinished):
            finalise_scores(session, small_exam.exam_id, strict=True)
    with session_scope(small_exam.url) as session:
        report = finalise_scores(session, small_exam.exam_id)
        assert report.written == 0 and report.held_back == 12 and report.pending_scripts == 24
        assert session.scalars(select(MarkingMark)).all()  # the marks stay
        assert session.scalars(select(MarkingScript.status)).all().count("marking") == 24
