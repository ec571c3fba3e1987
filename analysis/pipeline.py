"""The analysis of one joint exam: `analyse_exam(...) -> ExamAnalysis`.

Pure pandas/numpy: tables in, tables out; no database, no Prefect, no files (reports are written
by `analysis.report.write_reports`). See analysis/METHODS.md for every definition.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import labels as L
from analysis.assessment import BundledEvaluation, bundled_evaluation, class_assessment, teacher_assessment
from analysis.attendance import ABSENTEE_COLUMNS, COUNT_COLUMNS, attendance_of
from analysis.borderline import BORDERLINE_COLUMNS, CONVERSION_COLUMNS, borderline_counts, borderline_students, conversion
from analysis.cohort import CohortTrends, cohort_trends, transition_summary
from analysis.items import (OPTION_COLUMNS, area_breakdown, encode_responses, item_means_by_group, item_metadata,
                            item_statistics, option_analysis, quality_bands, score_groups)
from analysis.matrix import ScoreData, build_score_data
from analysis.policy import AnalysisPolicy
from analysis.stats import (DISTRICT, TOTAL, group_summary, one_point_segments, score_bands, student_scores)
from analysis.vertical import VERTICAL_COLUMNS, match_previous, vertical_summary
from bundle.spec import EXPORT_COLUMNS


@dataclass
class ExamAnalysis:
    """Every table of one exam's analysis. Rates are fractions in [0, 1]; `subject` is a subject code
    or "total" (总分); `level` is class, school, cluster or district (the whole population given)."""

    exam_id: str
    policy: AnalysisPolicy
    subjects: list[str]
    papers: pd.DataFrame  # one row per subject: items, full_marks, students, mean, std, difficulty, alpha, …
    student_scores: pd.DataFrame  # student × subject (+ total): score, z, t, rates flags, ranks (+ prev_z, z_gain)
    students: pd.DataFrame  # one row per student: subject scores, total, total_z/t, total ranks
    summary: pd.DataFrame  # level × group × subject: 三率一分, comparison with the reference, vertical columns
    score_bands: pd.DataFrame  # level × group × subject × band: count, share
    segments: pd.DataFrame  # 一分一段: scope × subject × score: count, cumulative
    items: pd.DataFrame  # item analysis
    item_by_school: pd.DataFrame  # item score rate per school against its cluster
    options: pd.DataFrame  # option counts by score group (empty without responses)
    class_assessment: pd.DataFrame  # class × subject: class score (统一考核)
    teacher_assessment: pd.DataFrame  # teacher × subject: teacher score and rank
    schools: pd.DataFrame  # school_id, name, cluster_id, is_lead, optional cluster_name (schools that sat the exam)
    classes: pd.DataFrame  # class_id, school_id, grade, size (classes that sat the exam)
    teachers: pd.DataFrame  # teacher_id, name (names only when a teachers table was given)
    previous_exam_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    item_bands: pd.DataFrame = field(default_factory=pd.DataFrame)  # 试卷质量: items per difficulty/D band
    areas: pd.DataFrame = field(default_factory=pd.DataFrame)  # 知识点/能力: points, blueprint, score rates
    score_data: ScoreData | None = None  # the students × items matrices (per-class and per-student item figures)
    student_names: pd.DataFrame = field(default_factory=pd.DataFrame)  # student_id, name (when names were given)
    exam_name: str | None = None  # 考试名称 for the reports (the caller sets it; else the id is shown)
    previous_exam_name: str | None = None
    # who was expected and who sat (应考/实考/缺考/免考): level × group × subject counts (also merged into
    # `summary`), and the absentees by name (analysis.attendance)
    attendance: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["level", "group_id", "subject",
                                                                                  *COUNT_COLUMNS]))
    absentees: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ABSENTEE_COLUMNS)))
    # 临界生 per line, paper and student with their teacher; counts per group; 转化率 since the previous exam
    borderline: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(BORDERLINE_COLUMNS)))
    borderline_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    conversion: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CONVERSION_COLUMNS)))
    # 学情档案 over the cohort's stored exams (None without history) and 小学–初中衔接 (empty without origins)
    trends: CohortTrends | None = None
    transition: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_previous(self) -> bool:
        return self.previous_exam_id is not None

    def school_name(self, school_id: str) -> str:
        names = dict(zip(self.schools["school_id"], self.schools["name"]))
        return str(names.get(school_id, school_id))

    # --- exports with exactly the FORMATS.md columns ------------------------------------------
    def school_summary_export(self) -> pd.DataFrame:
        """school_summary.csv rows: one per school and subject (subjects only, not the total); v2 adds
        expected (应考), sat (实考) and absent (缺考)."""
        rows = self.summary[(self.summary["level"] == "school") & (self.summary["subject"] != TOTAL)]
        out = rows.assign(exam_id=self.exam_id, school_id=rows["group_id"])[list(EXPORT_COLUMNS["school_summary"])]
        return out.sort_values(["subject", "school_id"]).reset_index(drop=True)

    def item_stats_export(self) -> pd.DataFrame:
        """item_stats.csv rows: one per item; discrimination is the corrected item–total r."""
        out = self.items.assign(exam_id=self.exam_id)
        return out[list(EXPORT_COLUMNS["item_stats"])].reset_index(drop=True)

    def headline_markdown(self, lang: str = "zh", max_rows: int = 20) -> str:
        """A short Markdown summary (for a Prefect artifact): the total's 三率一分 per school and
        cluster, then each paper's reliability and its flagged items."""
        c = lambda name: L.column(name, lang)  # noqa: E731
        total = self.summary[self.summary["subject"] == TOTAL]
        schools = total[total["level"] == "school"].sort_values(["cluster_id", "rank", "group_id"])
        clusters = total[total["level"].isin(["cluster"])]
        n_students = len(self.students)
        head = (f"**{self.exam_id}** · {L.text('students_n', lang)} {n_students} · "
                f"{L.text('schools_n', lang)} {len(schools)} · {L.column('full_marks', lang)} "
                f"{_num(total['full_marks'].max())}")
        columns = ["school_name", "expected", "sat", "absent", "participation_rate", "mean", "excellent_rate",
                   "pass_rate", "low_rate", "above_mean_rate", "improvement_rate", "rank"]
        lines = [head, "", "| " + " | ".join(c(x) for x in columns) + " |", "|" + "---|" * len(columns)]
        rows = list(schools.head(max_rows).itertuples(index=False))
        for row in rows + list(clusters.itertuples(index=False)):
            name = self.school_name(row.group_id) if row.level == "school" else \
                f"{L.level('cluster', lang)} {row.group_id}"
            values = [name, str(row.expected), str(row.sat), str(row.absent), _pct(row.participation_rate),
                      _num(row.mean), _pct(row.excellent_rate), _pct(row.pass_rate), _pct(row.low_rate),
                      _pct(row.above_mean_rate) if row.level == "school" else "", _pct(row.improvement_rate),
                      str(row.rank) if row.level == "school" else ""]
            lines.append("| " + " | ".join(values) + " |")
        if len(schools) > max_rows:
            lines.append(f"| … {len(schools) - max_rows} |" + " |" * (len(columns) - 1))
        papers = ", ".join(f"{L.subject(p.subject, lang)} α={p.alpha:.2f}" for p in self.papers.itertuples())
        flagged = int(self.papers["flagged_items"].sum())
        lines += ["", f"{L.column('alpha', lang)}: {papers}; {L.text('flagged', lang)}: {flagged}"]
        return "\n".join(lines)


