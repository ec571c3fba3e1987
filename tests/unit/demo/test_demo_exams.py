"""The demo joint exam: timetable, question bank, item use history and researchers."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from demo.bank import KNOWLEDGE_AREAS
from demo.exams import exam_subjects
from domain.vocab import subjects_for_grade


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def test_one_midterm_of_grade_eight_over_two_days(district30):
    f = district30
    sessions = f["exam_sessions"]
    assert sessions["exam_id"].unique().tolist() == ["2026-T1-MID-G8"]
    assert list(sessions["subject"]) == ["chinese", "physics", "math", "english", "biology", "politics"]
    assert sessions["session_id"].is_unique and (sessions["grade"] == 8).all()
    days = sorted(sessions["date"].unique())
    assert len(days) == 2
    assert dt.date.fromisoformat(days[1]) - dt.date.fromisoformat(days[0]) == dt.timedelta(days=1)
    assert dt.date.fromisoformat(days[0]).month == 11  # mid-term of the autumn term
    for _, day in sessions.groupby("date"):
        starts, ends = day["start"].map(_minutes).to_numpy(), day["end"].map(_minutes).to_numpy()
        assert (starts < ends).all() and starts.min() >= 8 * 60 and ends.max() <= 18 * 60
        assert (starts[1:] >= ends[:-1] + 10).all()  # a break between papers
        assert 60 <= (ends - starts).min() and (ends - starts).max() <= 150
    exam = f["exams"].set_index("exam_id").loc["2026-T1-MID-G8"]
    assert (exam["kind"], exam["school_year"], exam["term"], exam["grade"]) == ("midterm", 2026, 1, 8)


def test_the_cohorts_previous_final_is_listed_with_its_paper(district30):
    f = district30
    exams = f["exams"].set_index("exam_id")
    prior = exams.loc["2025-T2-FIN-G7"]
    assert (prior["kind"], prior["school_year"], prior["term"], prior["grade"]) == ("final", 2025, 2, 7)
    usage = f["item_usage"]
    paper = usage[usage["exam_id"] == "2025-T2-FIN-G7"]
    assert (paper["cohort"] == 2026 - 8 + 1).all()
    items = f["items"].set_index("item_id").loc[paper["item_id"]]
    assert (items["grade"] == 7).all()
    assert set(items["subject"]) == set(exam_subjects(7))
    assert paper.groupby(items["subject"].to_numpy()).size().min() >= 20


def test_usage_cohorts_follow_the_exam_year_and_grade(district30):
    f = district30
    usage = f["item_usage"].merge(f["exams"], on="exam_id")
    assert (usage["cohort"] == usage["school_year"] - usage["grade"] + 1).all()
    assert (usage["used_on"] < "2026-11-12").all()  # all before the midterm
    items = f["items"].set_index("item_id")
    assert (items.loc[usage["item_id"], "grade"].to_numpy() == usage["grade"].to_numpy()).all()
    exam_grade = items[items["grade"] == 8]
    used = exam_grade.index.isin(usage["item_id"])
    assert 0.15 < used.mean() < 0.4
    seen_by_cohort = usage[(usage["cohort"] == 2019) & (usage["grade"] == 8)]
    assert 0 < len(seen_by_cohort) < 0.1 * len(exam_grade)


def test_bank_sizes_per_subject_and_grade(district30):
    items = district30["items"]
    counts = items.groupby(["grade", "subject"]).size()
    assert set(counts.loc[8].index) == set(exam_subjects(8))
    assert counts.loc[8].between(150, 400).all()
    assert set(counts.loc[7].index) == set(exam_subjects(7))
    assert set(items["grade"]) == {7, 8}
    for grade, subject in counts.index:
        assert subject in subjects_for_grade(grade)


def test_items_are_well_formed(district30):
    items = district30["items"]
    single = items[items["item_type"] == "single_choice"]
    assert single["key"].isin(list("ABCD")).all() and (single["options"] == 4).all()
    multiple = items[items["item_type"] == "multiple_choice"]
    assert len(multiple) > 0 and (multiple["options"] == 4).all()
    for key in multiple["key"]:
        assert 2 <= len(key) <= 4 and list(key) == sorted(set(key)) and set(key) <= set("ABCD")
    fill = items[items["item_type"] == "fill_in"]
    assert fill["key"].map(lambda k: isinstance(k, str) and all(k.split("|"))).all()
    assert fill["options"].isna().all()
    subjective = items[items["item_type"] == "subjective"]
    assert subjective["key"].isna().all() and subjective["rubric"].notna().all()
    assert subjective["max_score"].between(6, 15).all()
    assert subjective["score_step"].isin([0.5, 1.0]).all() and subjective["score_step"].eq(0.5).any()
    objective = items[items["item_type"] != "subjective"]
    assert (objective["score_step"] == objective["max_score"]).all()  # right or wrong
    assert items["difficulty"].between(0.3, 0.9).all() and items["difficulty"].std() > 0.08
    assert items["discrimination"].between(0.5, 2.0).all()
    assert set(items["cognitive_level"]) == {"remember", "understand", "apply", "analyse"}
    # harder cognitive levels are harder on average
    by_level = items.groupby("cognitive_level")["difficulty"].mean()
    assert by_level["remember"] > by_level["analyse"]


def test_knowledge_areas_are_chinese_and_four_to_six_per_subject(district30):
    items = district30["items"]
    for subject, areas in items.groupby("subject")["knowledge_area"]:
        assert 4 <= areas.nunique() <= 6, subject
        assert set(areas) <= set(KNOWLEDGE_AREAS[subject])
    assert set(items.loc[items["subject"] == "math", "knowledge_area"]) == {"数与代数", "图形与几何", "统计与概率",
                                                                            "综合与实践"}
    writing = items[items["knowledge_area"].isin(["写作", "书面表达"])]
    assert (writing["item_type"] == "subjective").all()


def test_enemy_pairs_are_symmetric_within_subject_and_grade(district30):
    items = district30["items"].set_index("item_id")
    with_enemies = items[items["enemies"].notna()]
    assert 0.01 < len(with_enemies) / len(items) < 0.06
    for item_id, enemies in with_enemies["enemies"].items():
        for other in enemies:
            assert item_id in items.at[other, "enemies"]
            assert items.at[other, "subject"] == items.at[item_id, "subject"]
            assert items.at[other, "grade"] == items.at[item_id, "grade"]


def test_one_researcher_per_exam_subject(district30):
    researchers = district30["researchers"]
    assert sorted(researchers["subject"]) == sorted(exam_subjects(8))
    assert researchers["researcher_id"].is_unique
    for subject, grades in zip(researchers["subject"], researchers["grades"]):
        assert 8 in grades and all(subject in subjects_for_grade(g) for g in grades)
    assert isinstance(researchers["grades"].iat[0], list)
    assert pd.Series(researchers["name"]).str.len().between(2, 3).all()
