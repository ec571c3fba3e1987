"""The tables of the reports, built once from an ExamAnalysis for both the workbook and the HTML.

Columns keep their English keys (headers are translated when written, see analysis.labels);
values a reader sees (subjects, levels, flags, school and teacher names) are translated here.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property

import numpy as np
import pandas as pd

from analysis import labels as L
from analysis.pipeline import ExamAnalysis
from analysis.stats import TOTAL, band_labels

RATE_COLUMNS = frozenset({
    "score_rate", "excellent_rate", "pass_rate", "low_rate", "above_mean_rate", "excellent_rate_diff",
    "pass_rate_diff", "low_rate_diff", "improvement_rate", "prev_excellent_rate", "prev_pass_rate",
    "excellent_rate_change", "pass_rate_change", "share", "cumulative_share", "upper_rate", "lower_rate",
    "cluster_score_rate", "gap", "upper_share", "lower_share", "cluster_excellent_rate", "cluster_pass_rate",
    "cluster_low_rate", "points_share", "blank_share", "key_upper_share", "key_lower_share", "school_score_rate",
    "class_score_rate", "district_score_rate", "own_score_rate", "gap_cluster", "participation_rate", "conversion_rate",
})
INTEGER_COLUMNS = frozenset({
    "students", "rank", "peers", "rank_in_school", "matched_students", "items", "group_size", "flagged_items",
    "missing_cells", "count", "cumulative", "classes", "rank_class", "rank_school", "rank_cluster", "rank_district",
    "total_count", "tests", "number", "class_tests", "members", "mentor_class_tests", "apprentice_class_tests", "band",
    "expected", "sat", "absent", "exempt", "borderline_before", "sat_again", "crossed",
})
TWO_DECIMALS = frozenset({
    "mean_z", "mean_z_change", "prev_mean_z", "total_z", "z", "prev_z", "z_gain", "difficulty", "discrimination",
    "discrimination_ul", "alpha", "alpha_if_deleted", "item_total_r", "sem", "mean_discrimination_ul", "mean_z_now",
    "value_added", "expected_z", "z_slope", "first_mean_z", "last_mean_z",
})
# a student tied at a 27% group's cut counts in part in the option counts (analysis.items.ScoreGroups)
WHOLE_WHEN_INTEGRAL = frozenset({"max", "min", "full_marks", "max_score", "score", "lower_score", "upper_score",
                                 "points", "blueprint_points", "upper", "middle", "lower", "line_score"})
TWO_DECIMALS = TWO_DECIMALS | {"points_to_line"}  # 0.25 of a mark below a line reads as such
BASIS_NAMES = {"excellent+pass+improvement": ("优秀率+及格率+提高率", "excellent + pass + improvement"),
               "excellent+pass": ("优秀率+及格率", "excellent + pass")}


def formats_for(frame: pd.DataFrame) -> dict[str, str]:
    """Workbook number format of each column: percent for rates, integer for counts."""
    out = {}
    for c in frame.columns:
        if c in RATE_COLUMNS:
            out[c] = "percent"
        elif c in INTEGER_COLUMNS and pd.api.types.is_numeric_dtype(frame[c].dtype):
            out[c] = "integer"
    return out


def format_cell(column: str, value) -> str:
    """How a number reads in the HTML and Markdown reports: rates as percentages, counts as
    integers, z and item statistics with two decimals, scores with one."""
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else ""
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if column in RATE_COLUMNS:
        return f"{value:.1%}"
    if column in INTEGER_COLUMNS or isinstance(value, (int, np.integer)):
        return f"{int(value)}"
    if column in TWO_DECIMALS:
        return f"{value:.2f}"
    if column in WHOLE_WHEN_INTEGRAL and float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.1f}"


class Namer:
    """Display names of schools, teachers, subjects and levels in one language."""

    def __init__(self, analysis: ExamAnalysis, lang: str):
        self.analysis = analysis
        self.lang = lang
        self.schools = dict(zip(analysis.schools["school_id"], analysis.schools["name"]))
        self.teachers = dict(zip(analysis.teachers["teacher_id"], analysis.teachers["name"]))
        self.clusters: dict = {}
        if "cluster_name" in analysis.schools:  # 学区名称, when the clusters table gave them
            named = analysis.schools.dropna(subset=["cluster_name"])
            self.clusters = dict(zip(named["cluster_id"], named["cluster_name"]))

    def school(self, school_id) -> str:
        return str(self.schools.get(school_id, school_id))

    def subject(self, code) -> str:
        return L.subject(str(code), self.lang)

    def group(self, level: str, group_id) -> str:
        if level == "school":
            return self.school(group_id)
        if level == "district":
            return L.level("district", self.lang)
        if level == "cluster":
            name = self.clusters.get(group_id)
            return str(name) if name else f"{L.level('cluster', self.lang)} {group_id}"
        return str(group_id)

    def teacher(self, teacher_id) -> str:
        return "" if teacher_id is None or pd.isna(teacher_id) else str(self.teachers.get(teacher_id, teacher_id))

    @cached_property
    def class_names(self) -> dict[str, str]:
        """八年级(3)班: the grade and the class's place among its school's classes of that grade (by id)."""
        classes = self.analysis.classes
        if "grade" not in classes:
            return {str(c): str(c) for c in classes["class_id"]}
        out: dict[str, str] = {}
        for (_, grade), part in classes.sort_values("class_id").groupby(["school_id", "grade"], sort=False):
            for k, class_id in enumerate(part["class_id"], start=1):
                out[str(class_id)] = class_name(grade, k, self.lang)
        return out

    def class_(self, class_id) -> str:
        return self.class_names.get(str(class_id), str(class_id))

    @cached_property
    def numbers(self) -> dict[tuple[str, str], int]:
        items = self.analysis.items
        return dict(zip(zip(items["subject"], items["item_id"]), items["number"]))

    def question(self, subject, item_id) -> str:
        """第 N 题 of a paper's item (its bank id when it is not on the paper)."""
        number = self.numbers.get((subject, item_id))
        return L.question(number, self.lang) if number is not None else str(item_id)


