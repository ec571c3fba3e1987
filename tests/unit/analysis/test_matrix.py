import numpy as np
import pandas as pd
import pytest

from analysis.matrix import build_score_data


def test_matrices_equal_an_independent_pivot(exam):
    data = build_score_data(exam.scores, exam.items)
    assert data.exam_id == "E2"
    for subject, paper in data.papers.items():
        rows = exam.scores[exam.scores["subject"] == subject]
        pivot = rows.pivot_table(index="student_id", columns="item_id", values="score", aggfunc="first")
        expected = pivot.loc[data.student_ids[paper.students], paper.item_ids].to_numpy()
        np.testing.assert_array_equal(paper.matrix, expected)
        listed = exam.items[exam.items["subject"] == subject]
        assert paper.item_ids == listed["item_id"].tolist()  # the paper's order
        assert paper.full_marks == listed["max_score"].sum()
    # school and class per student as in the rows
    first = exam.scores.drop_duplicates("student_id").set_index("student_id")
    assert list(first.loc[data.student_ids, "class_id"]) == list(data.class_ids)


def _tiny():
    scores = pd.DataFrame({
        "exam_id": "E", "student_id": ["a", "a", "b", "b", "c"], "school_id": "S", "class_id": "C",
        "subject": ["math", "math", "math", "math", "chinese"], "item_id": ["1", "2", "1", "2", "1"],
        "score": [1.0, 2.0, 0.5, 3.0, 4.0],
    })
    items = pd.DataFrame({"subject": ["math", "math", "chinese"], "item_id": ["1", "2", "1"],
                          "max_score": [1.0, 3.0, 5.0]})
    return scores, items


def test_item_ids_only_unique_within_a_subject():
    scores, items = _tiny()
    data = build_score_data(scores, items)
    assert data.papers["math"].full_marks == 4.0 and data.papers["chinese"].full_marks == 5.0
    assert list(data.student_ids[data.papers["chinese"].students]) == ["c"]


def test_missing_item_rows_count_zero_and_are_reported():
    scores, items = _tiny()
    scores = scores.drop(index=1)  # a has no row for math item 2
    data = build_score_data(scores, items)
    math = data.papers["math"]
    assert math.matrix[list(data.student_ids[math.students]).index("a")].tolist() == [1.0, 0.0]
    assert math.missing_cells == 1 and any("missing" in w for w in data.warnings)


@pytest.mark.parametrize("change, message", [
    (lambda s, i: s.assign(score=s["score"].where(s.index != 1, 3.5)), "outside"),
    (lambda s, i: s.assign(score=s["score"].where(s.index != 1, -1.0)), "outside"),
    (lambda s, i: pd.concat([s, s.iloc[[0]]]), "more than once"),
    (lambda s, i: s.assign(class_id=np.where(s.index == 1, "C2", "C")), "more than one class"),
    (lambda s, i: s.assign(exam_id=np.where(s.index == 1, "F", "E")), "one exam"),
    (lambda s, i: s.assign(item_id=np.where(s.index == 1, "9", s["item_id"])), "without a max score"),
])
def test_bad_data_is_refused_with_a_clear_message(change, message):
    scores, items = _tiny()
    with pytest.raises(ValueError, match=message):
        build_score_data(change(scores, items), items)


def test_an_item_scored_under_another_subject_is_refused():
    scores = pd.DataFrame({"exam_id": "E", "student_id": ["a", "a"], "school_id": "S", "class_id": "C",
                           "subject": ["math", "chinese"], "item_id": ["M1", "M2"], "score": [1.0, 1.0]})
    items = pd.DataFrame({"subject": ["math", "math"], "item_id": ["M1", "M2"], "max_score": [2.0, 2.0]})
    with pytest.raises(ValueError, match="another subject"):
        build_score_data(scores, items)
    data = build_score_data(scores.assign(subject="math"), items)
    assert data.subjects == ["math"] and data.papers["math"].matrix.tolist() == [[1.0, 1.0]]
