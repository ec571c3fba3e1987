"""The joint exam (联考) of the demo: its timetable, the question bank and its use history, the
district researchers (教研员), and the teachers who cannot attend some sessions.

One district-wide midterm of term 1 for one grade (grade 8 if the district has junior schools,
else grade 6), two days; the same cohort's final of the previous term is listed too, with the
items its paper used, so analyses can compare over time (纵向分析).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo import bank, names
from demo.policy import DemoPolicy
from domain.vocab import STAGE_GRADES, subjects_for_grade

# Written papers in the order they are sat. Junior: six sessions over two days; primary: four.
JUNIOR_PAPERS = ("chinese", "physics", "math", "english", "biology", "politics")
PRIMARY_PAPERS = ("chinese", "math", "english", "science")
PAPER_MINUTES = {"chinese": 120, "math": 120, "english": 100, "physics": 90, "chemistry": 60, "biology": 60,
                 "geography": 60, "politics": 60, "history": 60, "science": 60}
KIND_CODE = {"midterm": "MID", "final": "FIN", "unit": "U1"}
KIND_ZH = {"midterm": "期中联考", "final": "期末质量检测", "unit": "第一次单元检测"}


def exam_subjects(grade: int) -> tuple[str, ...]:
    """The written papers of a grade's joint exam (only subjects taught at that grade)."""
    papers = JUNIOR_PAPERS if grade >= 7 else PRIMARY_PAPERS
    return tuple(s for s in papers if s in subjects_for_grade(grade))


def exam_id(school_year: int, term: int, kind: str, grade: int) -> str:
    """2026-T1-MID-G8: school year, term, kind, grade."""
    return f"{school_year}-T{term}-{KIND_CODE[kind]}-G{grade}"


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def exam_date(school_year: int, term: int, kind: str) -> dt.date:
    """Usual dates: unit test early October, midterm mid-November (a Thursday), term-1 final in
    January, term-2 final at the end of June (both on a Tuesday)."""
    if term == 1:
        if kind == "unit":
            return _weekday_on_or_after(dt.date(school_year, 10, 9), 1)
        if kind == "midterm":
            return _weekday_on_or_after(dt.date(school_year, 11, 10), 3)
        return _weekday_on_or_after(dt.date(school_year + 1, 1, 10), 1)
    if kind == "midterm":
        return _weekday_on_or_after(dt.date(school_year + 1, 4, 20), 3)
    return _weekday_on_or_after(dt.date(school_year + 1, 6, 28), 1)


@dataclass(frozen=True)
class ExamPlan:
    exam_id: str
    grade: int
    school_year: int
    subjects: tuple[str, ...]
    prior_exam_id: str  # the same cohort's final of the previous term
    prior_grade: int

    @property
    def cohort(self) -> int:  # the year the cohort entered grade 1 (届别)
        return self.school_year - self.grade + 1


def plan_exam(schools: pd.DataFrame, school_year: int) -> ExamPlan:
    grade = 8 if schools["stage"].isin(["junior", "nine_year"]).any() else 6
    return ExamPlan(exam_id(school_year, 1, "midterm", grade), grade, school_year, exam_subjects(grade),
                    exam_id(school_year - 1, 2, "final", grade - 1), grade - 1)


def build_sessions(plan: ExamPlan) -> pd.DataFrame:
    """Two days; mornings start 08:30 with a 20-minute break between papers, afternoons at 14:30."""
    day1 = exam_date(plan.school_year, 1, "midterm")
    per_day = math.ceil(len(plan.subjects) / 2)
    rows = []
    previous_end = dt.datetime.combine(day1, dt.time(8, 30))  # each day's first paper sets it before it is read
    for i, subject in enumerate(plan.subjects):
        day, slot = divmod(i, per_day)
        date = day1 + dt.timedelta(days=day)
        if slot == 0:
            start = dt.datetime.combine(date, dt.time(8, 30))
        elif slot == per_day - 1 and per_day >= 3:
            start = dt.datetime.combine(date, dt.time(14, 30))
        else:
            start = previous_end + dt.timedelta(minutes=20)
        end = start + dt.timedelta(minutes=PAPER_MINUTES[subject])
        previous_end = end
        rows.append((plan.exam_id, np.int64(plan.grade), f"S{i + 1}", subject, date.isoformat(),
                     start.strftime("%H:%M"), end.strftime("%H:%M")))
    return pd.DataFrame(rows, columns=["exam_id", "grade", "session_id", "subject", "date", "start", "end"])


def build_bank(rng: np.random.Generator, plan: ExamPlan, policy: DemoPolicy) -> pd.DataFrame:
    """Items for the exam grade's papers, and a smaller bank for the grade before (last term's final)."""
    frames = [bank.build_items(rng, s, plan.grade, policy.items_per_subject, policy.enemy_pair_share)
              for s in plan.subjects]
    frames += [bank.build_items(rng, s, plan.prior_grade, policy.prior_items_per_subject, policy.enemy_pair_share)
               for s in exam_subjects(plan.prior_grade)]
    return pd.concat(frames, ignore_index=True)


def _exam_row(school_year: int, term: int, kind: str, grade: int) -> tuple:
    name = f"{school_year}学年第{names.chinese_numeral(term)}学期{names.GRADE_NAMES[grade]}{KIND_ZH[kind]}"
    return (exam_id(school_year, term, kind, grade), name, kind, np.int64(school_year), np.int64(term),
            np.int64(grade), None)