def class_name(grade, number: int, lang: str) -> str:
    try:
        g = int(grade)
    except (TypeError, ValueError):
        return f"{grade}-{number}"
    return f"{_numeral(g)}年级({number})班" if lang == "zh" else f"Grade {g} class {number}"


def _numeral(n: int) -> str:
    """一 … 十二 (grades)."""
    digits = "零一二三四五六七八九"
    if 0 <= n < 10:
        return digits[n]
    if 10 <= n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    return str(n)


def _subject_order(analysis: ExamAnalysis) -> dict[str, int]:
    return {s: i for i, s in enumerate([*analysis.subjects, TOTAL])}


def _sorted(frame: pd.DataFrame, analysis: ExamAnalysis, by: list[str]) -> pd.DataFrame:
    order = _subject_order(analysis)
    return (frame.assign(_s=frame["subject"].map(order)).sort_values(["_s", *by], kind="stable")
            .drop(columns="_s").reset_index(drop=True))


def school_summary(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    s = analysis.summary[analysis.summary["level"] == "school"]
    s = _sorted(s, analysis, ["cluster_id", "rank", "group_id"])
    out = pd.DataFrame({"school_id": s["group_id"], "school_name": s["group_id"].map(names.school),
                        "cluster_id": s["cluster_id"], "subject": s["subject"].map(names.subject)})
    for c in ("students", "expected", "sat", "absent", "participation_rate", "full_marks", "mean", "std", "max", "min",
              "score_rate", "excellent_rate", "pass_rate", "low_rate", "above_mean_rate", "mean_diff",
              "excellent_rate_diff", "pass_rate_diff", "low_rate_diff", "rank", "peers"):
        out[c] = s[c].to_numpy()
    if analysis.has_previous:
        out["improvement_rate"] = s["improvement_rate"].to_numpy()
        out["mean_z_change"] = s["mean_z_change"].to_numpy()
    return out


def class_summary(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    s = analysis.summary[analysis.summary["level"] == "class"]
    s = _sorted(s, analysis, ["school_id", "group_id"])
    teacher = analysis.class_assessment.set_index(["class_id", "subject"])["teacher_id"]
    keys = pd.MultiIndex.from_arrays([s["group_id"], s["subject"]])
    out = pd.DataFrame({"class_name": s["group_id"].map(names.class_), "school_name": s["school_id"].map(names.school),
                        "subject": s["subject"].map(names.subject),
                        "teacher_name": [names.teacher(t) for t in teacher.reindex(keys).to_numpy()]})
    for c in ("students", "expected", "sat", "absent", "participation_rate", "mean", "std", "max", "min", "score_rate",
              "excellent_rate", "pass_rate", "low_rate", "above_mean_rate", "rank", "peers", "rank_in_school"):
        out[c] = s[c].to_numpy()
    if analysis.has_previous:
        out["improvement_rate"] = s["improvement_rate"].to_numpy()
        out["mean_z_change"] = s["mean_z_change"].to_numpy()
    return out


def cluster_summary(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    levels = ["cluster", "district"] if analysis.schools["cluster_id"].nunique() > 1 else ["cluster"]
    s = analysis.summary[analysis.summary["level"].isin(levels)]  # one cluster: "all" would repeat it
    s = _sorted(s, analysis, ["level", "group_id"])
    out = pd.DataFrame({"group_name": [names.group(lv, g) for lv, g in zip(s["level"], s["group_id"])],
                        "subject": s["subject"].map(names.subject)})
    for c in ("students", "expected", "sat", "absent", "participation_rate", "full_marks", "mean", "std", "max", "min",
              "score_rate", "excellent_rate", "pass_rate", "low_rate"):
        out[c] = s[c].to_numpy()
    if analysis.has_previous:
        out["improvement_rate"] = s["improvement_rate"].to_numpy()
    return out


def bands_wide(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    """分数段统计表: one row per group and subject, one column per band (counts)."""
    b = analysis.score_bands
    labels = band_labels(analysis.policy)
    wide = b.pivot_table(index=["level", "group_id", "subject"], columns="band", values="count", aggfunc="sum",
                         fill_value=0, observed=True)
    wide = wide.reindex(columns=range(len(labels)), fill_value=0)
    wide.columns = labels
    wide = wide.reset_index()
    level_order = {"district": 0, "cluster": 1, "school": 2, "class": 3}
    wide = wide.assign(_l=wide["level"].map(level_order))
    wide = _sorted(wide, analysis, ["_l", "group_id"]).drop(columns="_l")
    out = pd.DataFrame({"level": wide["level"].map(lambda v: L.level(v, names.lang)),
                        "group_name": [names.group(lv, g) for lv, g in zip(wide["level"], wide["group_id"])],
                        "subject": wide["subject"].map(names.subject),
                        "students": wide[labels].sum(axis=1).to_numpy()})
    for label in reversed(labels):  # highest band first, as printed tables do
        out[label] = wide[label].to_numpy()
    return out


def segments(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    s = analysis.segments
    s = _sorted(s, analysis, ["level", "group_id"])
    return pd.DataFrame({"group_name": [names.group(lv, g) for lv, g in zip(s["level"], s["group_id"])],
                         "subject": s["subject"].map(names.subject), "score": s["score"], "count": s["count"],
                         "cumulative": s["cumulative"], "cumulative_share": s["cumulative_share"]})


def items(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    i = analysis.items
    lang = names.lang
    out = pd.DataFrame({"subject": i["subject"].map(names.subject),
                        "number": i["number"].map(lambda n: L.question(n, lang)),
                        "item_type": i["item_type"].map(lambda v: L.item_type(v, lang))})
    for c in ("knowledge_area", "cognitive_level"):
        if c in i and i[c].notna().any():
            out[c] = (i[c].map(lambda v: L.cognitive_level(v, lang)) if c == "cognitive_level" else i[c]).to_numpy()
    for c in ("max_score", "students", "mean", "std", "difficulty", "discrimination_ul", "item_total_r",
              "discrimination", "upper_rate", "lower_rate", "alpha_if_deleted"):
        out[c] = i[c].to_numpy()
    out["flags"] = i["flags"].map(lambda v: L.flags(v, lang)).to_numpy()
    out["item_id"] = i["item_id"].to_numpy()  # the bank's id (题库编号), last: people read 第 N 题
    return out


def papers(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    p = analysis.papers
    out = pd.DataFrame({"subject": p["subject"].map(names.subject)})
    for c in ("items", "full_marks", "students", "mean", "std", "difficulty", "alpha", "sem", "mean_discrimination_ul",
              "group_size", "flagged_items", "missing_cells"):
        out[c] = p[c].to_numpy()
    return out


def item_by_school(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    i = analysis.item_by_school
    return pd.DataFrame({"school_name": i["school_id"].map(names.school), "subject": i["subject"].map(names.subject),
                         "number": [names.question(s, x) for s, x in zip(i["subject"], i["item_id"])],
                         "students": i["students"], "mean": i["mean"],
                         "score_rate": i["score_rate"], "cluster_score_rate": i["cluster_score_rate"], "gap": i["gap"]})


def options(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    o = analysis.options
    out = o.drop(columns=["flag", "item_id"]).rename(columns={"total": "total_count"})
    out["subject"] = o["subject"].map(names.subject)
    out["number"] = o["number"].map(lambda n: L.question(n, names.lang))
    out["flag"] = o["flag"].map(lambda v: L.flags(v, names.lang))
    return out


def gaps(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    """The items on which each school trails its cluster most (得分率差距), per subject."""
    n = analysis.policy.gap_items_per_subject
    i = analysis.item_by_school.sort_values(["school_id", "subject", "gap"])
    worst = i.groupby(["school_id", "subject"], sort=False).head(n)
    worst = _sorted(worst, analysis, ["school_id", "gap"])
    return pd.DataFrame({"school_name": worst["school_id"].map(names.school),
                         "subject": worst["subject"].map(names.subject),
                         "number": [names.question(s, x) for s, x in zip(worst["subject"], worst["item_id"])],
                         "score_rate": worst["score_rate"], "cluster_score_rate": worst["cluster_score_rate"],
                         "gap": worst["gap"]})


def vertical(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    s = analysis.summary[analysis.summary["level"].isin(["cluster", "school", "class"])]
    level_order = {"cluster": 0, "school": 1, "class": 2}
    s = _sorted(s.assign(_l=s["level"].map(level_order)), analysis, ["_l", "group_id"])
    out = pd.DataFrame({"level": s["level"].map(lambda v: L.level(v, names.lang)),
                        "group_name": [names.group(lv, g) for lv, g in zip(s["level"], s["group_id"])],
                        "subject": s["subject"].map(names.subject)})
    for c in ("matched_students", "improvement_rate", "value_added", "mean_z_change", "prev_mean_z", "prev_excellent_rate",
              "excellent_rate", "excellent_rate_change", "prev_pass_rate", "pass_rate", "pass_rate_change"):
        out[c] = s[c].to_numpy()
    return out


def class_assessment(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    c = analysis.class_assessment
    out = pd.DataFrame({"class_name": c["class_id"].map(names.class_), "school_name": c["school_id"].map(names.school),
                        "subject": c["subject"].map(names.subject),
                        "teacher_name": c["teacher_id"].map(names.teacher), "teacher_id": c["teacher_id"]})
    for col in ("students", "mean", "excellent_rate", "pass_rate", "low_rate", "improvement_rate", "class_score", "rank",
                "peers"):
        out[col] = c[col].to_numpy()
    out["score_basis"] = c["score_basis"].map(lambda v: BASIS_NAMES[v][L.check_lang(names.lang)]).to_numpy()
    return out


def teacher_assessment(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    t = analysis.teacher_assessment
    out = pd.DataFrame({
        "teacher_name": t["teacher_id"].map(names.teacher), "teacher_id": t["teacher_id"],
        "subject": t["subject"].map(names.subject), "cluster_id": t["cluster_id"],
        "school_ids": t["school_ids"].map(lambda v: "、".join(names.school(s) for s in str(v).split(";"))),
        "class_ids": t["class_ids"].map(lambda v: "、".join(names.class_(c) for c in str(v).split(";"))),
    })
    for col in ("classes", "students", "mean", "excellent_rate", "pass_rate", "low_rate", "matched_students",
                "improvement_rate", "teacher_score", "rank", "peers"):
        out[col] = t[col].to_numpy()
    out["score_basis"] = t["score_basis"].map(lambda v: BASIS_NAMES[v][L.check_lang(names.lang)]).to_numpy()
    return out


def students(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    s = analysis.students
    out = pd.DataFrame({"student_id": s["student_id"]})
    student_names = dict(zip(analysis.student_names["student_id"], analysis.student_names["name"])) \
        if len(analysis.student_names) else {}
    if student_names:
        out["student_name"] = s["student_id"].map(lambda x: student_names.get(str(x), "")).to_numpy()
    out["school_name"] = s["school_id"].map(names.school).to_numpy()
    out["class_name"] = s["class_id"].map(names.class_).to_numpy()
    for subject in [*analysis.subjects, TOTAL]:
        out[subject] = s[subject].to_numpy()
    for c in ("total_z", "total_t", "rank_class", "rank_school", "rank_cluster", "rank_district"):
        out[c] = s[c].to_numpy()
    return out


def overview(analysis: ExamAnalysis, names: Namer) -> pd.DataFrame:
    lang = names.lang
    p = analysis.policy
    zh = lang == "zh"
    total = analysis.summary[(analysis.summary["level"] == "district") & (analysis.summary["subject"] == TOTAL)]
    full = ", ".join(f"{names.subject(r.subject)} {r.full_marks:g}" for r in analysis.papers.itertuples())
    we, wp, wi = p.teacher_weights(analysis.has_previous)
    rows = [
        (L.text("exam", lang), analysis.exam_id),
        (("上次联考" if zh else "Previous exam"), analysis.previous_exam_id or "—"),
        (L.text("students_n", lang), len(analysis.students)),
        (("全科参考人数" if zh else "Students who sat every subject"), int(total["students"].sum())),
        (L.text("schools_n", lang), len(analysis.schools)),
        (L.text("classes_n", lang), len(analysis.classes)),
        (("学区数" if zh else "Clusters"), analysis.schools["cluster_id"].nunique()),
        (("试卷满分" if zh else "Full marks"), full),
        (("优秀/及格/低分线" if zh else "Excellent / pass / low lines"),
         f"≥{p.excellent_fraction:.0%} / ≥{p.pass_fraction:.0%} / <{p.low_fraction:.0%}"),
        (("提高率口径" if zh else "Improvement rate"),
         (f"标准分提高 ≥ {p.improvement_min_z_gain:g} 的学生占两次均参考学生的比例" if zh else
          f"share of students sitting both exams whose z rose by ≥ {p.improvement_min_z_gain:g}")
         if p.improvement_basis == "z_gain" else
         ("本次标准分高于按上次成绩预期的标准分的学生占两次均参考学生的比例（无变化时约 50%）" if zh else
          "share of students sitting both exams whose z is above what their previous results predict (about 50% "
          "when nothing changed)")),
        (("考核权重" if zh else "Assessment weights"),
         L.text("weights", lang, we=we, wp=wp, wi=wi)),
        (L.text("generated", lang), dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    rows += [(L.text("warnings", lang), w) for w in analysis.warnings]
    return pd.DataFrame(rows, columns=["field", "value"]).astype({"value": str})


def methods(lang: str) -> pd.DataFrame:
    zh = lang == "zh"
    rows = METHODS_ZH if zh else METHODS_EN
    return pd.DataFrame(rows, columns=["field", "value"])


METHODS_ZH = [
    ("优秀率/及格率/低分率", "得分 ≥ 满分×85% / ≥ 满分×60% / < 满分×40% 的学生占参考学生的比例（阈值见政策文件）。"),
    ("得分率", "平均分 ÷ 满分。"),
    ("标准差", "总体标准差（参考学生即全体）。"),
    ("标准分", "Z = (分数 − 全体平均分) ÷ 全体标准差；T = 50 + 10Z。全体指本次分析的全部参考学生。"),
    ("超均率", "(单位平均分 − 参照平均分) ÷ 参照平均分；班级与学校以所在学区为参照，学区以全体为参照。"),
    ("名次", "同分同名次（1、2、2、4），学生在班级、学校、学区、全体内排名；单位按平均分在学区内排名。"),
    ("总分", "仅参加全部学科考试的学生计算总分。"),
    ("分数段", "按满分的百分比分段，含下限不含上限，最高段含满分。"),
    ("一分一段", "每 1 分一段 [s, s+1) 的人数，累计人数为得分 ≥ s 的人数。"),
    ("难度", "小题平均分 ÷ 小题分值（越大越容易）；低于 0.2 偏难，高于 0.9 偏易。"),
    ("区分度", "高低分组区分度 D = 高分组得分率 − 低分组得分率（按卷面总分取前后各 27%，卡线同分者按比例分入，"
              "与学生顺序无关）；按 Ebel 标准 D 低于 0.2 需关注。另给出题总相关与校正的题总相关（小题得分与其余小题"
              "总分的相关系数）。"),
    ("测量标准误", "SEM = 总分标准差 × √(1 − α)。"),
    ("百分等级", "本组（班级、学校、学区）中分数低于本人的学生占比，同分者（含本人）算一半。"),
    ("信度", "Cronbach α = k/(k−1)·(1 − Σ小题方差/总分方差)。"),
    ("缺考", "成绩为空或填“缺考”、没有该科成绩、或考勤表标为缺考的应考学生为缺考；免考学生不计入应考。"
            "各项比率与平均分只按实考学生计算，同时列出应考、实考、缺考人数与参考率，缺考学生逐一列出。"),
    ("提高率", "与同一届学生上一次联考比较：两次均参考的学生中，本次标准分 Z 高于按其上次成绩（本科 Z、总分 Z 与"
              "所在班级上次平均 Z 的回归）预期的 Z 的学生所占比例；什么都没变时各班都约为 50%，不因上次成绩好坏而偏。"
              "两次均参考人数不足 5 人的班级不计。同时给出平均增值与平均标准分变化。"),
    ("临界生", "得分低于优秀线、及格线（及附加分数线）但差距在满分 5% 以内的学生，按班级和任课教师列出；"
            "下次考试统计其中达到该线的比例（转化率）。"),
    ("统一考核", "班级/教师考核分 = 100 × (w1·优秀率 + w2·及格率 + w3·提高率) ÷ (w1 + w2 + w3)，各校权重相同，"
              "同一次考试所有班级用同一公式；教师按所教全部班级的学生合并计算；参考人数不足 10 人的班级和教师列出但不排名。"),
    ("捆绑评价", "师徒所教班级在一学年四次质量检测中的班级考核分之和；师傅及其全部徒弟组成的组合合计后排名。"),
]
METHODS_EN = [
    ("Excellent / pass / low rate", "Share of students scoring ≥ 85% / ≥ 60% / < 40% of full marks (policy)."),
    ("Score rate", "Mean ÷ full marks."),
    ("Standard deviation", "Population SD (the candidates are the whole population)."),
    ("Standard scores", "z = (score − mean of all) ÷ SD of all; T = 50 + 10z, over every student analysed."),
    ("Above-mean rate", "(group mean − reference mean) ÷ reference mean; classes and schools against their cluster, "
                        "clusters against all."),
    ("Ranks", "Ties share the best rank (1, 2, 2, 4); students within class, school, cluster and all; groups by "
              "mean within their cluster."),
    ("Total", "Only students who sat every subject have a total."),
    ("Score bands", "Bands of full marks, lower bound included, upper excluded; the top band includes full marks."),
    ("One-point segments", "Students in each [s, s+1), and the cumulative count of those scoring ≥ s."),
    ("Difficulty", "Item mean ÷ item max (higher is easier); below 0.2 too hard, above 0.9 too easy."),
    ("Discrimination", "D = upper-group rate − lower-group rate (top and bottom 27% on the paper total; students "
                       "tied at a cut share its places, so no order matters); below 0.2 is flagged (Ebel). Also the "
                       "item–total r and the corrected item–total r (item against the total of the other items)."),
    ("SEM", "Standard error of measurement = SD of the total × √(1 − α)."),
    ("Percentile", "Share of the group (class, school, cluster) scoring below the student, ties (oneself "
                   "included) counting half."),
    ("Reliability", "Cronbach's α = k/(k−1)·(1 − Σ item variances ÷ total variance)."),
    ("Absent", "An expected student with empty or 缺考 score cells, no score row of the paper, or absent in the "
               "attendance file; exempt students are not expected. Rates and means are over those who sat; the "
               "expected, sat and absent counts and the participation rate stand beside them, and absentees are "
               "listed by name."),
    ("Improvement rate", "Against the cohort's previous joint exam: among students who sat both, the share whose z "
                         "is above what their previous results predict (a regression on the previous subject z, total "
                         "z and class mean z); about 50% in every class when nothing changed, whatever its previous "
                         "level. Left empty for groups with fewer than 5 such students; the mean value added and the "
                         "change of mean z are given too."),
    ("Borderline students", "Students below the excellent or pass line (or an extra line) by less than 5% of full "
                            "marks, listed by class and teacher; the next exam counts how many reached the line "
                            "(conversion rate)."),
    ("Unified assessment", "Class and teacher score = 100 × (w1·excellent + w2·pass + w3·improvement) ÷ (w1+w2+w3), "
                           "the same weights for every school and one formula for every class of an exam; a teacher "
                           "pools the students of all their classes; classes and teachers with fewer than 10 students "
                           "are shown but not ranked."),
    ("Bundled evaluation", "Sum of the class scores of a mentor's and an apprentice's classes over the year's four "
                           "quality tests; a mentor with all their apprentices forms a group, ranked by its total."),
]


def all_tables(analysis: ExamAnalysis, lang: str, with_students: bool) -> dict[str, pd.DataFrame]:
    """Every report table by sheet key (labels.SHEETS), in workbook order."""
    names = Namer(analysis, lang)
    tables = {
        "overview": overview(analysis, names),
        "papers": papers(analysis, names),
        "cluster_summary": cluster_summary(analysis, names),
        "school_summary": school_summary(analysis, names),
        "class_summary": class_summary(analysis, names),
        "bands": bands_wide(analysis, names),
        "segments": segments(analysis, names),
        "items": items(analysis, names),
        "item_by_school": item_by_school(analysis, names),
        "gaps": gaps(analysis, names),
    }
    if len(analysis.options):
        tables["options"] = options(analysis, names)
    if analysis.has_previous:
        tables["vertical"] = vertical(analysis, names)
    tables["class_assessment"] = class_assessment(analysis, names)
    tables["teacher_assessment"] = teacher_assessment(analysis, names)
    if with_students:
        tables["students"] = students(analysis, names)
    tables["methods"] = methods(lang)
    return tables


def localise_headers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return frame.rename(columns={c: L.column(c, lang) for c in frame.columns})


def is_rate(column: str) -> bool:
    return column in RATE_COLUMNS


def as_float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan
