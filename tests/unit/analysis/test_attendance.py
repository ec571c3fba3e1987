"""Absentees (缺考) and who was expected (应考, 实考, 参考率) against a hand count."""
import numpy as np
import pandas as pd
import pytest

from analysis.attendance import normalise_attendance
from analysis.pipeline import analyse_exam
from app.exam_analysis import read_scores_csv


def _tiny():
    """Class C1 of school S1 lists a–f, class C2 of S2 lists g and h; papers math and chinese, one item of 10.

    math:    a 8, b empty (absent), c 6, d 4, e —, f exempt (attendance), g 5, h 9
    chinese: a 7, b 5, c 缺考,       d —, e —, f 3,                     g 6, h — (attendance: absent)
    e has no score row at all (on the class list only); attendance also says g was absent from chinese,
    but g has a chinese score: the score counts.
    """
    rows = [("a", "math", 8), ("b", "math", ""), ("c", "math", 6), ("d", "math", 4), ("g", "math", 5),
            ("h", "math", 9), ("a", "chinese", 7), ("b", "chinese", 5), ("c", "chinese", "缺考"),
            ("f", "chinese", 3), ("g", "chinese", 6)]
    cls = {**dict.fromkeys("abcdef", "C1"), **dict.fromkeys("gh", "C2")}
    scores = pd.DataFrame({"exam_id": "E", "student_id": [r[0] for r in rows],
                           "school_id": ["S1" if cls[r[0]] == "C1" else "S2" for r in rows],
                           "class_id": [cls[r[0]] for r in rows], "subject": [r[1] for r in rows],
                           "item_id": [f"{r[1]}-1" for r in rows], "score": [r[2] for r in rows]})
    items = pd.DataFrame({"subject": ["math", "chinese"], "item_id": ["math-1", "chinese-1"], "max_score": 10.0})
    schools = pd.DataFrame({"school_id": ["S1", "S2"], "cluster_id": "CL", "name": ["一中", "二中"]})
    classes = pd.DataFrame({"class_id": ["C1", "C2"], "school_id": ["S1", "S2"], "grade": 7, "size": [6, 2]})
    teachers = pd.DataFrame([(c, s, f"T{c}{s}") for c in ("C1", "C2") for s in ("math", "chinese")],
                            columns=["class_id", "subject", "teacher_id"])
    roster = pd.DataFrame({"student_id": list(cls), "class_id": list(cls.values()),
                           "school_id": ["S1" if c == "C1" else "S2" for c in cls.values()],
                           "name": [f"学生{s}" for s in cls]})
    attendance = pd.DataFrame({"exam_id": "E", "student_id": ["f", "h", "g"], "subject": ["math", "chinese", "chinese"],
                               "status": ["免考", "absent", "缺考"]})
    return scores, items, schools, classes, teachers, roster, attendance


def test_expected_sat_absent_by_hand():
    scores, items, schools, classes, teachers, roster, attendance = _tiny()
    a = analyse_exam(scores, items, schools, classes, teachers, roster=roster, attendance=attendance)
    s = a.summary.set_index(["level", "group_id", "subject"])
    # C1 math: expected a–e (f exempt) = 5, sat a c d = 3, absent b e = 2
    # C1 chinese: expected a–f = 6, sat a b f = 3, absent c d e = 3
    # C1 total (every paper): expected a–e = 5 (f exempt from math), sat a = 1, absent 4, exempt f = 1
    # C2 chinese: expected g h, sat g, absent h (attendance) → 1 of 2
    expected = {("class", "C1", "math"): (5, 3, 2, 1), ("class", "C1", "chinese"): (6, 3, 3, 0),
                ("class", "C1", "total"): (5, 1, 4, 1), ("class", "C2", "math"): (2, 2, 0, 0),
                ("class", "C2", "chinese"): (2, 1, 1, 0), ("school", "S2", "total"): (2, 1, 1, 0),
                ("district", "district", "math"): (7, 5, 2, 1), ("cluster", "CL", "chinese"): (8, 4, 4, 0)}
    for key, (exp, sat, absent, exempt) in expected.items():
        row = s.loc[key]
        assert (row["expected"], row["sat"], row["absent"], row["exempt"]) == (exp, sat, absent, exempt), key
        assert row["students"] == sat and row["participation_rate"] == pytest.approx(sat / exp)
    # means over those who sat: C1 math (8 + 6 + 4) / 3 = 6, not (8 + 0 + 6 + 4) / 4 as if b's blank were 0
    assert s.loc[("class", "C1", "math"), "mean"] == pytest.approx(6.0)
    assert s.loc[("class", "C1", "chinese"), "mean"] == pytest.approx(5.0)  # (7 + 5 + 3) / 3

    listed = a.absentees.set_index(["student_id", "subject"])
    assert sorted(listed.index) == sorted([("b", "math"), ("c", "chinese"), ("d", "chinese"), ("e", "math"),
                                           ("e", "chinese"), ("f", "math"), ("h", "chinese")])
    assert listed.loc[("b", "math"), "source"] == "blank_scores"  # an empty cell
    assert listed.loc[("c", "chinese"), "source"] == "blank_scores"  # 缺考
    assert listed.loc[("d", "chinese"), "source"] == "no_rows"
    assert listed.loc[("e", "math"), "source"] == "not_in_scores"
    assert listed.loc[("f", "math"), ["status", "source"]].tolist() == ["exempt", "attendance_exempt"]
    assert listed.loc[("h", "chinese"), "source"] == "attendance"
    assert listed.loc[("e", "math"), "name"] == "学生e" and listed.loc[("e", "math"), "school_id"] == "S1"
    assert any("absent (缺考) that have scores" in w for w in a.warnings)  # g

    export = a.school_summary_export().set_index(["school_id", "subject"])
    assert export.loc[("S1", "math"), ["expected", "sat", "absent"]].tolist() == [5, 3, 2]
    assert export.loc[("S1", "math"), "students"] == 3


