"""The exam's reports for each audience, as printable documents (`analysis.report_doc.Doc`):

- a student's score report (成绩单): per subject the score, class/school/cluster rank and percentile,
  and every question's score against the class's score rate;
- a class's report (班级质量分析) and a teacher's (教师质量分析): 三率一分 against the school and the
  cluster, question score rates per class, knowledge areas, the class's students near a line (临界生);
- a school's report (学校质量分析报告): its state against the cluster (with 应考/实考/缺考 when the
  analysis has them), gaps, classes, teachers, weak questions, knowledge areas, 整改措施;
- the bureau's report: schools compared, their trend, the papers' quality (试卷质量分析: reliability,
  SEM, difficulty and discrimination bands, flags), questions, options, knowledge areas.

Names, not ids, wherever a person reads; questions are 第 N 题. Pure: reads the analysis only.

Hooks for figures other modules add to the analysis (rendered when present, skipped otherwise):
- `analysis.borderline`: a frame with the columns of borderline.csv (FORMATS.md: subject, line,
  student_id, school_id, class_id, teacher_id, score, gap = line score − score; analysis/borderline.py
  fills it) → the 临界生 tables (`borderline_table`);
- `analysis.summary` columns `expected`, `sat`, `absent` (应考/实考/缺考) → shown beside 人数, and
  `analysis.absentees` (student_id, subject, status, class_id, school_id) → the class's and school's
  list of students absent or exempt (`absentees_table`);
- `analysis.school_trends`: a long frame (school_id, exam_id, optional subject, and one of mean_z,
  score_rate, mean; optional exam_name; exams in the order given, or by an exam_date column), or
  `analysis.trends.groups` (the cohort's record: level, group_id, subject, exam_id, order, mean_z)
  → the bureau's trend table, one column per exam (`school_trend_table`); without either the trend
  is this exam against the previous one.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from analysis import labels as L
from analysis.items import reliability_band
from analysis.pipeline import ExamAnalysis
from analysis.report_doc import HIGH, LOW, STRONG, Bullets, Doc, Facts, Heading, PageBreak, Paragraph, Table
from analysis.report_tables import Namer, format_cell
from analysis.school_report import SchoolReport
from analysis.stats import TOTAL

ATTENDANCE_COLUMNS = ("expected", "sat", "absent")  # 应考, 实考, 缺考 (FORMATS.md school_summary.csv v2)
BORDERLINE_COLUMNS = ("subject", "line", "student_id", "school_id", "class_id", "score", "gap")
TREND_VALUES = ("mean_z", "score_rate", "mean")
GAP_MARK = 0.05  # a question rate this far (5 points) below the reference is marked red
ITEMS_PER_GRID_ROW = 10  # questions per row block of a score report's question grid


def _zh(lang: str) -> bool:
    return lang == "zh"


@dataclass
class People:
    """Display names for one analysis and language: schools, classes (八年级(3)班), teachers, students."""

    analysis: ExamAnalysis
    lang: str

    @cached_property
    def namer(self) -> Namer:
        return Namer(self.analysis, self.lang)

    def school(self, school_id) -> str:
        return self.namer.school(school_id)

    def subject(self, code) -> str:
        return self.namer.subject(code)

    def teacher(self, teacher_id) -> str:
        return self.namer.teacher(teacher_id)

    def class_(self, class_id) -> str:
        return self.namer.class_(class_id)

    @cached_property
    def student_names(self) -> dict[str, str]:
        names = self.analysis.student_names
        return dict(zip(names["student_id"].astype(str), names["name"].astype(str))) if len(names) else {}

    def student(self, student_id) -> str:
        return self.student_names.get(str(student_id), str(student_id))

    def cluster(self, cluster_id) -> str:
        return self.namer.group("cluster", cluster_id)


# --- figures the reports share ------------------------------------------------------------------

def percentile_ranks(student_scores: pd.DataFrame) -> pd.DataFrame:
    """百分等级 of every student × subject row within class, school and cluster:
    PR = (students of the group scoring lower + ½ · students with the same score, oneself included) ÷
    group size, in [0, 1]; with group sizes n_class, n_school, n_cluster. Independent of row order."""
    out = student_scores[["student_id", "subject", "score"]].copy()
    for level, key in (("class", "class_id"), ("school", "school_id"), ("cluster", "cluster_id")):
        g = student_scores.groupby([key, "subject"], observed=True)["score"]
        low = g.rank(method="min").to_numpy()  # 1 + students below
        high = g.rank(method="max").to_numpy()  # students below + students equal
        size = g.transform("size").to_numpy()
        out[f"pr_{level}"] = (low - 1 + (high - low + 1) / 2.0) / size
        out[f"n_{level}"] = size
    return out


class ItemRates:
    """Question means of every class, school and cluster, from the analysis's score matrices."""

    def __init__(self, analysis: ExamAnalysis):
        data = analysis.score_data
        if data is None:
            raise ValueError("the analysis carries no score matrices (score_data): rerun analyse_exam")
        self.data = data
        cluster_of = dict(zip(analysis.schools["school_id"], analysis.schools["cluster_id"]))
        self.class_codes, self.classes = pd.factorize(pd.Series(data.class_ids, dtype=object))
        self.school_codes, self.schools = pd.factorize(pd.Series(data.school_ids, dtype=object))
        clusters = pd.Series(data.school_ids, dtype=object).map(cluster_of)
        self.cluster_codes, self.clusters = pd.factorize(clusters)
        self._means: dict[tuple[str, str], np.ndarray] = {}
        self._position = {level: {g: i for i, g in enumerate(names)} for level, names in
                          (("class", self.classes), ("school", self.schools), ("cluster", self.clusters))}
        self._questions: dict[str, pd.DataFrame] = {}
        self._categories: dict[tuple[str, str], tuple | None] = {}
        self.items = analysis.items

    def _group_means(self, subject: str, level: str) -> np.ndarray:
        key = (subject, level)
        if key not in self._means:
            from analysis.items import item_means_by_group

            paper = self.data.papers[subject]
            codes, names = {"class": (self.class_codes, self.classes), "school": (self.school_codes, self.schools),
                            "cluster": (self.cluster_codes, self.clusters)}[level]
            self._means[key] = item_means_by_group(paper, codes[paper.students], len(names))
        return self._means[key]

    def rates(self, subject: str, level: str, group_id) -> np.ndarray:
        """Score rate of each question of the paper (paper order) for one group; NaN when it did not sit."""
        paper = self.data.papers[subject]
        position = self._position[level].get(group_id, -1)
        if position < 0:
            return np.full(len(paper.item_ids), np.nan)
        return self._group_means(subject, level)[position] / paper.max_scores

    def student_scores(self, subject: str, student_index: np.ndarray) -> np.ndarray:
        """(len(student_index), k) the students' question scores (NaN for who did not sit)."""
        paper = self.data.papers[subject]
        row_of = np.full(len(self.data.student_ids), -1, dtype=np.int64)
        row_of[paper.students] = np.arange(len(paper.students))
        rows = row_of[student_index]
        out = np.full((len(student_index), len(paper.item_ids)), np.nan)
        out[rows >= 0] = paper.matrix[rows[rows >= 0]]
        return out

    def categories(self, subject: str, dimension: str):
        """(categories, weights (c × k: the question's max score where it belongs to the category),
        points (c,), numbers (c,) "1、4") of a paper's knowledge areas or cognitive levels; None without them."""
        key = (subject, dimension)
        if key not in self._categories:
            q = self.question_table(subject)
            if dimension not in q or q[dimension].isna().all():
                self._categories[key] = None
            else:
                labels = q[dimension].astype(object).where(q[dimension].notna(), None).to_numpy()
                names = list(dict.fromkeys(str(v) for v in labels if v is not None))
                tops = q["max_score"].to_numpy(dtype=float)
                member = np.array([[v is not None and str(v) == name for v in labels] for name in names])
                weights = member * tops[None, :]
                numbers = ["、".join(str(int(n)) for n in q["number"].to_numpy()[row]) for row in member]
                self._categories[key] = (names, weights, weights.sum(axis=1), numbers)
        return self._categories[key]

    def question_table(self, subject: str) -> pd.DataFrame:
        """The paper's questions in order: number, item_type, knowledge_area, cognitive_level, max_score, difficulty."""
        if subject not in self._questions:
            part = self.items[self.items["subject"] == subject].reset_index(drop=True)
            order = pd.Index(part["item_id"]).get_indexer(self.data.papers[subject].item_ids)
            self._questions[subject] = part.iloc[order].reset_index(drop=True)
        return self._questions[subject]