def _num(x) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.1f}"


def _pct(x) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.1%}"


def analyse_exam(
    scores: pd.DataFrame,
    items: pd.DataFrame,
    schools: pd.DataFrame,
    classes: pd.DataFrame,
    class_teachers: pd.DataFrame,
    previous_scores: pd.DataFrame | None = None,
    policy: AnalysisPolicy = AnalysisPolicy(),
    *,
    previous_items: pd.DataFrame | None = None,
    responses: pd.DataFrame | None = None,
    teachers: pd.DataFrame | None = None,
    students: pd.DataFrame | None = None,
    blueprints: dict[str, dict] | None = None,
    roster: pd.DataFrame | None = None,
    attendance: pd.DataFrame | None = None,
    history: Sequence[tuple[str, pd.DataFrame, pd.DataFrame | None]] = (),
) -> ExamAnalysis:
    """Analyse one joint exam.

    scores: FORMATS.md scores.csv (exam_id, student_id, school_id, class_id, subject, item_id, score),
        one exam, one row per student × item.
    items: the papers' items: item_id, max_score, and subject (recommended; then item ids need only be
        unique within a subject), optionally item_type and key (for option analysis), position (第 N 题;
        default: the row order within the subject), knowledge_area and cognitive_level (知识点/能力).
        Paper order = row order.
    schools: schools.csv (school_id, cluster_id; name and an optional cluster_name used in reports). classes: classes.csv
        (class_id, school_id, grade, size). class_teachers: class_teachers.csv (class_id, subject, teacher_id).
    previous_scores: the previous joint exam of the same cohort, same shape (for the improvement rate);
        previous_items: its items, to compare excellent and pass rates too (z needs no max scores).
    responses: raw answers to choice items (student_id, item_id, answer or response; subject optional).
    teachers: teachers.csv (teacher_id, name), only for names in the reports.
    students: students.csv (student_id, name), only for names in the reports (the roster's names too).
    blueprints: subject → the paper's blueprint (双向细目表, `Blueprint.to_dict()`), for the planned
        points beside each knowledge area and cognitive level.
    roster: the class lists of the exam's grade (students.csv: student_id, class_id, school_id; name and
        primary_school_id optional): who was expected (应考). Without it, everyone with a score row is.
    attendance: attendance.csv (exam_id, subject, student_id, status sat/absent/exempt; analysis/FORMAT.md).
    history: the cohort's earlier exams, oldest first, as (exam_id, scores, items or None), for the
        trends (学情档案); the previous exam may be among them.
    """
    data = build_score_data(scores, items)
    warnings = list(data.warnings)
    school_table = _school_table(schools, data)
    cluster_of_school = dict(zip(school_table["school_id"], school_table["cluster_id"]))
    class_table = _class_table(classes, data, warnings)

    frame = student_scores(data, cluster_of_school, policy)
    summary = group_summary(frame, policy)
    present = attendance_of(data, cluster_of_school, policy, roster=roster, attendance=attendance)
    warnings += present.warnings
    summary = _with_counts(summary, present.counts)

    previous_exam_id = None
    prev_frame = None
    prev_rates_known = previous_items is not None
    if previous_scores is not None and len(previous_scores):
        prev_items = previous_items if previous_items is not None else _observed_items(previous_scores)
        prev_data = build_score_data(previous_scores, prev_items, check_membership=False)
        previous_exam_id = prev_data.exam_id
        if previous_exam_id == data.exam_id:
            warnings.append(f"previous_scores hold the same exam ({previous_exam_id}): improvement is meaningless")
        prev_clusters = {s: cluster_of_school.get(s, "?") for s in set(prev_data.school_ids)}
        prev_frame = student_scores(prev_data, prev_clusters, policy, with_ranks=False)
        frame = match_previous(frame, prev_frame, policy, previous_rates_known=prev_rates_known)
        summary = summary.merge(vertical_summary(frame, policy), on=["level", "group_id", "subject"], how="left")
        if previous_items is None:
            warnings.append("previous_items not given: previous excellent and pass rates are not compared")
    else:
        for column in VERTICAL_COLUMNS:
            summary[column] = np.nan
    summary["matched_students"] = summary["matched_students"].fillna(0).astype(np.int64)

    borderline = borderline_students(frame, class_teachers, policy, data.exam_id)
    converted = pd.DataFrame(columns=list(CONVERSION_COLUMNS))
    if prev_frame is not None and prev_rates_known:
        before = borderline_students(prev_frame, None, policy, str(previous_exam_id))
        converted, _ = conversion(before, frame, policy, present.members)
    elif prev_frame is not None:
        warnings.append("previous_items not given: the borderline students' conversion (转化率) is not computed")
    trends = cohort_trends(frame, data.exam_id, list(history), policy) if history else None
    if trends is not None:
        warnings += trends.warnings
    absentees = _with_previous_z(present.absentees, prev_frame)

    item_table, papers, item_by_school, options = _item_analysis(data, school_table, responses, policy, items)
    names = _teacher_names(class_teachers, teachers)
    return ExamAnalysis(
        exam_id=data.exam_id,
        policy=policy,
        subjects=data.subjects,
        papers=papers,
        student_scores=frame,
        students=_students_wide(frame, data, cluster_of_school),
        summary=summary,
        score_bands=score_bands(frame, policy),
        segments=one_point_segments(frame),
        items=item_table,
        item_by_school=item_by_school,
        options=options,
        class_assessment=class_assessment(data.exam_id, summary, class_teachers, policy,
                                          has_previous=previous_exam_id is not None),
        teacher_assessment=teacher_assessment(data.exam_id, frame, class_teachers, policy),
        schools=school_table,
        classes=class_table,
        teachers=names,
        previous_exam_id=previous_exam_id,
        warnings=warnings,
        item_bands=quality_bands(item_table),
        areas=area_breakdown(item_table, blueprints),
        score_data=data,
        student_names=_student_names(students, roster),
        attendance=present.counts,
        absentees=absentees,
        borderline=borderline,
        borderline_counts=borderline_counts(borderline, school_table),
        conversion=converted,
        trends=trends,
        transition=transition_summary(frame, roster, schools),
    )