def build_usage_and_exams(rng: np.random.Generator, plan: ExamPlan, items: pd.DataFrame,
                          policy: DemoPolicy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Item use history and the exams it refers to.

    - the cohort's final last term used a paper of `prior_paper_items` items per subject;
    - this term's unit test showed the cohort a few exam-grade items (to avoid on the midterm);
    - earlier cohorts sat midterms and finals of the same grades in the three years before.
    """
    exams = {plan.exam_id: _exam_row(plan.school_year, 1, "midterm", plan.grade)}
    usage: list[tuple] = []

    def use(item_ids, school_year: int, term: int, kind: str, grade: int) -> None:
        eid = exam_id(school_year, term, kind, grade)
        exams.setdefault(eid, _exam_row(school_year, term, kind, grade))
        used_on = exam_date(school_year, term, kind).isoformat()
        usage.extend((str(i), eid, np.int64(school_year - grade + 1), used_on) for i in item_ids)

    for subject in plan.subjects:
        current = items[(items["subject"] == subject) & (items["grade"] == plan.grade)]["item_id"].to_numpy()
        exposed = rng.random(len(current)) < policy.cohort_exposure_share
        use(current[exposed], plan.school_year, 1, "unit", plan.grade)
        _earlier_cohorts(rng, current, plan.school_year, plan.grade, [(1, "midterm"), (1, "final")], policy, use)
    for subject in exam_subjects(plan.prior_grade):
        prior = items[(items["subject"] == subject) & (items["grade"] == plan.prior_grade)]["item_id"].to_numpy()
        paper = rng.choice(prior, size=min(policy.prior_paper_items, len(prior)), replace=False)
        use(sorted(paper), plan.school_year - 1, 2, "final", plan.prior_grade)
        rest = np.setdiff1d(prior, paper)
        _earlier_cohorts(rng, rest, plan.school_year - 1, plan.prior_grade, [(2, "final")], policy, use)
    usage_frame = pd.DataFrame(usage, columns=["item_id", "exam_id", "cohort", "used_on"])
    usage_frame = usage_frame.drop_duplicates(["item_id", "exam_id"]).reset_index(drop=True)
    exams_frame = pd.DataFrame(list(exams.values()),
                               columns=["exam_id", "name", "kind", "school_year", "term", "grade", "cluster_id"])
    held_on = [exam_date(int(y), int(t), k) for y, t, k in exams_frame[["school_year", "term", "kind"]].itertuples(
        index=False)]
    chronological = sorted(range(len(held_on)), key=lambda i: held_on[i])  # stable: a day's exams keep their order
    exams_frame = exams_frame.iloc[chronological].reset_index(drop=True)
    exams_frame["cluster_id"] = exams_frame["cluster_id"].astype(object)
    return usage_frame, exams_frame


def _earlier_cohorts(rng, item_ids: np.ndarray, before_year: int, grade: int, sittings: list[tuple[int, str]],
                     policy: DemoPolicy, use) -> None:
    """Some items were used by the cohorts of the three school years before `before_year` (a few twice)."""
    used = item_ids[rng.random(len(item_ids)) < policy.item_usage_share]
    for reuse in range(2):
        if reuse == 1:
            used = used[rng.random(len(used)) < 0.2]
        years = before_year - rng.integers(1, 4, size=len(used))
        which = rng.integers(0, len(sittings), size=len(used))
        for (term, kind), year, item in zip([sittings[w] for w in which], years, used):
            use([item], int(year), term, kind, grade)


def build_researchers(rng: np.random.Generator, plan: ExamPlan) -> pd.DataFrame:
    """One district subject researcher (教研员) per paper, responsible for the stage's grades of it."""
    stage_grades = STAGE_GRADES["junior"] if plan.grade >= 7 else STAGE_GRADES["primary"]
    female = rng.random(len(plan.subjects)) < 0.5
    return pd.DataFrame({
        "researcher_id": [f"JY{i + 1:02d}" for i in range(len(plan.subjects))],
        "name": names.person_names(rng, female),
        "subject": list(plan.subjects),
        "grades": pd.Series([[g for g in stage_grades if s in subjects_for_grade(g)] for s in plan.subjects],
                            dtype=object),
    })


def build_unavailability(rng: np.random.Generator, teachers: pd.DataFrame, sessions: pd.DataFrame,
                         policy: DemoPolicy) -> pd.DataFrame:
    """A handful of teachers away on an exam day (session empty) or for one session."""
    count = min(len(teachers), max(5, round(policy.unavailability_share * len(teachers))))
    if count == 0 or sessions.empty:
        return pd.DataFrame({"teacher_id": pd.Series([], dtype=str), "date": pd.Series([], dtype=str),
                             "session_id": pd.Series([], dtype=object)})
    who = np.sort(rng.choice(len(teachers), size=count, replace=False))
    whole_day = rng.permutation(np.arange(count) % 2 == 0)  # half away all day, half for one session
    rows = []
    for t, away_all_day in zip(who, whole_day):
        session = sessions.iloc[int(rng.integers(0, len(sessions)))]
        rows.append((teachers["teacher_id"].iat[t], session["date"], None if away_all_day else session["session_id"]))
    return pd.DataFrame(rows, columns=["teacher_id", "date", "session_id"]).astype({"session_id": object})
