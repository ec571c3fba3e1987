"""A third mark nobody of another school can give goes to the group leaders (仲裁), not nowhere."""
from __future__ import annotations

from sqlalchemy import select

from marking.policy import MarkingPolicy
from marking.queue import escalate_unmarkable_thirds, lease_next, submit_mark
from marking.sample import SampleItem
from models.marking import Marker, MarkingScript, MarkingTask

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)
ADJACENT = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}})


def test_unmarkable_third_marks_go_to_a_leader_of_another_school(make_exam):
    # three schools, one marker each: a script's two marks use up every marker of other schools
    exam = make_exam(students_per_school=2, markers_per_school=1, items=ONE_ITEM, policy=ADJACENT)
    markers = exam.markers("Q1")
    assert len(markers) == 3
    with exam.session() as session:
        for marker in markers:  # every marker gives what they can: 0 or 10, always far apart
            while (lease := lease_next(session, marker)) is not None:
                score = 0 if marker.teacher_id == markers[0].teacher_id or lease.kind == "second" else 10
                submit_mark(session, marker, lease.task_id, {"S-I01": score})
        stuck = session.scalars(select(MarkingScript).where(MarkingScript.status == "third")).all()
        assert stuck, "some scripts should wait for a third mark"
        assert all(lease_next(session, m) is None for m in markers)  # nobody may give it

    with exam.session() as session:
        escalated = escalate_unmarkable_thirds(session, exam.exam_id, policy=ADJACENT)
        session.commit()
    assert escalated == len(stuck)

    with exam.session() as session:
        assert not session.scalars(select(MarkingTask).where(MarkingTask.kind == "third",
                                                             MarkingTask.state == "waiting")).all()
        leaders = exam.markers("Q1", role="leader")
        for leader in leaders:
            while (lease := lease_next(session, leader)) is not None:
                assert lease.kind == "arbitration"
                school = session.scalar(select(MarkingScript.school_id).where(
                    MarkingScript.script_id == lease.script_id))
                assert school != leader.school_id  # never their own school's script
                submit_mark(session, leader, lease.task_id, {"S-I01": 5})
    with exam.session() as session:  # a fresh session: the queue writes through its own connection
        statuses = {s.status for s in session.scalars(select(MarkingScript))}
    assert statuses == {"final"}
    with exam.session() as session:
        assert escalate_unmarkable_thirds(session, exam.exam_id, policy=ADJACENT) == 0  # nothing left to escalate


def test_first_and_second_marks_nobody_may_give_are_named_by_group_and_school(make_exam):
    from marking.queue import unmarkable_scripts

    # every regular marker of the group from one school: that school's scripts can get one mark at most
    exam = make_exam(students_per_school=2, markers_per_school=1, items=ONE_ITEM, policy=ADJACENT)
    markers = exam.markers("Q1")
    with exam.session() as session:
        assert unmarkable_scripts(session, exam.exam_id, policy=ADJACENT) == []  # three schools, all markable
        for marker in markers[1:]:  # the markers of S-SCH2 and S-SCH3 mark what they can
            while (lease := lease_next(session, marker)) is not None:
                submit_mark(session, marker, lease.task_id, {"S-I01": 5})
        stuck = unmarkable_scripts(session, exam.exam_id, policy=ADJACENT)
    # scripts of S-SCH2 and S-SCH3 had one other-school marker left each (markers[0], not marking yet):
    # nothing is stuck while markers[0] may still mark them
    assert stuck == []
    with exam.session() as session:  # now the marker of S-SCH1 leaves the plan
        session.execute(Marker.__table__.delete().where(Marker.teacher_id == markers[0].teacher_id))
        session.commit()
        stuck = unmarkable_scripts(session, exam.exam_id, policy=ADJACENT)
    assert {(u.school_id, u.scripts) for u in stuck} == {("S-SCH2", 2), ("S-SCH3", 2)}
    assert all(u.other_school_markers and u.item_group == "Q1" for u in stuck)
    assert "增加外校阅卷教师" in stuck[0].zh() and "add markers of other schools" in stuck[0].en()

    from typer.testing import CliRunner

    from service.cli_marking import app

    shown = CliRunner().invoke(app, ["status", "--exam", exam.exam_id, "--db", exam.url])
    assert shown.exit_code == 0
    # names, not ids: the school's name (第2中学 is S-SCH2 of the sample)
    assert "第2中学 的 2 份答卷还缺一评或二评" in shown.output and "第3中学 的 2 份答卷" in shown.output