def bundled_evaluation_of(analyses: Sequence[ExamAnalysis], pairs: pd.DataFrame,
                          policy: AnalysisPolicy | None = None) -> BundledEvaluation:
    """Bundled evaluation (捆绑评价) of the year's quality tests, from their analyses."""
    return bundled_evaluation(list(analyses), pairs, policy or analyses[0].policy)


# --- helpers -------------------------------------------------------------------------------------

def _with_counts(summary: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """The summary with expected, sat, absent, exempt and participation_rate after `students` (= sat)."""
    merged = summary.merge(counts, on=["level", "group_id", "subject"], how="left")
    for column in ("expected", "sat", "absent", "exempt"):
        merged[column] = merged[column].fillna(0).astype(np.int64)
    columns = list(summary.columns)
    at = columns.index("students") + 1
    return merged[columns[:at] + list(COUNT_COLUMNS) + columns[at:]]


def _with_previous_z(absentees: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Each absentee's z in the same paper of the previous exam (prev_z; empty when unknown), so a
    list of absentees shows whether they were the weaker students. Looked up on integer codes."""
    out = absentees.copy()
    out["prev_z"] = np.nan
    if previous is None or out.empty:
        return out
    students = pd.Index(previous["student_id"].cat.categories)
    subjects = pd.Index(previous["subject"].cat.categories)
    s = students.get_indexer(out["student_id"].to_numpy(dtype=object))
    j = subjects.get_indexer(out["subject"].to_numpy(dtype=object))
    width = len(subjects)
    keys = previous["student_id"].cat.codes.to_numpy().astype(np.int64) * width + previous["subject"].cat.codes.to_numpy()
    position = pd.Index(keys).get_indexer(np.where((s >= 0) & (j >= 0), s.astype(np.int64) * width + j, -1))
    z = previous["z"].to_numpy(dtype=float)
    out["prev_z"] = np.where(position >= 0, z[np.where(position >= 0, position, 0)], np.nan)
    return out


def _school_table(schools: pd.DataFrame, data: ScoreData) -> pd.DataFrame:
    missing = [c for c in ("school_id", "cluster_id") if c not in schools]
    if missing:
        raise ValueError(f"schools lacks columns {missing}")
    table = pd.DataFrame({
        "school_id": schools["school_id"].astype(str),
        "name": schools["name"].astype(str) if "name" in schools else schools["school_id"].astype(str),
        "cluster_id": schools["cluster_id"].astype(str),
        "is_lead": schools["is_lead"].astype(bool) if "is_lead" in schools else False,
    })
    if "cluster_name" in schools:  # 学区名称 for the reports (clusters.csv name)
        table["cluster_name"] = schools["cluster_name"].astype(object).where(schools["cluster_name"].notna(), None)
    present = set(data.school_ids)
    unknown = sorted(present - set(table["school_id"]))
    if unknown:
        raise ValueError(f"schools in scores but not in schools: {unknown[:5]}")
    return table[table["school_id"].isin(present)].sort_values("school_id").reset_index(drop=True)


def _class_table(classes: pd.DataFrame, data: ScoreData, warnings: list[str]) -> pd.DataFrame:
    seen = pd.DataFrame({"class_id": data.class_ids, "school_in_scores": data.school_ids}).drop_duplicates()
    twice = seen["class_id"].duplicated()
    if twice.any():
        raise ValueError(f"classes in more than one school in scores: {seen.loc[twice, 'class_id'].head().tolist()}")
    table = classes.copy()
    table["class_id"] = table["class_id"].astype(str)
    table["school_id"] = table["school_id"].astype(str)
    table = seen.merge(table, on="class_id", how="left")
    unknown = table["school_id"].isna()
    if unknown.any():
        warnings.append(f"classes in scores but not in classes: {table.loc[unknown, 'class_id'].head().tolist()}")
        table.loc[unknown, "school_id"] = table.loc[unknown, "school_in_scores"]
    moved = table["school_id"] != table["school_in_scores"]
    if moved.any():
        raise ValueError("classes whose school in scores differs from classes: "
                         f"{table.loc[moved, 'class_id'].head().tolist()}")
    keep = [c for c in ("class_id", "school_id", "grade", "size") if c in table]
    return table[keep].sort_values("class_id").reset_index(drop=True)


def _observed_items(scores: pd.DataFrame) -> pd.DataFrame:
    """Max scores taken as the observed maxima: enough for z (rates are then not compared)."""
    observed = scores.groupby(["subject", "item_id"], sort=False)["score"].max().reset_index()
    observed["max_score"] = observed["score"].clip(lower=1e-9)
    return observed[["subject", "item_id", "max_score"]]


def _teacher_names(class_teachers: pd.DataFrame, teachers: pd.DataFrame | None) -> pd.DataFrame:
    ids = pd.Series(sorted(class_teachers["teacher_id"].astype(str).unique()), name="teacher_id")
    table = ids.to_frame()
    if teachers is not None and {"teacher_id", "name"} <= set(teachers.columns):
        names = teachers[["teacher_id", "name"]].astype(str).drop_duplicates("teacher_id")
        table = table.merge(names, on="teacher_id", how="left")
    else:
        table["name"] = None
    table["name"] = table["name"].fillna(table["teacher_id"])
    return table


def _student_names(*tables: pd.DataFrame | None) -> pd.DataFrame:
    """student_id, name from the tables that have both (the first table's name wins)."""
    given = [t[["student_id", "name"]] for t in tables if t is not None and {"student_id", "name"} <= set(t.columns)]
    if not given:
        return pd.DataFrame(columns=["student_id", "name"])
    names = pd.concat(given, ignore_index=True).dropna()
    names = names[names["name"].astype(str).str.strip() != ""]
    return names.astype(str).drop_duplicates("student_id").reset_index(drop=True)


def _students_wide(frame: pd.DataFrame, data: ScoreData, cluster_of_school: dict[str, str]) -> pd.DataFrame:
    """One row per student: subject scores, total, total z/T and total ranks, built on codes."""
    subjects = list(frame["subject"].cat.categories)  # the papers, then "total"
    n = len(data.student_ids)
    student = frame["student_id"].cat.codes.to_numpy()
    subject = frame["subject"].cat.codes.to_numpy()
    scores = np.full((n, len(subjects)), np.nan)
    scores[student, subject] = frame["score"].to_numpy()
    out = pd.DataFrame({
        "student_id": data.student_ids,
        "cluster_id": pd.Series(data.school_ids, dtype=object).map(cluster_of_school).to_numpy(dtype=object),
        "school_id": data.school_ids, "class_id": data.class_ids,
    })
    for j, name in enumerate(subjects):
        out[name] = scores[:, j]
    total_rows = np.flatnonzero(subject == len(subjects) - 1)
    at = student[total_rows]
    for source, target in (("z", "total_z"), ("t", "total_t")):
        values = np.full(n, np.nan)
        values[at] = frame[source].to_numpy()[total_rows]
        out[target] = values
    for level in ("class", "school", "cluster", "district"):
        values = np.zeros(n, dtype=np.int64)
        values[at] = frame[f"rank_{level}"].to_numpy()[total_rows]
        mask = np.ones(n, dtype=bool)
        mask[at] = False
        out[f"rank_{level}"] = pd.arrays.IntegerArray(values, mask)
    out["complete"] = ~np.isnan(scores[:, -1])
    sort_keys = [pd.factorize(pd.Series(ids, dtype=object), sort=True)[0]
                 for ids in (data.student_ids, data.class_ids, data.school_ids)]
    order = np.lexsort(sort_keys)
    return out.iloc[order].reset_index(drop=True)


def _item_analysis(data: ScoreData, school_table: pd.DataFrame, responses: pd.DataFrame | None,
                   policy: AnalysisPolicy, items: pd.DataFrame):
    school_codes, school_ids = pd.factorize(pd.Series(data.school_ids, dtype=object))
    school_ids = school_ids.to_numpy(dtype=object)
    cluster_of = dict(zip(school_table["school_id"], school_table["cluster_id"]))
    school_cluster = np.array([cluster_of[s] for s in school_ids], dtype=object)
    cluster_codes_of_school, clusters = pd.factorize(pd.Series(school_cluster, dtype=object))
    answers = None
    if responses is not None:
        all_item_ids = [i for paper in data.papers.values() for i in paper.item_ids]
        ambiguous = len(all_item_ids) != len(set(all_item_ids))  # the same item id on two papers
        answers = encode_responses(responses, data.student_ids, use_subject=ambiguous)

    item_frames, paper_rows, by_school_frames, option_frames = [], [], [], []
    for subject, paper in data.papers.items():
        stats, figures = item_statistics(paper, policy)
        item_frames.append(stats)
        paper_rows.append(figures)

        codes = school_codes[paper.students]
        school_means = item_means_by_group(paper, codes, len(school_ids))
        school_counts = np.bincount(codes, minlength=len(school_ids))
        cluster_means = item_means_by_group(paper, cluster_codes_of_school[codes], len(clusters))
        present = np.flatnonzero(school_counts > 0)
        k = len(paper.item_ids)
        rate = school_means[present] / paper.max_scores[None, :]
        cluster_rate = cluster_means[cluster_codes_of_school[present]] / paper.max_scores[None, :]
        by_school_frames.append(pd.DataFrame({
            "subject": subject,
            "item_id": np.tile(np.asarray(paper.item_ids, dtype=object), len(present)),
            "school_id": np.repeat(school_ids[present], k),
            "cluster_id": np.repeat(school_cluster[present], k),
            "students": np.repeat(school_counts[present], k),
            "mean": school_means[present].ravel(),
            "score_rate": rate.ravel(),
            "cluster_score_rate": cluster_rate.ravel(),
            "gap": (rate - cluster_rate).ravel(),
        }))

        if answers is not None:
            row_of_student = np.full(len(data.student_ids), -1, dtype=np.int64)
            row_of_student[paper.students] = np.arange(len(paper.students))
            groups = score_groups(paper.totals, policy.upper_lower_fraction)
            option_frames.append(option_analysis(paper, answers, row_of_student, groups))

    table = _with_metadata(pd.concat(item_frames, ignore_index=True), items)
    papers = pd.DataFrame(paper_rows)
    by_school = pd.concat(by_school_frames, ignore_index=True)
    option_frames = [f for f in option_frames if len(f)]
    options = pd.concat(option_frames, ignore_index=True) if option_frames else pd.DataFrame(columns=OPTION_COLUMNS)
    if len(options):  # 第 N 题 as the item table numbers them
        number = table.set_index(["subject", "item_id"])["number"]
        options["number"] = number.reindex(pd.MultiIndex.from_frame(options[["subject", "item_id"]])).to_numpy()
    return table, papers, by_school, options


def _with_metadata(table: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The item table with 第 N 题 (given positions, else the paper's order) and the items' knowledge
    area and cognitive level (知识点/能力) when `items` has them."""
    meta = item_metadata(items)
    by_subject = meta["subject"].notna().all()
    keys = ["subject", "item_id"] if by_subject else ["item_id"]
    meta = meta.drop_duplicates(keys)
    if not by_subject:
        meta = meta.drop(columns="subject")
    merged = table.drop(columns="number").merge(meta, on=keys, how="left")
    merged["number"] = merged["number"].fillna(table["number"]).astype(np.int64)
    ordered = ["subject", "number", *[c for c in table.columns if c not in ("subject", "number")]]
    return merged[ordered + [c for c in ("knowledge_area", "cognitive_level") if c in merged]]


__all__ = ["ExamAnalysis", "analyse_exam", "bundled_evaluation_of", "DISTRICT", "TOTAL"]