def _subjects(analysis: ExamAnalysis, with_total: bool = True) -> list[str]:
    return [*analysis.subjects, TOTAL] if with_total else list(analysis.subjects)


def _summary(analysis: ExamAnalysis, level: str) -> pd.DataFrame:
    return analysis.summary[analysis.summary["level"] == level]


def _row(analysis: ExamAnalysis, level: str, group_id, subject) -> dict | None:
    """The summary row of a group and subject (三率一分 and comparisons), as a dict; None when absent.
    The summary is indexed once per analysis object (the reports ask for thousands of rows)."""
    index = _SUMMARY_INDEX.get(id(analysis))
    if index is None or index[0] is not analysis.summary:
        rows = analysis.summary.to_dict("records")
        index = (analysis.summary, {(r["level"], r["group_id"], r["subject"]): r for r in rows})
        _SUMMARY_INDEX.clear()  # one analysis at a time: no growth
        _SUMMARY_INDEX[id(analysis)] = index
    return index[1].get((level, group_id, subject))


_SUMMARY_INDEX: dict[int, tuple[pd.DataFrame, dict]] = {}


def _attendance_columns(analysis: ExamAnalysis) -> list[str]:
    return [c for c in ATTENDANCE_COLUMNS if c in analysis.summary.columns]


def exam_name(analysis: ExamAnalysis) -> str:
    return getattr(analysis, "exam_name", None) or analysis.exam_id


def _subtitle(analysis: ExamAnalysis, lang: str) -> str:
    zh = _zh(lang)
    when = dt.datetime.now().strftime("%Y-%m-%d")
    return (f"考试：{exam_name(analysis)} · 生成日期：{when}" if zh else f"Exam: {exam_name(analysis)} · made {when}")


def _rate_marks(frame: pd.DataFrame, pairs: Iterable[tuple[str, str, bool]]) -> pd.DataFrame:
    """Marks for a table: column → red when below (or, for low rates, above) its reference column."""
    marks = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for column, reference, higher_is_better in pairs:
        if column not in frame or reference not in frame:
            continue
        a = pd.to_numeric(frame[column], errors="coerce")
        b = pd.to_numeric(frame[reference], errors="coerce")
        worse = (a < b - 1e-9) if higher_is_better else (a > b + 1e-9)
        marks.loc[worse.fillna(False).to_numpy(), column] = LOW
    return marks


COMPARED = (("mean", True), ("score_rate", True), ("excellent_rate", True), ("pass_rate", True), ("low_rate", False))