def test_without_a_roster_everyone_with_a_row_is_expected():
    scores, items, schools, classes, teachers, *_ = _tiny()
    a = analyse_exam(scores, items, schools, classes, teachers)
    s = a.summary.set_index(["level", "group_id", "subject"])
    # C1 students with rows: a b c d f; math sat a c d; b blank; d and f no rows → chinese sat a b f
    assert s.loc[("class", "C1", "math"), ["expected", "sat", "absent"]].tolist() == [5, 3, 2]
    assert s.loc[("class", "C1", "chinese"), ["expected", "sat", "absent"]].tolist() == [5, 3, 2]


def test_absentees_show_their_previous_z():
    scores, items, schools, classes, teachers, roster, _ = _tiny()
    previous = scores.assign(exam_id="P", score=[3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5])  # everyone sat before
    a = analyse_exam(scores, items, schools, classes, teachers, previous, previous_items=items, roster=roster)
    b_math = a.absentees.set_index(["student_id", "subject"]).loc[("b", "math")]
    before = np.array([3, 4, 5, 6, 7, 8], dtype=float)  # math: a b c d g h
    assert b_math["prev_z"] == pytest.approx((4 - before.mean()) / before.std())


def test_attendance_status_words_and_conflicts():
    table = normalise_attendance(pd.DataFrame({"exam_id": ["E", "E", "other"], "student_id": ["a", "b", "c"],
                                               "subject": ["math"] * 3, "status": ["实考", "EXEMPT", "absent"]}), "E")
    assert table[["student_id", "status"]].values.tolist() == [["a", "sat"], ["b", "exempt"]]
    with pytest.raises(ValueError, match="row 2, column status"):
        normalise_attendance(pd.DataFrame({"student_id": ["a"], "subject": ["math"], "status": ["ill"]}), "E")
    with pytest.raises(ValueError, match="two statuses"):
        normalise_attendance(pd.DataFrame({"student_id": ["a", "a"], "subject": ["math"] * 2,
                                           "status": ["sat", "absent"]}), "E")


def test_scores_csv_with_blanks_and_absent_words(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("exam_id,student_id,school_id,class_id,subject,item_id,score\n"
                    "E,a,S1,C1,math,1,4\nE,b,S1,C1,math,1,\nE,c,S1,C1,math,1,缺考\nE,d,S1,C1,math,1,2.5\n",
                    encoding="utf-8")
    frame = read_scores_csv(path)
    assert frame["student_id"].tolist() == ["a", "b", "c", "d"]
    assert frame["score"].isna().tolist() == [False, True, True, False] and frame["score"].iloc[3] == 2.5
    path.write_text(path.read_text(encoding="utf-8") + "E,e,S1,C1,math,1, 缺考 \nE,f,S1,C1,math,1,3 \n",
                    encoding="utf-8")
    frame = read_scores_csv(path)  # spaces around a word or a number: read as text, still understood
    assert frame["score"].isna().tolist() == [False, True, True, False, True, False] and frame["score"].iloc[5] == 3
    path.write_text(path.read_text(encoding="utf-8") + "E,g,S1,C1,math,1,四\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"scores.csv: scores row 8, column score: not a number \('四'\)"):
        read_scores_csv(path)


def test_class_lists_with_chinese_headers_and_primary_schools(tmp_path):
    from app.exam_analysis import ScoresProblem, read_roster_csv

    path = tmp_path / "students.csv"
    path.write_text("学籍号,班级编号,学校编号,姓名,毕业小学\nS1,C1,J1,张三,P1\nS2,C1,J1,李四,\n", encoding="utf-8-sig")
    roster = read_roster_csv(path)
    assert list(roster.columns) == ["student_id", "class_id", "school_id", "name", "primary_school_id"]
    assert roster["primary_school_id"].tolist() == ["P1", ""]
    path.write_text("学籍号,学校编号\nS1,J1\n", encoding="utf-8")
    with pytest.raises(ScoresProblem, match="students.csv: missing column\\(s\\) class_id"):
        read_roster_csv(path)
