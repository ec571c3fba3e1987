"""Who was expected to sit each paper and who did (应考、实考、缺考、免考, 参考率).

A student is *expected* (应考) for every paper of the exam when they are on the class lists (the
roster: students.csv of the exam's classes) or have any score row; `attendance.csv` may mark a
student exempt (免考) from a paper, which takes them out of the expected. A student *sat* (实考) a
paper when at least one of their cells of it holds a number (`analysis.matrix`); an expected
student who did not sit is *absent* (缺考): no rows of the paper, only empty or `缺考` cells, or
`absent` in attendance.csv. Rates and means are over those who sat; these counts stand beside them,
and the absentees are listed by name, so a school cannot raise its rates by keeping weak students
at home without it showing.

The total (总分): with `total_requires_all_subjects` a student is expected for the total when exempt
from no paper and sat it when they sat every paper; otherwise expected when exempt from not every
paper and sat it when they sat any.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.matrix import ScoreData
from analysis.policy import AnalysisPolicy
from analysis.stats import DISTRICT, LEVELS, TOTAL

SAT, ABSENT, EXEMPT = "sat", "absent", "exempt"
STATUS_WORDS = {"sat": SAT, "实考": SAT, "参考": SAT, "absent": ABSENT, "缺考": ABSENT, "exempt": EXEMPT,
                "免考": EXEMPT}
# why a student counts as absent from a paper (the absentee list's `source`)
SOURCE_ATTENDANCE = "attendance"  # attendance.csv says absent
SOURCE_BLANK = "blank_scores"  # score rows, all empty or 缺考
SOURCE_NOT_IN_SCORES = "not_in_scores"  # on the class list, no score row at all
SOURCE_NO_ROWS = "no_rows"  # score rows of other papers, none of this one
SOURCE_EXEMPT = "attendance_exempt"
COUNT_COLUMNS = ("expected", "sat", "absent", "exempt", "participation_rate")
ABSENTEE_COLUMNS = ("student_id", "name", "school_id", "class_id", "subject", "status", "source")


@dataclass
class Attendance:
    """counts: level, group_id, subject (papers and `total`), expected, sat, absent, exempt,
    participation_rate (参考率 = sat ÷ expected). absentees: one row per student and paper they were
    absent from or exempt from (ABSENTEE_COLUMNS), totals not repeated."""

    counts: pd.DataFrame
    absentees: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    # everyone expected or exempt: student_id, class_id, school_id, cluster_id (absent ones included)
    members: pd.DataFrame = field(default_factory=pd.DataFrame)


def normalise_attendance(attendance: pd.DataFrame | None, exam_id: str) -> pd.DataFrame:
    """student_id, subject, status (sat, absent, exempt) of this exam from an attendance table
    (FORMATS.md v2 `attendance.csv`; Chinese status words accepted). Rows of other exams are dropped."""
    if attendance is None or len(attendance) == 0:
        return pd.DataFrame({"student_id": pd.Series(dtype=object), "subject": pd.Series(dtype=object),
                             "status": pd.Series(dtype=object)})
    missing = [c for c in ("student_id", "subject", "status") if c not in attendance]
    if missing:
        raise ValueError(f"attendance lacks columns {missing}; it has {list(attendance.columns)}")
    table = attendance.copy()
    if "exam_id" in table:
        exam = table["exam_id"].astype(object)
        table = table[exam.isna() | (exam.astype(str).str.strip().isin(["", exam_id]))]
    status = table["status"].astype(object).map(lambda v: STATUS_WORDS.get(str(v).strip().lower(),
                                                                             STATUS_WORDS.get(str(v).strip())))
    bad = status.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"attendance row {row + 2}, column status: {table['status'].iat[row]!r} is not one of "
                         "sat (实考), absent (缺考), exempt (免考)")
    out = pd.DataFrame({"student_id": table["student_id"].astype(str).str.strip().to_numpy(dtype=object),
                        "subject": table["subject"].astype(str).str.strip().to_numpy(dtype=object),
                        "status": status.to_numpy(dtype=object)})
    out = out.drop_duplicates().reset_index(drop=True)
    twice = out.duplicated(["student_id", "subject"])
    if twice.any():
        first = out[twice].iloc[0]
        raise ValueError(f"attendance gives two statuses for student {first['student_id']} in {first['subject']}")
    return out


def attendance_of(data: ScoreData, cluster_of_school: dict[str, str], policy: AnalysisPolicy,
                  roster: pd.DataFrame | None = None, attendance: pd.DataFrame | None = None) -> Attendance:
    """Expected, sat, absent and exempt per class, school, cluster and all, per paper and total.

    roster: the class lists (student_id, class_id, school_id; name optional) of the exam's grade;
    students of schools that did not sit the exam at all are left out (a roster may cover a district
    while the exam covers one cluster). attendance: see `normalise_attendance`.
    """
    warnings: list[str] = []
    subjects = list(data.papers)
    n_scored = len(data.student_ids)
    ids = list(data.student_ids)
    school_of = list(data.school_ids)
    class_of = list(data.class_ids)
    names: dict[str, str] = {}
    if roster is not None and len(roster):
        missing = [c for c in ("student_id", "class_id", "school_id") if c not in roster]
        if missing:
            raise ValueError(f"roster lacks columns {missing}; it has {list(roster.columns)}")
        listed = pd.DataFrame({c: roster[c].astype(str).to_numpy(dtype=object)
                               for c in ("student_id", "class_id", "school_id")})
        if "name" in roster:
            names = {s: str(n) for s, n in zip(listed["student_id"], roster["name"]) if isinstance(n, str) and n}
        listed = listed[listed["school_id"].isin(set(school_of))].drop_duplicates("student_id")
        known = pd.Index(ids)
        position = known.get_indexer(listed["student_id"])
        moved = (position >= 0) & (listed["class_id"].to_numpy() != np.asarray(class_of, dtype=object)[
            np.where(position >= 0, position, 0)])
        if moved.any():
            warnings.append(f"{int(moved.sum())} student(s) sat with another class than the class list's; "
                            f"their score rows' class is used (e.g. {listed['student_id'][moved].iloc[0]})")
        extra = listed[position < 0]
        ids += extra["student_id"].tolist()
        school_of += extra["school_id"].tolist()
        class_of += extra["class_id"].tolist()
        not_listed = n_scored - int((position >= 0).sum())
        if not_listed:
            warnings.append(f"{not_listed} student(s) with scores are not on the class lists: counted as expected")
    n = len(ids)
    in_scores = np.zeros(n, dtype=bool)
    in_scores[:n_scored] = True

    sat = np.zeros((n, len(subjects)), dtype=bool)
    blank = np.zeros((n, len(subjects)), dtype=bool)
    for j, paper in enumerate(data.papers.values()):
        sat[paper.students, j] = True
        blank[paper.blank_students, j] = True
    exempt = np.zeros_like(sat)
    said_absent = np.zeros_like(sat)
    said_sat = np.zeros_like(sat)
    table = normalise_attendance(attendance, data.exam_id)
    if len(table):
        student = pd.Index(ids).get_indexer(table["student_id"])
        subject = pd.Index(subjects).get_indexer(table["subject"])
        unknown_subject = sorted(set(table.loc[subject < 0, "subject"]))
        if unknown_subject:
            warnings.append(f"attendance names papers this exam does not have: {', '.join(unknown_subject)}")
        unknown_student = table.loc[(student < 0) & (subject >= 0), "student_id"]
        if len(unknown_student):
            warnings.append(f"attendance names {unknown_student.nunique()} student(s) neither on the class lists "
                            f"nor in the scores (e.g. {unknown_student.iloc[0]}): left out")
        ok = (student >= 0) & (subject >= 0)
        for status, target in ((EXEMPT, exempt), (ABSENT, said_absent), (SAT, said_sat)):
            pick = ok & (table["status"].to_numpy() == status)
            target[student[pick], subject[pick]] = True
        for what, clash in (("exempt (免考)", exempt & sat), ("absent (缺考)", said_absent & sat)):
            if clash.any():
                warnings.append(f"attendance marks {int(clash.sum())} student × paper {what} that have scores: "
                                "the scores count (sat)")
        no_scores = said_sat & ~sat
        if no_scores.any():
            warnings.append(f"attendance marks {int(no_scores.sum())} student × paper sat that have no scores: "
                            "counted absent")
        exempt &= ~sat
    expected = ~exempt
    absent = expected & ~sat

    if policy.total_requires_all_subjects:
        total_expected, total_sat, total_exempt = ~exempt.any(axis=1), sat.all(axis=1), exempt.any(axis=1)
    else:
        total_expected, total_sat, total_exempt = ~exempt.all(axis=1), sat.any(axis=1), exempt.all(axis=1)
    total_absent = total_expected & ~total_sat

    # counts per group on integer codes
    school_codes, schools = pd.factorize(pd.Series(school_of, dtype=object))
    class_codes, classes = pd.factorize(pd.Series(class_of, dtype=object))
    cluster_names = pd.Series(schools, dtype=object).map(cluster_of_school).fillna("?")
    cluster_of_code, clusters = pd.factorize(cluster_names)
    codes = {"class": (class_codes, classes), "school": (school_codes, schools),
             "cluster": (cluster_of_code[school_codes], clusters),
             "district": (np.zeros(n, dtype=np.int64), pd.Index([DISTRICT]))}
    columns = {"expected": np.column_stack([expected, total_expected]),
               "sat": np.column_stack([sat, total_sat]),
               "absent": np.column_stack([absent, total_absent]),
               "exempt": np.column_stack([exempt, total_exempt])}
    frames = []
    for level in LEVELS:
        group, names_of = codes[level]
        for j, subject in enumerate([*subjects, TOTAL]):
            counts = {k: np.bincount(group, weights=v[:, j], minlength=len(names_of)).astype(np.int64)
                      for k, v in columns.items()}
            frame = pd.DataFrame({"level": level, "group_id": np.asarray(names_of, dtype=object), "subject": subject,
                                  **counts})
            frames.append(frame[(frame["expected"] + frame["sat"] + frame["exempt"]) > 0])
    counts_table = pd.concat(frames, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts_table["participation_rate"] = np.where(counts_table["expected"] > 0,
                                                      counts_table["sat"] / counts_table["expected"], np.nan)

    # the list: one row per student and paper absent from or exempt from
    rows_absent = np.argwhere(absent)
    rows_exempt = np.argwhere(exempt)
    student_index = np.concatenate([rows_absent[:, 0], rows_exempt[:, 0]])
    subject_index = np.concatenate([rows_absent[:, 1], rows_exempt[:, 1]])
    source = np.where(said_absent[rows_absent[:, 0], rows_absent[:, 1]], SOURCE_ATTENDANCE,
                      np.where(blank[rows_absent[:, 0], rows_absent[:, 1]], SOURCE_BLANK,
                               np.where(in_scores[rows_absent[:, 0]], SOURCE_NO_ROWS, SOURCE_NOT_IN_SCORES)))
    ids_array = np.asarray(ids, dtype=object)
    absentees = pd.DataFrame({
        "student_id": ids_array[student_index],
        "name": [names.get(s, "") for s in ids_array[student_index]],
        "school_id": np.asarray(school_of, dtype=object)[student_index],
        "class_id": np.asarray(class_of, dtype=object)[student_index],
        "subject": np.asarray(subjects, dtype=object)[subject_index] if len(subjects) else [],
        "status": [ABSENT] * len(rows_absent) + [EXEMPT] * len(rows_exempt),
        "source": np.concatenate([source.astype(object), np.full(len(rows_exempt), SOURCE_EXEMPT, dtype=object)]),
    })
    order = {s: i for i, s in enumerate(subjects)}
    absentees = (absentees.assign(_s=absentees["subject"].map(order))
                 .sort_values(["school_id", "class_id", "student_id", "_s"]).drop(columns="_s").reset_index(drop=True))
    members = pd.DataFrame({"student_id": ids_array, "class_id": np.asarray(class_of, dtype=object),
                            "school_id": np.asarray(school_of, dtype=object),
                            "cluster_id": np.asarray(clusters, dtype=object)[cluster_of_code[school_codes]]})
    return Attendance(counts=counts_table, absentees=absentees[list(ABSENTEE_COLUMNS)], warnings=warnings,
                      members=members)