def _compare_rows(analysis: ExamAnalysis, people: People, units: list[tuple[str, str, str]],
                  subjects: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """三率一分 of several groups (level, group_id, label) side by side, one block of rows per subject, and
    the marks: red where a group is worse than the block's last group (the reference: the cluster), the
    first group's name set off."""
    rows, marks = [], []
    attendance = _attendance_columns(analysis)
    reference_level, reference_id, _ = units[-1]
    for subject in subjects:
        reference = _row(analysis, reference_level, reference_id, subject)
        first = True
        for level, group_id, label in units:
            r = _row(analysis, level, group_id, subject)
            if r is None:
                continue
            entry: dict[str, object] = {"subject": people.subject(subject), "unit": label}
            for c in attendance:
                entry[c] = r.get(c)
            entry.update({"students": r["students"], "mean": r["mean"], "score_rate": r["score_rate"],
                          "excellent_rate": r["excellent_rate"], "pass_rate": r["pass_rate"],
                          "low_rate": r["low_rate"]})
            entry["rank"] = _rank(r['rank'], r['peers']) if level in ("class", "school") else ""
            if analysis.has_previous:
                entry["improvement_rate"] = r.get("improvement_rate")
            mark = {"unit": STRONG if first and len(units) > 1 else ""}
            if reference is not None and r is not reference:
                for column, better_high in COMPARED:
                    a, b = r[column], reference[column]
                    if pd.notna(a) and pd.notna(b) and ((a < b - 1e-9) if better_high else (a > b + 1e-9)):
                        mark[column] = LOW
            rows.append(entry)
            marks.append(mark)
            first = False
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame, pd.DataFrame()
    for c in attendance:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("Int64")
    if len(units) > 1:  # the subject once per block of groups
        frame["subject"] = frame["subject"].where(frame["subject"] != frame["subject"].shift(), "")
    return frame, pd.DataFrame(marks, index=frame.index).reindex(columns=frame.columns).fillna("")


def borderline_table(analysis: ExamAnalysis, people: People, *, school_id=None, class_ids=None,
                     subjects=None, max_rows: int | None = None) -> Table | None:
    """The students near a line (临界生) of a school, of classes, in subjects; None when the analysis has
    no borderline list (the hook: `analysis.borderline` with borderline.csv's columns)."""
    frame = getattr(analysis, "borderline", None)
    if not isinstance(frame, pd.DataFrame) or frame.empty or not set(BORDERLINE_COLUMNS) <= set(frame.columns):
        return None
    part = frame
    if school_id is not None:
        part = part[part["school_id"].astype(str) == str(school_id)]
    if class_ids is not None:
        part = part[part["class_id"].astype(str).isin([str(c) for c in class_ids])]
    if subjects is not None:
        part = part[part["subject"].astype(str).isin([str(s) for s in subjects])]
    if part.empty:
        return None
    order = {s: i for i, s in enumerate(_subjects(analysis))}
    part = part.assign(_o=part["subject"].map(order).fillna(99)).sort_values(["_o", "line", "class_id", "gap"])
    lang = people.lang
    table = pd.DataFrame({
        "subject": part["subject"].map(people.subject).to_numpy(),
        "line": part["line"].map(lambda v: L.line(v, lang)).to_numpy(),
        "class_name": part["class_id"].map(people.class_).to_numpy(),
        "student_name": part["student_id"].map(people.student).to_numpy(),
        "score": pd.to_numeric(part["score"], errors="coerce").to_numpy(),
    })
    if "line_score" in part:
        table["line_score"] = pd.to_numeric(part["line_score"], errors="coerce").to_numpy()
    table["points_to_line"] = pd.to_numeric(part["gap"], errors="coerce").to_numpy()  # line score − score
    if "teacher_id" in part:
        table["teacher_name"] = part["teacher_id"].map(people.teacher).to_numpy()
    headers = {"points_to_line": "距线分数" if _zh(lang) else "Points to the line"}
    return Table.from_frame(table, lang, headers=headers, title=L.text("borderline", lang), max_rows=max_rows)


def absentees_table(analysis: ExamAnalysis, people: People, *, school_id=None, class_id=None) -> Table | None:
    """缺考/免考 students of a class or school, one row per student with the subjects they missed (the
    analysis's `absentees`, when it has any)."""
    frame = getattr(analysis, "absentees", None)
    if not isinstance(frame, pd.DataFrame) or frame.empty or not {"student_id", "subject", "status"} <= set(frame):
        return None
    part = frame
    if school_id is not None and "school_id" in part:
        part = part[part["school_id"].astype(str) == str(school_id)]
    if class_id is not None and "class_id" in part:
        part = part[part["class_id"].astype(str) == str(class_id)]
    if part.empty:
        return None
    lang = people.lang
    status = {"absent": "缺考" if _zh(lang) else "absent", "exempt": "免考" if _zh(lang) else "exempt"}
    rows = []
    for (student, state), group in part.groupby(["student_id", "status"], sort=False):
        first = group.iloc[0]
        rows.append([people.class_(first["class_id"]) if "class_id" in group else "", people.student(student),
                     status.get(str(state), str(state)), "、".join(people.subject(x) for x in group["subject"])])
    headers = [L.column("class_name", lang), L.column("student_name", lang), L.column("status", lang),
               L.column("subject", lang)]
    title = "缺考与免考学生" if _zh(lang) else "Students absent or exempt"
    return Table(headers, sorted(rows), [False] * 4, title=title)


def _borderline_block(analysis, people, **kw) -> list:
    """The 临界生 table; a line saying there are none when the analysis has a list without these
    students; nothing when the analysis has no list."""
    table = borderline_table(analysis, people, **kw)
    if table is not None:
        return [table]
    frame = getattr(analysis, "borderline", None)
    if isinstance(frame, pd.DataFrame) and set(BORDERLINE_COLUMNS) <= set(frame.columns):
        return [Paragraph(L.text("no_borderline_here", people.lang), "note")]
    return []


# --- the student's score report (成绩单) -----------------------------------------------------------

def student_docs(analysis: ExamAnalysis, lang: str = "zh", *, class_id=None, people: People | None = None,
                 rates: ItemRates | None = None) -> list[Doc]:
    """One document per class (or for the given class): every student's 成绩单, a page each."""
    return [doc for _, doc in transcripts_by_class(analysis, lang, class_id=class_id, people=people, rates=rates)]


def transcripts_by_class(analysis: ExamAnalysis, lang: str = "zh", *, class_id=None, people: People | None = None,
                         rates: ItemRates | None = None) -> Iterator[tuple[str, Doc]]:
    """(class_id, the class's 成绩单) for each class with students, made as they are asked for; the student
    rows and percentiles are prepared once for all classes."""
    people = people or People(analysis, lang)
    rates = rates or ItemRates(analysis)
    percentiles = percentile_ranks(analysis.student_scores)
    ss = analysis.student_scores.assign(**{c: percentiles[c].to_numpy() for c in
                                           ("pr_class", "pr_school", "pr_cluster", "n_class", "n_school", "n_cluster")})
    ss = ss.astype({"student_id": object, "class_id": object, "school_id": object, "subject": object})
    classes = [class_id] if class_id is not None else list(analysis.classes["class_id"])
    index_of = {s: i for i, s in enumerate(rates.data.student_ids)}
    by_class = dict(tuple(ss.groupby("class_id", sort=False)))
    for cid in classes:
        part = by_class.get(cid)
        if part is not None:
            yield cid, _class_transcripts(analysis, people, rates, part, cid, index_of)


def _class_transcripts(analysis: ExamAnalysis, people: People, rates: ItemRates, part: pd.DataFrame, class_id,
                       index_of: dict) -> Doc:
    """The class's score reports, built from plain arrays (a county has tens of thousands of students)."""
    lang = people.lang
    school_id = part["school_id"].iloc[0]
    title = f"{people.school(school_id)} {people.class_(class_id)} · {L.text('transcript', lang)}"
    doc = Doc(title, _subtitle(analysis, lang), lang)
    subjects = _subjects(analysis)
    class_means = {subject: (r["mean"] if (r := _row(analysis, "class", class_id, subject)) else np.nan)
                   for subject in subjects}
    questions = {s: rates.question_table(s) for s in analysis.subjects}
    numbers = {s: [L.question(n, lang) for n in q["number"]] for s, q in questions.items()}
    tops = {s: q["max_score"].to_numpy(dtype=float) for s, q in questions.items()}
    class_rates = {s: rates.rates(s, "class", class_id) for s in analysis.subjects}
    rate_cells = {s: [format_cell("score_rate", v) for v in r] for s, r in class_rates.items()}
    students = sorted(part["student_id"].unique(), key=lambda s: (people.student(s), str(s)))
    item_scores = {s: rates.student_scores(s, np.array([index_of[x] for x in students])) for s in analysis.subjects}
    columns = ["subject", "score", "full_marks", "class_mean", "rank_class", "rank_school", "rank_cluster",
               "pr_class", "pr_school", "pr_cluster"]
    headers = [L.column(c, lang) for c in columns]
    numeric = [False] + [True] * (len(columns) - 1)
    fields = ["student_id", "subject", "score", "full_marks", "rank_class", "rank_school", "rank_cluster",
              "n_class", "n_school", "n_cluster", "pr_class", "pr_school", "pr_cluster"]
    rows_of: dict = {}
    for values in zip(*(part[f].to_numpy() for f in fields)):
        rows_of.setdefault(values[0], {})[values[1]] = dict(zip(fields, values))
    labels = (L.column("school_name", lang), L.column("class_name", lang), L.column("student_id", lang),
              L.text("total", lang))
    for n, student in enumerate(students):
        mine = rows_of[student]
        if n:
            doc.add(PageBreak())
        doc.add(Heading(f"{people.student(student)} · {L.text('transcript', lang)}", 2))
        facts = [(labels[0], people.school(school_id)), (labels[1], people.class_(class_id)), (labels[2], str(student))]
        if TOTAL in mine:
            facts.append((labels[3], f"{format_cell('score', mine[TOTAL]['score'])} / "
                                     f"{format_cell('full_marks', mine[TOTAL]['full_marks'])}"))
        doc.add(Facts(facts))
        rows, marks = [], []
        for subject in subjects:
            r = mine.get(subject)
            if r is None:
                continue
            rows.append([people.subject(subject), format_cell("score", r["score"]),
                         format_cell("full_marks", r["full_marks"]), format_cell("mean", class_means[subject]),
                         f"{int(r['rank_class'])}/{int(r['n_class'])}", f"{int(r['rank_school'])}/{int(r['n_school'])}",
                         f"{int(r['rank_cluster'])}/{int(r['n_cluster'])}", _pct(r["pr_class"]),
                         _pct(r["pr_school"]), _pct(r["pr_cluster"])])
            marks.append(["", LOW if r["score"] < class_means[subject] - 1e-9 else ""] + [""] * (len(columns) - 2))
        doc.add(Table(headers, rows, numeric, marks, title=L.text("scores_by_subject", lang),
                      note=L.text("percentile_note", lang)))
        for subject in analysis.subjects:
            if subject in mine:
                doc.add(*_question_grid(people, subject, numbers[subject], tops[subject], item_scores[subject][n],
                                        class_rates[subject], rate_cells[subject]))
    return doc


def _rank(rank, peers) -> str:
    """名次 as "3/18"; empty for a group or teacher left out of the ranking (too few students)."""
    if rank is None or peers is None or pd.isna(rank) or pd.isna(peers):
        return ""
    return f"{int(rank)}/{int(peers)}"


def _pct(value) -> str:
    return "" if value is None or pd.isna(value) else f"{100 * value:.0f}"


def _question_grid(people: People, subject: str, numbers: list[str], tops: np.ndarray, scores: np.ndarray,
                   class_rate: np.ndarray, rate_cells: list[str] | None = None) -> list[Table]:
    """A subject's questions in rows of ITEMS_PER_GRID_ROW: 得分 (score/max) and the class's score rate;
    red where the student's rate is below the class's. rate_cells: the class's rates already formatted."""
    lang = people.lang
    tables = []
    k = len(numbers)
    score_label, rate_label = L.text("score_of", lang), L.text("rate_of_class", lang)
    rate_cells = rate_cells if rate_cells is not None else [format_cell("score_rate", v) for v in class_rate]
    top_cells = [_number(t) for t in tops]
    below = (scores / tops) < class_rate - 1e-9  # NaN (did not sit) compares False
    for start in range(0, k, ITEMS_PER_GRID_ROW):
        stop = min(k, start + ITEMS_PER_GRID_ROW)
        score_row = [score_label] + ["" if scores[j] != scores[j] else f"{_number(scores[j])}/{top_cells[j]}"
                                     for j in range(start, stop)]
        marks_row = [""] + [LOW if below[j] else "" for j in range(start, stop)]
        title = f"{people.subject(subject)} · {L.text('item_scores', lang)}" if start == 0 else ""
        tables.append(Table([L.column("number", lang), *numbers[start:stop]], [score_row, [rate_label, *rate_cells[start:stop]]],
                            [False] + [True] * (stop - start), [marks_row, [""] * len(marks_row)], title=title))
    return tables


def _number(value: float) -> str:
    """A score as printed: whole numbers without decimals, halves with one (as format_cell does)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


# --- the class's report and the teacher's --------------------------------------------------------

def class_doc(analysis: ExamAnalysis, class_id, lang: str = "zh", *, people: People | None = None,
              rates: ItemRates | None = None) -> Doc:
    people = people or People(analysis, lang)
    rates = rates or ItemRates(analysis)
    classes = analysis.classes.set_index("class_id")
    school_id = classes.at[class_id, "school_id"]
    cluster_id = analysis.schools.set_index("school_id").at[school_id, "cluster_id"]
    title = f"{people.school(school_id)} {people.class_(class_id)} · {L.text('class_report', lang)}"
    doc = Doc(title, _subtitle(analysis, lang), lang)
    total = _row(analysis, "class", class_id, TOTAL)
    teachers = analysis.class_assessment[analysis.class_assessment["class_id"] == class_id]
    facts = [(L.column("school_name", lang), people.school(school_id)),
             (L.column("cluster_id", lang), people.cluster(cluster_id))]
    if total is not None:
        facts += [(L.column("students", lang), str(int(total["students"]))),
                  (L.column("mean", lang) + f"（{L.text('total', lang)}）" if _zh(lang) else "Total mean",
                   format_cell("mean", total["mean"])),
                  (L.column("rank", lang) + ("（学区）" if _zh(lang) else " (cluster)"),
                   _rank(total['rank'], total['peers'])),
                  (L.column("rank_in_school", lang), format_cell("rank_in_school", total["rank_in_school"]))]
    doc.add(Facts(facts))
    if len(teachers):
        doc.add(Paragraph(("任课教师：" if _zh(lang) else "Teachers: ") + "；".join(
            f"{people.subject(t.subject)} {people.teacher(t.teacher_id)}" for t in teachers.itertuples()
            if isinstance(t.teacher_id, str))))
    units = [("class", class_id, L.text("this_class", lang)), ("school", school_id, L.text("this_school", lang)),
             ("cluster", cluster_id, people.cluster(cluster_id))]
    doc.add(Heading(L.text("three_rates", lang), 2))
    frame, marks = _compare_rows(analysis, people, units, _subjects(analysis))
    doc.add(Table.from_frame(frame, lang, marks=marks, note=L.text("marked_low", lang)))
    doc.add(absentees_table(analysis, people, class_id=class_id))
    doc.add(*_borderline_block(analysis, people, class_ids=[class_id]))
    doc.add(Heading(L.text("item_rates", lang), 2))
    for subject in analysis.subjects:
        doc.add(_question_rates_table(analysis, people, rates, subject, [("class", class_id, L.text("this_class", lang))],
                                      school_id, cluster_id))
    areas = [t for subject in analysis.subjects for t in _area_tables(
        analysis, people, rates, subject, [("class", class_id, L.text("this_class", lang))], school_id, cluster_id)]
    if areas:
        doc.add(Heading(L.text("areas", lang), 2), *areas)
    doc.add(Heading(L.text("students_list", lang), 2))
    doc.add(_student_list(analysis, people, class_id))
    return doc


def _question_rates_table(analysis: ExamAnalysis, people: People, rates: ItemRates, subject: str,
                          groups: list[tuple[str, str, str]], school_id, cluster_id) -> Table:
    """第 N 题 | 题型 | 知识点 | 分值 | each group's rate | 本校 | 学区 | gap of the first group to the cluster;
    red where a group trails the cluster by more than GAP_MARK."""
    lang = people.lang
    q = rates.question_table(subject)
    columns = [(L.column("number", lang), False, [L.question(n, lang) for n in q["number"]]),
               (L.column("item_type", lang), False, [L.item_type(v, lang) for v in q["item_type"]])]
    if "knowledge_area" in q and q["knowledge_area"].notna().any():
        columns.append((L.column("knowledge_area", lang), False,
                        [v if isinstance(v, str) else "" for v in q["knowledge_area"]]))
    columns.append((L.column("max_score", lang), True, [_number(v) for v in q["max_score"]]))
    cluster = rates.rates(subject, "cluster", cluster_id)
    series = [(label, rates.rates(subject, level, gid)) for level, gid, label in groups]
    first = len(columns)
    for label, rate in series:
        columns.append((label, True, [format_cell("score_rate", v) for v in rate]))
    if not any(level == "school" for level, _, _ in groups):
        columns.append((L.column("school_score_rate", lang), True,
                        [format_cell("score_rate", v) for v in rates.rates(subject, "school", school_id)]))
    columns.append((L.column("cluster_score_rate", lang), True, [format_cell("score_rate", v) for v in cluster]))
    gap = series[0][1] - cluster
    columns.append((L.column("gap", lang), True, [format_cell("gap", v) for v in gap]))
    k = len(q)
    marks = [[""] * len(columns) for _ in range(k)]
    for n, (_, rate) in enumerate(series):
        for j in np.flatnonzero(rate < cluster - GAP_MARK):
            marks[j][first + n] = LOW
    for j in np.flatnonzero(gap < -GAP_MARK):
        marks[j][-1] = LOW
    rows = [[column[2][j] for column in columns] for j in range(k)]
    return Table([c[0] for c in columns], rows, [c[1] for c in columns], marks,
                 title=f"{people.subject(subject)} · {L.text('item_rates', lang)}")


def _area_tables(analysis: ExamAnalysis, people: People, rates: ItemRates, subject: str,
                 groups: list[tuple[str, str, str]], school_id, cluster_id) -> list[Table]:
    """知识点 and 能力层次 of a subject: points and each group's score rate against the school and cluster.
    A category's rate = the sum of its questions' means ÷ their points (the questions weigh by marks)."""
    lang = people.lang
    out = []
    for dimension in ("knowledge_area", "cognitive_level"):
        index = rates.categories(subject, dimension)
        if index is None:
            continue
        categories, weights, points, numbers = index
        series = {label: rates.rates(subject, level, gid) for level, gid, label in groups}
        if not any(level == "school" for level, _, _ in groups):
            series[L.text("this_school", lang)] = rates.rates(subject, "school", school_id)
        series[people.cluster(cluster_id)] = rates.rates(subject, "cluster", cluster_id)
        labels = list(series)
        values = {label: (weights @ rate) / points for label, rate in series.items()}  # NaN rate: group absent
        headers = [L.column(dimension, lang), L.column("numbers", lang), L.column("points", lang), *labels]
        rows, marks = [], []
        for i, category in enumerate(categories):
            name = L.cognitive_level(category, lang) if dimension == "cognitive_level" else category
            rows.append([name, numbers[i], format_cell("points", points[i]),
                         *[format_cell("score_rate", values[label][i]) for label in labels]])
            first, last = values[labels[0]][i], values[labels[-1]][i]
            marks.append(["", "", "", LOW if first < last - GAP_MARK else "", *[""] * (len(labels) - 1)])
        out.append(Table(headers, rows, [False, False, True, *[True] * len(labels)], marks,
                         title=f"{people.subject(subject)} · {L.column(dimension, lang)}"))
    return out


def _student_list(analysis: ExamAnalysis, people: People, class_id) -> Table:
    lang = people.lang
    s = analysis.students[analysis.students["class_id"] == class_id]
    frame = pd.DataFrame({"student_name": s["student_id"].map(people.student).to_numpy()})
    for subject in _subjects(analysis):
        frame[subject] = s[subject].to_numpy()
    for c in ("rank_class", "rank_school", "rank_cluster"):
        frame[c] = s[c].to_numpy()
    order = np.lexsort((frame["student_name"].to_numpy(dtype=str),
                        -np.nan_to_num(frame[TOTAL].to_numpy(dtype=float), nan=-1.0)))
    frame = frame.iloc[order].reset_index(drop=True)
    headers = {subject: people.subject(subject) for subject in _subjects(analysis)}
    return Table.from_frame(frame, lang, headers=headers)


def teacher_doc(analysis: ExamAnalysis, teacher_id, lang: str = "zh", *, people: People | None = None,
                rates: ItemRates | None = None) -> Doc:
    people = people or People(analysis, lang)
    rates = rates or ItemRates(analysis)
    zh = _zh(lang)
    taught = analysis.class_assessment[analysis.class_assessment["teacher_id"] == teacher_id]
    schools = list(dict.fromkeys(taught["school_id"]))
    title = f"{people.teacher(teacher_id)} · {L.text('teacher_report', lang)}"
    doc = Doc(title, _subtitle(analysis, lang) + " · " + "、".join(people.school(s) for s in schools), lang)
    assessment = analysis.teacher_assessment[analysis.teacher_assessment["teacher_id"] == teacher_id]
    for subject, mine in taught.groupby("subject", sort=False):
        doc.add(Heading(f"{people.subject(subject)}", 2))
        a = assessment[assessment["subject"] == subject]
        if len(a):
            r = a.iloc[0]
            we, wp, wi = analysis.policy.teacher_weights(analysis.has_previous)
            doc.add(Facts([(L.column("classes", lang), str(int(r["classes"]))),
                           (L.column("students", lang), str(int(r["students"]))),
                           (L.column("teacher_score", lang), format_cell("teacher_score", r["teacher_score"])),
                           (L.column("rank", lang) + ("（学区同学科）" if zh else " (cluster, subject)"),
                            _rank(r['rank'], r['peers']))]))
            doc.add(Paragraph(L.text("weights", lang, we=we, wp=wp, wi=wi), "note"))
        school_of = dict(zip(mine["class_id"], mine["school_id"]))
        class_ids = sorted(mine["class_id"], key=lambda c: (str(school_of[c]), str(c)))
        units = []
        for cid in class_ids:
            units.append(("class", cid, people.class_(cid) if len(schools) == 1 else
                          f"{people.school(school_of[cid])} {people.class_(cid)}"))
        for sid in schools:
            units.append(("school", sid, people.school(sid)))
        clusters = list(dict.fromkeys(mine["cluster_id"]))
        units += [("cluster", c, people.cluster(c)) for c in clusters]
        frame, marks = _compare_rows(analysis, people, units, [subject])
        doc.add(Table.from_frame(frame, lang, marks=marks, title=L.text("three_rates", lang),
                                 note=L.text("marked_low", lang)))
        doc.add(*_borderline_block(analysis, people, class_ids=class_ids, subjects=[subject]))
        school_id = schools[0]
        cluster_id = clusters[0]
        groups = [("class", cid, label) for (level, cid, label) in units if level == "class"]
        doc.add(_question_rates_table(analysis, people, rates, subject, groups, school_id, cluster_id))
        doc.add(*_area_tables(analysis, people, rates, subject, groups, school_id, cluster_id))
    return doc


# --- the school's report --------------------------------------------------------------------------

def school_doc(analysis: ExamAnalysis, report: SchoolReport, lang: str = "zh", *, people: People | None = None,
               rates: ItemRates | None = None) -> Doc:
    people = people or People(analysis, lang)
    rates = rates or ItemRates(analysis)
    zh = _zh(lang)
    school_id, cluster_id = report.school_id, report.cluster_id
    doc = Doc(f"{report.name} · {L.text('school_report_title', lang)}", _subtitle(analysis, lang), lang)
    total = _row(analysis, "school", school_id, TOTAL)
    facts = [(L.column("cluster_id", lang), people.cluster(cluster_id))]
    for c in _attendance_columns(analysis):
        value = total.get(c) if total is not None else None
        if value is not None and pd.notna(value):
            facts.append((L.column(c, lang), str(int(value))))
    if total is not None:
        facts += [(L.column("students", lang) + (f"（{L.text('total', lang)}）" if zh else " (total)"),
                   str(int(total["students"]))),
                  (L.column("mean", lang) + (f"（{L.text('total', lang)}）" if zh else " (total)"),
                   format_cell("mean", total["mean"])),
                  (L.column("rank", lang) + ("（学区）" if zh else " (cluster)"),
                   _rank(total['rank'], total['peers']))]
    doc.add(Facts(facts))
    doc.add(Heading("一、现状分析" if zh else "1. Current state", 2))
    units = [("school", school_id, L.text("this_school", lang)), ("cluster", cluster_id, people.cluster(cluster_id))]
    frame, marks = _compare_rows(analysis, people, units, _subjects(analysis))
    doc.add(Table.from_frame(frame, lang, marks=marks, title=L.text("three_rates", lang),
                             note=L.text("marked_low", lang)))
    cls = _summary(analysis, "class")
    cls = cls[(cls["school_id"] == school_id) & (cls["subject"] == TOTAL)].sort_values("group_id")
    if len(cls):
        classes = pd.DataFrame({"class_name": cls["group_id"].map(people.class_).to_numpy()})
        for c in _attendance_columns(analysis):
            classes[c] = pd.to_numeric(cls[c], errors="coerce").astype("Int64").to_numpy()
        for c in ("students", "mean", "mean_diff", "excellent_rate", "pass_rate", "low_rate"):
            classes[c] = cls[c].to_numpy()
        classes["rank"] = [_rank(r, p) for r, p in zip(cls["rank"], cls["peers"])]
        classes["rank_in_school"] = cls["rank_in_school"].to_numpy()
        if analysis.has_previous:
            classes["improvement_rate"] = cls["improvement_rate"].to_numpy()
        marks = pd.DataFrame("", index=classes.index, columns=classes.columns)
        marks.loc[(classes["mean_diff"] < 0).to_numpy(), "mean_diff"] = LOW
        title = "各班总分" if zh else "Classes (total)"
        doc.add(Table.from_frame(classes, lang, marks=marks, title=title))
        doc.add(_class_subject_means(analysis, people, school_id))
    doc.add(Heading("二、差异差距" if zh else "2. Differences and gaps", 2))
    doc.add(Bullets(report.gap_lines or ["—"]))
    weak = _weak_questions(analysis, people, school_id)
    if weak is not None:
        doc.add(weak)
    areas = [t for subject in analysis.subjects for t in _area_tables(
        analysis, people, rates, subject, [("school", school_id, L.text("this_school", lang))], school_id, cluster_id)]
    if areas:
        doc.add(Heading(L.text("areas", lang), 3), *areas)
    teachers = analysis.teacher_assessment[analysis.teacher_assessment["school_ids"].astype(str).str.split(";")
                                           .map(lambda ids: school_id in ids)]
    if len(teachers):
        frame = pd.DataFrame({
            "teacher_name": teachers["teacher_id"].map(people.teacher).to_numpy(),
            "subject": teachers["subject"].map(people.subject).to_numpy(),
            "class_ids": teachers["class_ids"].map(lambda v: "、".join(people.class_(c) for c in str(v).split(";")))
            .to_numpy(),
            "students": teachers["students"].to_numpy(), "mean": teachers["mean"].to_numpy(),
            "excellent_rate": teachers["excellent_rate"].to_numpy(), "pass_rate": teachers["pass_rate"].to_numpy(),
            "teacher_score": teachers["teacher_score"].to_numpy(),
            "rank": [_rank(r, p) for r, p in zip(teachers["rank"], teachers["peers"])],
        })
        doc.add(Table.from_frame(frame, lang, title=L.text("assessment_row", lang)))
    doc.add(absentees_table(analysis, people, school_id=school_id))
    doc.add(*_borderline_block(analysis, people, school_id=school_id))
    doc.add(Heading("三、整改措施" if zh else "3. Corrective measures", 2))
    doc.add(Paragraph("（以下问题由数据自动列出，措施、责任人与完成时间请学校填写。）" if zh else
                      "(The problems are listed from the data; the school fills in measures, owners and dates.)",
                      "note"))
    header = ["问题", "措施", "责任人", "完成时间"] if zh else ["Problem", "Measure", "Owner", "Due"]
    rows = [[p, "", "", ""] for p in report.problems] + [["（其他）" if zh else "(other)", "", "", ""]]
    doc.add(Table(header, rows, [False] * 4, weights=[5, 4, 1.3, 1.3]))
    return doc


def _class_subject_means(analysis: ExamAnalysis, people: People, school_id) -> Table:
    """Each class's mean per subject, red below the cluster's."""
    lang = people.lang
    s = _summary(analysis, "class")
    s = s[s["school_id"] == school_id]
    wide = s.pivot_table(index="group_id", columns="subject", values="mean", observed=True)
    ref = s.pivot_table(index="group_id", columns="subject", values="ref_mean", observed=True)
    subjects = [x for x in _subjects(analysis) if x in wide.columns]
    frame = pd.DataFrame({"class_name": [people.class_(c) for c in wide.index]})
    marks = pd.DataFrame("", index=frame.index, columns=["class_name", *subjects])
    for subject in subjects:
        frame[subject] = wide[subject].to_numpy()
        marks.loc[(wide[subject] < ref[subject] - 1e-9).to_numpy(), subject] = LOW
    title = "各班各科平均分（红色：低于学区）" if _zh(lang) else "Class means by subject (red: below the cluster)"
    return Table.from_frame(frame, lang, headers={s: people.subject(s) for s in subjects}, marks=marks, title=title)


def _weak_questions(analysis: ExamAnalysis, people: People, school_id) -> Table | None:
    lang = people.lang
    n = analysis.policy.gap_items_per_subject
    i = analysis.item_by_school[analysis.item_by_school["school_id"] == school_id]
    weak = i[i["gap"] < 0].sort_values("gap").groupby("subject", sort=False).head(n)
    if weak.empty:
        return None
    order = {s: k for k, s in enumerate(analysis.subjects)}
    items = analysis.items.set_index(["subject", "item_id"])
    weak = weak.assign(_o=weak["subject"].map(order)).sort_values(["_o", "gap"])
    keys = pd.MultiIndex.from_frame(weak[["subject", "item_id"]])
    frame = pd.DataFrame({
        "subject": weak["subject"].map(people.subject).to_numpy(),
        "number": [L.question(v, lang) for v in items["number"].reindex(keys).to_numpy()],
        "item_type": [L.item_type(v, lang) for v in items["item_type"].reindex(keys).to_numpy()],
    })
    if "knowledge_area" in items and items["knowledge_area"].notna().any():
        frame["knowledge_area"] = items["knowledge_area"].reindex(keys).fillna("").to_numpy()
    frame["score_rate"] = weak["score_rate"].to_numpy()
    frame["cluster_score_rate"] = weak["cluster_score_rate"].to_numpy()
    frame["gap"] = weak["gap"].to_numpy()
    title = "得分率差距最大的小题" if _zh(lang) else "Questions furthest below the cluster"
    return Table.from_frame(frame, lang, title=title)


# --- the bureau's report ----------------------------------------------------------------------------

def bureau_doc(analysis: ExamAnalysis, lang: str = "zh", *, people: People | None = None) -> Doc:
    people = people or People(analysis, lang)
    zh = _zh(lang)
    doc = Doc(f"{exam_name(analysis)} · {L.text('bureau_report', lang)}", _subtitle(analysis, lang), lang)
    district = _row(analysis, "district", "district", TOTAL)
    facts = [(L.text("students_n", lang), str(len(analysis.students))),
             (L.text("schools_n", lang), str(len(analysis.schools))),
             (L.text("classes_n", lang), str(len(analysis.classes)))]
    for c in _attendance_columns(analysis):
        value = district.get(c) if district is not None else None
        if value is not None and pd.notna(value):
            facts.append((L.column(c, lang), str(int(value))))
    if district is not None:
        facts += [(L.column("mean", lang) + (f"（{L.text('total', lang)}）" if zh else " (total)"),
                   f"{format_cell('mean', district['mean'])} / {format_cell('full_marks', district['full_marks'])}"),
                  (L.column("excellent_rate", lang), format_cell("excellent_rate", district["excellent_rate"])),
                  (L.column("pass_rate", lang), format_cell("pass_rate", district["pass_rate"])),
                  (L.column("low_rate", lang), format_cell("low_rate", district["low_rate"]))]
    doc.add(Facts(facts))
    if analysis.warnings:
        doc.add(Paragraph(f"{L.text('warnings', lang)}：" + "；".join(analysis.warnings), "note"))

    doc.add(Heading(("一、" if zh else "1. ") + L.text("school_table", lang), 2))
    doc.add(_schools_table(analysis, people))
    doc.add(_subject_means_table(analysis, people))
    doc.add(Heading(("二、" if zh else "2. ") + L.text("school_trend", lang), 2))
    doc.add(*school_trend_blocks(analysis, people))
    doc.add(Heading(("三、" if zh else "3. ") + L.text("paper_quality", lang), 2))
    for subject in analysis.subjects:
        doc.add(*paper_quality_blocks(analysis, people, subject))
    doc.add(Heading(("四、" if zh else "4. ") + L.text("assessment", lang), 2))
    we, wp, wi = analysis.policy.teacher_weights(analysis.has_previous)
    doc.add(Paragraph(L.text("weights", lang, we=we, wp=wp, wi=wi), "note"))
    t = analysis.teacher_assessment
    top = t.sort_values(["subject", "cluster_id", "rank"]).groupby(["subject", "cluster_id"], sort=False).head(3)
    order = {s: k for k, s in enumerate(analysis.subjects)}
    top = top.assign(_o=top["subject"].map(order)).sort_values(["_o", "cluster_id", "rank"])
    frame = pd.DataFrame({"subject": top["subject"].map(people.subject).to_numpy(),
                          "cluster_id": top["cluster_id"].map(people.cluster).to_numpy(),
                          "teacher_name": top["teacher_id"].map(people.teacher).to_numpy(),
                          "school_ids": top["school_ids"].map(lambda v: "、".join(people.school(s)
                                                                                  for s in str(v).split(";"))).to_numpy(),
                          "students": top["students"].to_numpy(), "teacher_score": top["teacher_score"].to_numpy(),
                          "rank": [_rank(r, p) for r, p in zip(top["rank"], top["peers"])]})
    title = "各学区各学科考核分前三名" if zh else "Top three teacher scores per cluster and subject"
    doc.add(Table.from_frame(frame, lang, title=title))
    doc.add(*_borderline_summary(analysis, people))
    return doc


def _schools_table(analysis: ExamAnalysis, people: People) -> Table:
    lang = people.lang
    s = _summary(analysis, "school")
    s = s[s["subject"] == TOTAL].sort_values(["cluster_id", "rank", "group_id"])
    frame = pd.DataFrame({"school_name": s["group_id"].map(people.school).to_numpy()})
    if analysis.schools["cluster_id"].nunique() > 1:
        frame["cluster_id"] = s["cluster_id"].map(people.cluster).to_numpy()
    for c in _attendance_columns(analysis):
        frame[c] = pd.to_numeric(s[c], errors="coerce").astype("Int64").to_numpy()
    for c in ("students", "mean", "excellent_rate", "pass_rate", "low_rate", "above_mean_rate"):
        frame[c] = s[c].to_numpy()
    frame["rank"] = [_rank(r, p) for r, p in zip(s["rank"], s["peers"])]
    if analysis.has_previous:
        frame["improvement_rate"] = s["improvement_rate"].to_numpy()
    marks = pd.DataFrame("", index=frame.index, columns=frame.columns)
    marks.loc[(frame["above_mean_rate"] < 0).to_numpy(), "above_mean_rate"] = LOW
    marks.loc[(frame["above_mean_rate"] >= 0.05).to_numpy(), "above_mean_rate"] = HIGH
    title = f"{L.text('total', lang)} · {L.text('school_table', lang)}"
    return Table.from_frame(frame, lang, marks=marks, title=title)


def _subject_means_table(analysis: ExamAnalysis, people: People) -> Table:
    lang = people.lang
    s = _summary(analysis, "school")
    wide = s.pivot_table(index="group_id", columns="subject", values="mean", observed=True)
    ref = s.pivot_table(index="group_id", columns="subject", values="ref_mean", observed=True)
    schools = [x for x in analysis.schools["school_id"] if x in wide.index]
    subjects = [x for x in _subjects(analysis) if x in wide.columns]
    frame = pd.DataFrame({"school_name": [people.school(x) for x in schools]})
    marks = pd.DataFrame("", index=frame.index, columns=["school_name", *subjects])
    for subject in subjects:
        frame[subject] = wide.loc[schools, subject].to_numpy()
        marks.loc[(wide.loc[schools, subject] < ref.loc[schools, subject] - 1e-9).to_numpy(), subject] = LOW
    title = "各校各科平均分（红色：低于学区）" if _zh(lang) else "School means by subject (red: below the cluster)"
    return Table.from_frame(frame, lang, headers={x: people.subject(x) for x in subjects}, marks=marks, title=title)


def school_trend_table(analysis: ExamAnalysis, people: People) -> Table | None:
    """The schools' trend over the cohort's exams when the analysis carries `school_trends` (the hook):
    one row per school, one column per exam, the total's mean z (or score rate, or mean)."""
    trends = getattr(analysis, "school_trends", None)
    if trends is None:  # the cohort's record (学情档案): per group, subject and exam the mean z, oldest first
        groups = getattr(getattr(analysis, "trends", None), "groups", None)
        if isinstance(groups, pd.DataFrame) and {"level", "group_id", "exam_id", "mean_z"} <= set(groups.columns):
            part = groups[groups["level"] == "school"]
            part = part.sort_values("order", kind="stable") if "order" in part else part
            trends = part.rename(columns={"group_id": "school_id"})
    if not isinstance(trends, pd.DataFrame) or trends.empty or not {"school_id", "exam_id"} <= set(trends.columns):
        return None
    value = next((c for c in TREND_VALUES if c in trends.columns), None)
    if value is None:
        return None
    part = trends
    if "subject" in part:
        part = part[part["subject"].astype(str) == TOTAL] if (part["subject"].astype(str) == TOTAL).any() else part
    exam_label = "exam_name" if "exam_name" in part else "exam_id"
    ordered = part.sort_values("exam_date", kind="stable") if "exam_date" in part else part  # else as given
    exams = list(dict.fromkeys(ordered[exam_label].astype(str)))
    wide = part.pivot_table(index="school_id", columns=exam_label, values=value, aggfunc="mean")
    wide = wide.reindex(columns=exams)
    schools = [s for s in analysis.schools["school_id"] if s in wide.index]
    frame = pd.DataFrame({"school_name": [people.school(s) for s in schools]})
    for exam in exams:
        frame[exam] = wide.loc[schools, exam].to_numpy()
    if len(exams) >= 2:
        frame["change"] = frame[exams[-1]] - frame[exams[0]]
    lang = people.lang
    known = {str(analysis.exam_id): getattr(analysis, "exam_name", None),
             str(analysis.previous_exam_id): getattr(analysis, "previous_exam_name", None)}
    headers: dict[str, str] = {"change": "变化" if _zh(lang) else "Change"}
    headers.update({exam: str(known[exam]) for exam in exams if known.get(exam)})  # names where known
    table = Table.from_frame(frame, lang, headers=headers, title=L.column(value, lang))
    for r, cells in enumerate(table.rows):  # the exams' columns are named by exam: format them as `value`
        for c, column in enumerate(frame.columns[1:], start=1):
            cells[c] = format_cell(value, frame.iat[r, c])
    return table


def school_trend_blocks(analysis: ExamAnalysis, people: People) -> list:
    lang = people.lang
    longer = school_trend_table(analysis, people)
    if longer is not None:
        return [longer, Paragraph(L.text("trend_note", lang), "note")]
    if not analysis.has_previous:
        return [Paragraph(L.text("no_previous", lang), "note")]
    s = _summary(analysis, "school")
    s = s[s["subject"] == TOTAL].set_index("group_id")
    schools = [x for x in analysis.schools["school_id"] if x in s.index]
    frame = pd.DataFrame({"school_name": [people.school(x) for x in schools],
                          "matched_students": s.loc[schools, "matched_students"].to_numpy(),
                          "prev_mean_z": s.loc[schools, "prev_mean_z"].to_numpy(),
                          "mean_z_now": (s.loc[schools, "prev_mean_z"] + s.loc[schools, "mean_z_change"]).to_numpy(),
                          "mean_z_change": s.loc[schools, "mean_z_change"].to_numpy(),
                          "improvement_rate": s.loc[schools, "improvement_rate"].to_numpy(),
                          "excellent_rate_change": s.loc[schools, "excellent_rate_change"].to_numpy(),
                          "pass_rate_change": s.loc[schools, "pass_rate_change"].to_numpy()})
    frame = frame.sort_values("mean_z_change", ascending=False).reset_index(drop=True)
    marks = pd.DataFrame("", index=frame.index, columns=frame.columns)
    marks.loc[(frame["mean_z_change"] < 0).to_numpy(), "mean_z_change"] = LOW
    marks.loc[(frame["mean_z_change"] > 0).to_numpy(), "mean_z_change"] = HIGH
    headers = {"mean_z_now": L.column("mean_z_now", lang)}
    title = L.text("previous", lang, exam=getattr(analysis, "previous_exam_name", None) or analysis.previous_exam_id)
    return [Table.from_frame(frame, lang, headers=headers, marks=marks, title=title),
            Paragraph(L.text("trend_note", lang), "note")]


def paper_quality_blocks(analysis: ExamAnalysis, people: People, subject: str) -> list:
    """试卷质量分析 of one paper: reliability, SEM, the difficulty and discrimination bands, the questions
    with their flags, the options of choice questions, the knowledge areas and cognitive levels."""
    lang = people.lang
    zh = _zh(lang)
    paper = analysis.papers.set_index("subject").loc[subject]
    blocks: list = [Heading(people.subject(subject), 3)]
    blocks.append(Facts([
        (L.column("items", lang), str(int(paper["items"]))),
        (L.column("full_marks", lang), format_cell("full_marks", paper["full_marks"])),
        (L.column("students", lang), str(int(paper["students"]))),
        (L.column("mean", lang), format_cell("mean", paper["mean"])),
        (L.column("difficulty", lang), format_cell("difficulty", paper["difficulty"])),
        (L.column("alpha", lang), format_cell("alpha", paper["alpha"])),
        (L.column("reliability", lang), L.reliability(reliability_band(float(paper["alpha"])), lang) or "—"),
        (L.column("sem", lang), format_cell("sem", paper.get("sem", np.nan))),
    ]))
    bands = analysis.item_bands[analysis.item_bands["subject"] == subject]
    for index in ("difficulty", "discrimination_ul"):
        part = bands[bands["index"] == index]
        frame = pd.DataFrame({"band": part["band"].map(lambda v: L.band(v, lang)).to_numpy(),
                              "items": part["items"].to_numpy(), "points": part["points"].to_numpy(),
                              "points_share": part["points_share"].to_numpy(),
                              "numbers": part["numbers"].to_numpy()})
        title = (f"{L.column('difficulty', lang)}分布" if zh else "Difficulty bands") if index == "difficulty" else \
            ("区分度（D）分布" if zh else "Discrimination (D) bands")
        blocks.append(Table.from_frame(frame, lang, headers={"band": L.column("index", lang)}, title=title))
    items = analysis.items[analysis.items["subject"] == subject].sort_values("number")
    frame = pd.DataFrame({"number": items["number"].map(lambda n: L.question(n, lang)).to_numpy(),
                          "item_type": items["item_type"].map(lambda v: L.item_type(v, lang)).to_numpy()})
    for c in ("knowledge_area", "cognitive_level"):
        if c in items and items[c].notna().any():
            frame[c] = (items[c].map(lambda v: L.cognitive_level(v, lang)) if c == "cognitive_level"
                        else items[c].fillna("")).to_numpy()
    for c in ("max_score", "mean", "difficulty", "discrimination_ul", "item_total_r", "discrimination"):
        frame[c] = items[c].to_numpy()
    frame["flags"] = items["flags"].map(lambda v: L.flags(v, lang)).to_numpy()
    marks = pd.DataFrame("", index=frame.index, columns=frame.columns)
    marks.loc[(frame["flags"] != "").to_numpy(), "flags"] = LOW
    marks.loc[(frame["discrimination_ul"] < analysis.policy.min_discrimination).to_numpy(), "discrimination_ul"] = LOW
    headers = {"discrimination": "校正题总相关" if zh else "Corrected r", "discrimination_ul": "区分度D" if zh else "D"}
    blocks.append(Table.from_frame(frame, lang, headers=headers, marks=marks,
                                   title=("小题分析" if zh else "Questions"), note=L.text("quality_note", lang)))
    options = options_table(analysis, people, subject)
    if options is not None:
        blocks.append(options)
    areas = analysis.areas[analysis.areas["subject"] == subject] if len(analysis.areas) else analysis.areas
    for dimension in ("knowledge_area", "cognitive_level"):
        part = areas[areas["dimension"] == dimension] if len(areas) else areas
        if part.empty:
            continue
        frame = pd.DataFrame({
            "category": (part["category"].map(lambda v: L.cognitive_level(v, lang)) if dimension == "cognitive_level"
                         else part["category"]).to_numpy(),
            "items": part["items"].to_numpy(), "numbers": part["numbers"].to_numpy(),
            "points": part["points"].to_numpy(), "blueprint_points": part["blueprint_points"].to_numpy(),
            "score_rate": part["score_rate"].to_numpy()})
        if frame["blueprint_points"].isna().all():
            frame = frame.drop(columns="blueprint_points")
        marks = pd.DataFrame("", index=frame.index, columns=frame.columns)
        if "blueprint_points" in frame:
            off = (frame["points"] - frame["blueprint_points"]).abs() > 1e-9
            marks.loc[off.fillna(True).to_numpy(), "points"] = LOW
        blocks.append(Table.from_frame(frame, lang, headers={"category": L.column(dimension, lang)}, marks=marks,
                                       title=f"{L.column(dimension, lang)}", note=L.text("areas_note", lang)))
    return blocks


def options_table(analysis: ExamAnalysis, people: People, subject: str) -> Table | None:
    """选项分析 of a paper's choice questions: the key, the share choosing it (选对率), the share of answers
    with each letter (a multiple-choice answer counts for each letter it holds), the blank share, the
    upper and lower groups' share choosing the key, and the flags (a distractor the upper group prefers,
    a key that does not discriminate)."""
    o = analysis.options
    if o is None or o.empty:
        return None
    part = o[o["subject"] == subject]
    if part.empty:
        return None
    lang = people.lang
    letters = sorted({ch for x in part["option"].astype(str) if x != "-" for ch in x})
    headers = [L.column("number", lang), L.column("key", lang), L.column("key_share", lang), *letters,
               L.column("blank_share", lang), L.column("key_upper_share", lang), L.column("key_lower_share", lang),
               L.column("flags", lang)]
    rows, marks = [], []
    for (number, _), q in part.groupby(["number", "item_id"], sort=True):
        key = q["key"].iloc[0] or ""
        options = q["option"].astype(str).tolist()
        shares = dict(zip(options, q["share"]))
        key_rows = q[q["is_key"]]
        letter_share = {letter: sum(share for option, share in shares.items() if option != "-" and letter in option)
                        for letter in letters}
        flagged = [f"{opt}：{L.flags(flag, lang)}" for opt, flag in zip(options, q["flag"]) if flag]
        rows.append([L.question(number, lang), key, format_cell("share", shares.get(key, 0.0) if key else np.nan),
                     *[format_cell("share", letter_share[letter]) for letter in letters],
                     format_cell("share", shares.get("-", 0.0)),
                     format_cell("share", float(key_rows["upper_share"].sum()) if len(key_rows) else np.nan),
                     format_cell("share", float(key_rows["lower_share"].sum()) if len(key_rows) else np.nan),
                     "；".join(flagged)])
        mark = [""] * len(headers)
        for opt, flag in zip(options, q["flag"]):
            if flag and len(opt) == 1 and opt in letters:
                mark[3 + letters.index(opt)] = LOW
        if len(key) == 1 and key in letters:
            mark[3 + letters.index(key)] = STRONG
        if flagged:
            mark[-1] = LOW
        marks.append(mark)
    title = f"{L.text('options', lang)}（{'各选项选择率' if _zh(lang) else 'share choosing each option'}）"
    return Table(headers, rows, [False, False, True, *[True] * len(letters), True, True, True, False], marks,
                 title=title)


def _borderline_summary(analysis: ExamAnalysis, people: People) -> list:
    frame = getattr(analysis, "borderline", None)
    if not isinstance(frame, pd.DataFrame) or frame.empty or not {"school_id", "subject", "line"} <= set(frame.columns):
        return []
    lang = people.lang
    counts = frame.groupby(["school_id", "line"]).size().unstack("line", fill_value=0)
    schools = [s for s in analysis.schools["school_id"] if s in counts.index]
    out = pd.DataFrame({"school_name": [people.school(s) for s in schools]})
    for line in counts.columns:
        out[str(line)] = counts.loc[schools, line].to_numpy()
    headers = {str(line): L.line(line, lang) for line in counts.columns}
    title = f"{L.text('borderline', lang)}（{'人次' if _zh(lang) else 'count'}）"
    return [Table.from_frame(out, lang, headers=headers, title=title)]
