"""Unified assessment (统一考核) and bundled evaluation (捆绑评价)."""
import numpy as np
import pandas as pd
import pytest

from analysis.assessment import bundled_evaluation, normalise_pairs
from analysis.pipeline import analyse_exam, bundled_evaluation_of
from analysis.policy import AnalysisPolicy
from analysis.synthetic import generate_exam


def test_class_scores_follow_the_formula(analysis):
    ca = analysis.class_assessment
    expected = 100 * (ca["excellent_rate"] + ca["pass_rate"] + ca["improvement_rate"]) / 3
    np.testing.assert_allclose(ca["class_score"], expected)
    summary = analysis.summary[(analysis.summary["level"] == "class")].set_index(["group_id", "subject"])
    joined = ca.set_index(["class_id", "subject"])
    assert (joined["pass_rate"] == summary.loc[joined.index, "pass_rate"]).all()


def test_teacher_scores_pool_their_classes(exam, analysis):
    ss = analysis.student_scores
    ss = ss[ss["subject"] != "total"].astype({"class_id": object, "subject": object})
    rows = ss.merge(exam.class_teachers, on=["class_id", "subject"])
    ta = analysis.teacher_assessment.set_index(["teacher_id", "subject"])
    for (teacher, subject), part in rows.groupby(["teacher_id", "subject"]):
        row = ta.loc[(teacher, subject)]
        improvement = part.loc[part["matched"], "improved"].mean()
        expected = 100 * (part["excellent"].mean() + part["pass"].mean() + improvement) / 3
        assert row["students"] == len(part)
        assert row["teacher_score"] == pytest.approx(expected)
        assert row["class_ids"] == ";".join(sorted(part["class_id"].unique()))
    # ranks: within cluster and subject, the best score ranks 1
    for _, part in analysis.teacher_assessment.groupby(["cluster_id", "subject"]):
        best = part.loc[part["rank"] == 1, "teacher_score"]
        assert (best == part["teacher_score"].max()).all()


def test_weights_are_policy():
    policy = AnalysisPolicy(weight_excellent=3, weight_pass=1, weight_improvement=0)
    exam = generate_exam(n_students=300, n_schools=2, seed=11)
    a = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                     exam.previous_scores, policy, previous_items=exam.previous_items)
    ca = a.class_assessment
    np.testing.assert_allclose(ca["class_score"], 100 * (0.75 * ca["excellent_rate"] + 0.25 * ca["pass_rate"]))


def _class_scores(exam_id, rows):
    return pd.DataFrame(rows, columns=["class_id", "subject", "teacher_id", "class_score"]).assign(exam_id=exam_id)


def test_bundled_evaluation_by_hand():
    # mentor M1 (math, class c1) with apprentices A1 (c2) and A2 (c3); mentor M2 (c4) with A3 (c5)
    tests = []
    for e, bonus in enumerate([0, 5, 10, 15]):
        tests.append(_class_scores(f"E{e}", [
            ("c1", "math", "M1", 60 + bonus), ("c2", "math", "A1", 50 + bonus), ("c3", "math", "A2", 40),
            ("c4", "math", "M2", 70), ("c5", "math", "A3", 65 + bonus), ("c6", "math", "X", 99),
        ]))
    frame = pd.concat(tests, ignore_index=True)
    pairs = pd.DataFrame({"mentor_id": ["M1", "M1", "M2"], "apprentice_id": ["A1", "A2", "A3"]})
    result = bundled_evaluation(frame, pairs)
    p = result.pairs.set_index(["mentor_id", "apprentice_id"])
    bonus = 0 + 5 + 10 + 15
    assert p.loc[("M1", "A1"), "pair_score"] == 4 * 60 + bonus + 4 * 50 + bonus
    assert p.loc[("M1", "A2"), "pair_score"] == 4 * 60 + bonus + 4 * 40
    assert p.loc[("M2", "A3"), "pair_score"] == 4 * 70 + 4 * 65 + bonus
    assert p.loc[("M1", "A1"), "tests"] == 4 and p.loc[("M1", "A1"), "mentor_class_tests"] == 4
    g = result.groups.set_index("mentor_id")
    assert g.loc["M1", "group_score"] == (4 * 60 + bonus) + (4 * 50 + bonus) + 4 * 40
    assert g.loc["M1", "members"] == 3 and g.loc["M1", "apprentices"] == "A1;A2"
    assert g.loc["M2", "group_score"] == 4 * 70 + 4 * 65 + bonus
    assert g.loc["M1", "rank"] == 1 and g.loc["M2", "rank"] == 2  # 850 > 590
    assert p["rank"].tolist() == sorted(p["rank"].tolist()) and not result.notes

    three = bundled_evaluation(frame[frame["exam_id"] != "E3"], pairs)
    assert any("3 quality tests" in n for n in three.notes)


def test_pairs_from_a_rotation_table():
    rotation = pd.DataFrame({"teacher_id": ["M1", "M2", "M3"], "mentor_of": ["A1", None, ""]})
    assert normalise_pairs(rotation).values.tolist() == [["M1", "A1"]]
    with pytest.raises(ValueError, match="mentor_id"):
        normalise_pairs(pd.DataFrame({"a": [1]}))


def test_bundled_evaluation_of_analyses():
    analyses = []
    for e in range(4):
        exam = generate_exam(n_students=300, n_schools=2, seed=100 + e, exam_id=f"Q{e}", previous_exam_id=None,
                             with_responses=False)
        analyses.append(analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers))
    ct = exam.class_teachers
    mentor, apprentice = ct["teacher_id"].iloc[0], ct["teacher_id"].iloc[-1]
    result = bundled_evaluation_of(analyses, pd.DataFrame({"mentor_id": [mentor], "apprentice_id": [apprentice]}))
    all_scores = pd.concat([a.class_assessment for a in analyses])
    expected = all_scores.loc[all_scores["teacher_id"].isin([mentor, apprentice]), "class_score"].sum()
    assert result.pairs["pair_score"].iloc[0] == pytest.approx(expected)
    assert result.tests == ["Q0", "Q1", "Q2", "Q3"]
