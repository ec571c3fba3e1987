"""End-to-end behaviour of analyse_exam on shapes the lead will meet: several clusters, item ids
repeated across papers, no previous exam and no answers, a tiny exam."""
import numpy as np
import pandas as pd
import pytest

from analysis.pipeline import analyse_exam
from analysis.report import write_reports
from analysis.synthetic import generate_exam


def test_two_clusters_are_compared_within_themselves():
    exam = generate_exam(n_students=900, n_schools=4, n_clusters=2, seed=5, previous_exam_id=None,
                         with_responses=False)
    a = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers)
    s = a.summary
    schools = s[(s["level"] == "school") & (s["subject"] == "total")]
    clusters = s[(s["level"] == "cluster") & (s["subject"] == "total")].set_index("group_id")
    assert len(clusters) == 2
    for cluster, part in schools.groupby("cluster_id"):
        assert sorted(part["rank"]) == list(range(1, len(part) + 1))  # ranked within the cluster
        assert np.allclose(part["ref_mean"], clusters.loc[cluster, "mean"])
    assert set(a.segments["level"]) == {"district", "cluster"}
    # cluster means weight their students: the student-weighted mean of schools
    for cluster, part in schools.groupby("cluster_id"):
        assert clusters.loc[cluster, "mean"] == pytest.approx(np.average(part["mean"], weights=part["students"]))
    assert not a.has_previous and a.options.empty
    assert len([line for line in a.headline_markdown().splitlines() if line.startswith("| ")]) == 1 + 4 + 2


def test_item_ids_repeated_across_papers_with_answers(tmp_path):
    exam = generate_exam(n_students=400, n_schools=2, seed=9, previous_exam_id=None)
    # number the items 1..k within each paper, as a paper does
    number = exam.items.groupby("subject").cumcount().add(1).astype(str)
    renumber = dict(zip(zip(exam.items["subject"], exam.items["item_id"]), number))
    scores = exam.scores.assign(item_id=[renumber[k] for k in zip(exam.scores["subject"], exam.scores["item_id"])])
    responses = exam.responses.assign(
        item_id=[renumber[k] for k in zip(exam.responses["subject"], exam.responses["item_id"])])
    items = exam.items.assign(item_id=number)
    a = analyse_exam(scores, items, exam.schools, exam.classes, exam.class_teachers, responses=responses)
    b = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                     responses=exam.responses)
    np.testing.assert_allclose(a.items["discrimination"], b.items["discrimination"])
    assert a.options[["upper", "middle", "lower"]].to_numpy().tolist() == \
        b.options[["upper", "middle", "lower"]].to_numpy().tolist()
    paths = write_reports(a, tmp_path)
    assert (tmp_path / "report.html").exists() and len(paths) == 5 + len(exam.schools)
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "未提供上次联考成绩" in text


def test_a_tiny_exam_still_works(tmp_path):
    scores = pd.DataFrame({
        "exam_id": "T", "student_id": ["a", "a", "b", "b", "c", "c"], "school_id": ["S1"] * 4 + ["S2"] * 2,
        "class_id": ["C1"] * 4 + ["C2"] * 2, "subject": "math", "item_id": ["1", "2"] * 3,
        "score": [5.0, 3.0, 2.0, 0.0, 4.0, 4.0],
    })
    items = pd.DataFrame({"subject": "math", "item_id": ["1", "2"], "max_score": [5.0, 5.0]})
    schools = pd.DataFrame({"school_id": ["S1", "S2"], "cluster_id": "CL", "name": ["一中", "二中"]})
    classes = pd.DataFrame({"class_id": ["C1", "C2"], "school_id": ["S1", "S2"], "grade": 7, "size": [2, 1]})
    teachers = pd.DataFrame({"class_id": ["C1", "C2"], "subject": "math", "teacher_id": ["T1", "T2"]})
    a = analyse_exam(scores, items, schools, classes, teachers)
    students = a.students.set_index("student_id")
    assert students["total"].to_dict() == {"a": 8.0, "b": 2.0, "c": 8.0}
    assert students["rank_district"].to_dict() == {"a": 1, "b": 3, "c": 1}  # ties share the best rank
    s1 = a.summary[(a.summary["level"] == "school") & (a.summary["group_id"] == "S1") &
                   (a.summary["subject"] == "math")].iloc[0]
    assert (s1["mean"], s1["excellent_rate"], s1["pass_rate"], s1["low_rate"]) == (5.0, 0.0, 0.5, 0.5)
    assert s1["std"] == pytest.approx(3.0)
    write_reports(a, tmp_path)
    assert (tmp_path / "schools" / "S1.md").read_text(encoding="utf-8").count("一中") >= 1


def test_unknown_school_is_refused(exam):
    with pytest.raises(ValueError, match="not in schools"):
        analyse_exam(exam.scores, exam.items, exam.schools.iloc[1:], exam.classes, exam.class_teachers)


def test_totals_over_the_subjects_sat_when_policy_allows():
    from analysis.policy import AnalysisPolicy

    exam = generate_exam(n_students=300, n_schools=2, seed=21, previous_exam_id=None, with_responses=False,
                         absent_rate=0.05)
    a = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                     policy=AnalysisPolicy(total_requires_all_subjects=False))
    full = exam.items.groupby("subject")["max_score"].sum()
    sat = exam.scores.groupby("student_id")["subject"].unique()
    total = a.student_scores[a.student_scores["subject"] == "total"].set_index("student_id")
    assert len(total) == exam.scores["student_id"].nunique()
    partial = [s for s, subjects in sat.items() if len(subjects) < len(full)]
    assert partial
    for student in partial[:10]:
        assert total.loc[student, "full_marks"] == full[list(sat[student])].sum()
