"""Standard scripts (标准卷): reading standard_scripts.csv against the paper, and picking them from scores."""
from __future__ import annotations

import pandas as pd

from marking.paper import PaperEntry
from marking.responses import sheet_from_frame
from marking.standards import parse_standards, pick_standard_scripts


def entry(position, item_id, max_score, step, group, item_type="subjective"):
    return PaperEntry("math", "A", position, item_id, item_type, max_score, step, None, None, None, group)


ENTRIES = [entry(1, "I1", 3, 3, "", "single_choice"), entry(5, "I5", 10, 1, "G1"), entry(6, "I6", 6, 0.5, "G1"),
           entry(7, "I7", 12, 1, "Q7")]


def parse(rows, **options):
    frame = pd.DataFrame(rows)
    return parse_standards([sheet_from_frame(frame, "standard_scripts.csv")], ENTRIES, "E1", **options)


def test_standards_group_their_rows_by_id_and_item_group():
    scripts, problems = parse([
        {"标准卷编号": "B1", "学科": "math", "题号": 5, "答案": "scan/b1-5.png", "专家分": 7, "用途": "试评"},
        {"标准卷编号": "B1", "学科": "math", "题号": 6, "答案": "scan/b1-6.png", "专家分": 2.5, "用途": "试评"},
        {"标准卷编号": "B2", "学科": "math", "题号": 7, "答案": "文字作答", "专家分": 12, "用途": ""},
    ])
    assert problems == []
    by_name = {s.name: s for s in scripts}
    assert (by_name["B1"].item_group, by_name["B1"].purpose, by_name["B1"].expert_scores) == (
        "G1", "trial", {"I5": 7.0, "I6": 2.5})
    assert by_name["B1"].answers == {"I5": "scan/b1-5.png", "I6": "scan/b1-6.png"}
    assert (by_name["B2"].item_group, by_name["B2"].purpose) == ("Q7", "both")


def test_every_problem_is_named_by_row_and_column():
    _, problems = parse([
        {"standard_id": "B1", "question": 5, "answer": "a", "expert_score": 7},  # lacks question 6 of G1
        {"standard_id": "B2", "question": 1, "answer": "B", "expert_score": 3},  # objective item
        {"standard_id": "B3", "question": 7, "answer": "a", "expert_score": 12.5},  # off the step grid and max
        {"standard_id": "B4", "question": 5, "answer": "a", "expert_score": 4},
        {"standard_id": "B4", "question": 7, "answer": "a", "expert_score": 4},  # two groups in one standard
        {"standard_id": "", "question": 7, "answer": "a", "expert_score": 4},
        {"standard_id": "B5", "question": 7, "answer": "a", "expert_score": "x", "purpose": "exam"},
    ], subject="math")
    found = {(p.row, p.column) for p in problems}
    assert {(3, "question"), (4, "expert_score"), (6, "question"), (7, "standard_id"), (8, "purpose")} <= found
    assert any(p.row == 2 and "缺少题组 G1 的第 6 题" in p.message_zh for p in problems)
    assert any(p.row == 5 and "缺少题组 G1 的第 6 题" in p.message_zh for p in problems)  # B4's first row
    missing, _ = parse_standards([sheet_from_frame(pd.DataFrame([{"standard_id": "B1", "answer": "a"}]))],
                                 ENTRIES, "E1")
    assert missing == []


def test_missing_columns_are_reported_once_each():
    _, problems = parse([{"standard_id": "B1", "answer": "a"}])
    assert {p.column for p in problems} == {"expert_score", "question", "subject"}


def test_picked_standards_span_the_score_range_and_alternate_purposes():
    students = [f"S{k:02d}" for k in range(20)]
    scores = pd.DataFrame([(s, "I7", float(k % 13)) for k, s in enumerate(students)],
                          columns=["student_id", "item_id", "true_score"])
    responses = pd.DataFrame([(s, "I7", f"scan/{s}/7.png") for s in students], columns=["student_id", "item_id", "answer"])
    picked = pick_standard_scripts(responses, scores, [e for e in ENTRIES if e.item_group == "Q7"], trial=2, seed=2)
    assert list(picked["purpose"]) == ["trial", "seed", "trial", "seed"]
    totals = list(picked["expert_score"])
    assert totals[0] == 0 and totals[-1] == 12 and totals == sorted(totals)  # lowest to highest
    assert list(picked["standard_id"]) == ["Q7-01", "Q7-02", "Q7-03", "Q7-04"]
    one = pick_standard_scripts(responses.head(1), scores.head(1), ENTRIES[3:], trial=2, seed=2)
    assert len(one) == 1 and one["purpose"].iloc[0] == "trial"  # one scored script: one standard
