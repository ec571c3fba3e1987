"""Each school's analysis report (学校质量分析报告): 现状分析 (state), 差异差距 (differences and gaps
against the cluster) and 整改措施 (corrective measures), pre-filled with the school's numbers and
left for the school to complete (DOMAIN.md: "each school's analysis report … is published to the
cluster")."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import labels as L
from analysis.pipeline import ExamAnalysis
from analysis.report_tables import Namer, format_cell
from analysis.stats import TOTAL

# a subject is a gap when it trails the cluster by more than this (超均率) or by these rate points
GAP_ABOVE_MEAN = -0.02
GAP_RATE_POINTS = 0.05


@dataclass
class SchoolReport:
    school_id: str
    name: str
    cluster_id: str
    lang: str
    state: pd.DataFrame  # one row per subject (+ total): the school against its cluster
    classes: pd.DataFrame  # one row per class (total)
    gap_lines: list[str]  # 差异差距 sentences
    weak_items: pd.DataFrame  # items with the largest negative score-rate gap
    problems: list[str]  # one line per gap, the first column of the 整改措施 table
    title: str

    def to_markdown(self) -> str:
        zh = self.lang == "zh"
        out = [f"# {self.title}", ""]
        out += ["## 一、现状分析" if zh else "## 1. Current state", "", _markdown_table(self.state, self.lang), ""]
        if len(self.classes):
            heading = "各班总分" if zh else "Classes (total)"
            out += [f"**{heading}**", "", _markdown_table(self.classes, self.lang), ""]
        out += ["## 二、差异差距" if zh else "## 2. Differences and gaps", ""]
        out += [f"- {line}" for line in self.gap_lines] or ["- —"]
        if len(self.weak_items):
            out += ["", "**" + ("得分率差距最大的小题" if zh else "Items furthest below the cluster") + "**", "",
                    _markdown_table(self.weak_items, self.lang)]
        out += ["", "## 三、整改措施" if zh else "## 3. Corrective measures", ""]
        out += [("（以下问题由数据自动列出，措施、责任人与完成时间请学校填写。）" if zh else
                 "(The problems are listed from the data; the school fills in measures, owners and dates.)"), ""]
        header = ["问题", "措施", "责任人", "完成时间"] if zh else ["Problem", "Measure", "Owner", "Due"]
        out += ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
        out += [f"| {p} |  |  |  |" for p in self.problems] or ["|  |  |  |  |"]
        out += ["| " + ("（其他）" if zh else "(other)") + " |  |  |  |", ""]
        return "\n".join(out)


def _fmt(column: str, value) -> str:
    return format_cell(column, value).replace("|", "/")


def _markdown_table(frame: pd.DataFrame, lang: str) -> str:
    header = "| " + " | ".join(L.column(c, lang) for c in frame.columns) + " |"
    rows = ["| " + " | ".join(_fmt(c, v) for c, v in zip(frame.columns, row)) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, "|" + "---|" * len(frame.columns), *rows])


def school_reports(analysis: ExamAnalysis, lang: str = "zh") -> list[SchoolReport]:
    names = Namer(analysis, lang)
    return [_school_report(analysis, names, row.school_id, row.cluster_id) for row in analysis.schools.itertuples()]


def _school_report(analysis: ExamAnalysis, names: Namer, school_id: str, cluster_id: str) -> SchoolReport:
    lang = names.lang
    zh = lang == "zh"
    s = analysis.summary
    mine = s[(s["level"] == "school") & (s["group_id"] == school_id)]
    cluster = s[(s["level"] == "cluster") & (s["group_id"] == cluster_id)].set_index("subject")
    order = {x: i for i, x in enumerate([*analysis.subjects, TOTAL])}
    mine = mine.assign(_o=mine["subject"].map(order)).sort_values("_o")
    state = pd.DataFrame({
        "subject": mine["subject"].map(names.subject).to_numpy(),
        "students": mine["students"].to_numpy(),
        "mean": mine["mean"].to_numpy(),
        "ref_mean": mine["ref_mean"].to_numpy(),
        "above_mean_rate": mine["above_mean_rate"].to_numpy(),
        "excellent_rate": mine["excellent_rate"].to_numpy(),
        "pass_rate": mine["pass_rate"].to_numpy(),
        "low_rate": mine["low_rate"].to_numpy(),
        "rank": [f"{r}/{p}" for r, p in zip(mine["rank"], mine["peers"])],
    })
    state = state.rename(columns={"ref_mean": "cluster_mean"})
    state["cluster_excellent_rate"] = cluster.reindex(mine["subject"])["excellent_rate"].to_numpy()
    state["cluster_pass_rate"] = cluster.reindex(mine["subject"])["pass_rate"].to_numpy()
    state["cluster_low_rate"] = cluster.reindex(mine["subject"])["low_rate"].to_numpy()
    if analysis.has_previous:
        state["improvement_rate"] = mine["improvement_rate"].to_numpy()
    state = state[[c for c in ("subject", "students", "mean", "cluster_mean", "above_mean_rate", "excellent_rate",
                               "cluster_excellent_rate", "pass_rate", "cluster_pass_rate", "low_rate",
                               "cluster_low_rate", "rank", "improvement_rate") if c in state]]

    cls = s[(s["level"] == "class") & (s["school_id"] == school_id) & (s["subject"] == TOTAL)].sort_values("group_id")
    classes = pd.DataFrame({"class_name": cls["group_id"].map(names.class_).to_numpy(),
                            "students": cls["students"].to_numpy(),
                            "mean": cls["mean"].to_numpy(), "mean_diff": cls["mean_diff"].to_numpy(),
                            "excellent_rate": cls["excellent_rate"].to_numpy(),
                            "pass_rate": cls["pass_rate"].to_numpy(), "low_rate": cls["low_rate"].to_numpy(),
                            "rank": [f"{r}/{p}" for r, p in zip(cls["rank"], cls["peers"])],
                            "rank_in_school": cls["rank_in_school"].to_numpy()})
    if analysis.has_previous:
        classes["improvement_rate"] = cls["improvement_rate"].to_numpy()

    gap_lines, problems = _gaps(analysis, names, mine, cls)
    n = analysis.policy.gap_items_per_subject
    items = analysis.item_by_school[analysis.item_by_school["school_id"] == school_id]
    weak = items[items["gap"] < 0].sort_values("gap").groupby("subject", sort=False).head(n)
    weak = weak.assign(_o=weak["subject"].map(order)).sort_values(["_o", "gap"])
    weak_items = pd.DataFrame({"subject": weak["subject"].map(names.subject).to_numpy(),
                               "number": [names.question(s, x) for s, x in zip(weak["subject"], weak["item_id"])],
                               "score_rate": weak["score_rate"].to_numpy(),
                               "cluster_score_rate": weak["cluster_score_rate"].to_numpy(),
                               "gap": weak["gap"].to_numpy()})
    worst_items = weak[weak["gap"] <= -GAP_RATE_POINTS]
    for subject, part in worst_items.groupby("subject", sort=False):
        listed = [(names.question(subject, i), -g * 100) for i, g in zip(part["item_id"].head(3), part["gap"].head(3))]
        if zh:
            problems.append(f"{names.subject(subject)}小题得分率低于学区：" +
                            "、".join(f"{i}（{g:.1f} 个百分点）" for i, g in listed))
        else:
            problems.append(f"{names.subject(subject)} items below the cluster: " +
                            ", ".join(f"{i} ({g:.1f} points)" for i, g in listed))
    name = names.school(school_id)
    title = (f"{name} · {analysis.exam_id} {L.text('school_report', lang)}" if zh else
             f"{name} · {analysis.exam_id} {L.text('school_report', lang)}")
    return SchoolReport(school_id, name, cluster_id, lang, state, classes, gap_lines, weak_items, problems, title)


def _gaps(analysis: ExamAnalysis, names: Namer, mine: pd.DataFrame,
          classes: pd.DataFrame) -> tuple[list[str], list[str]]:
    zh = names.lang == "zh"
    lines: list[str] = []
    problems: list[str] = []
    for row in mine.itertuples(index=False):
        subject = names.subject(row.subject)
        direction = ("高于" if row.mean_diff >= 0 else "低于") if zh else ("above" if row.mean_diff >= 0 else "below")
        if zh:
            line = (f"{subject}：平均分{direction}学区 {abs(row.mean_diff):.1f} 分（超均率 {row.above_mean_rate:+.1%}），"
                    f"优秀率差 {row.excellent_rate_diff * 100:+.1f} 个百分点，及格率差 {row.pass_rate_diff * 100:+.1f} 个百分点，"
                    f"低分率差 {row.low_rate_diff * 100:+.1f} 个百分点，学区第 {row.rank}/{row.peers} 名")
        else:
            line = (f"{subject}: mean {abs(row.mean_diff):.1f} {direction} the cluster (above-mean rate "
                    f"{row.above_mean_rate:+.1%}), excellent {row.excellent_rate_diff * 100:+.1f} points, pass "
                    f"{row.pass_rate_diff * 100:+.1f} points, low {row.low_rate_diff * 100:+.1f} points; rank "
                    f"{row.rank} of {row.peers}")
        if analysis.has_previous and not np.isnan(row.improvement_rate):
            line += (f"；提高率 {row.improvement_rate:.1%}，平均标准分变化 {row.mean_z_change:+.2f}" if zh else
                     f"; improvement rate {row.improvement_rate:.1%}, mean z change {row.mean_z_change:+.2f}")
        lines.append(line + ("。" if zh else "."))
        if row.above_mean_rate < GAP_ABOVE_MEAN:
            problems.append(f"{subject}平均分低于学区 {abs(row.mean_diff):.1f} 分" if zh else
                            f"{subject}: mean {abs(row.mean_diff):.1f} below the cluster")
        if row.pass_rate_diff < -GAP_RATE_POINTS:
            problems.append(f"{subject}及格率低于学区 {-row.pass_rate_diff * 100:.1f} 个百分点" if zh else
                            f"{subject}: pass rate {-row.pass_rate_diff * 100:.1f} points below the cluster")
        if row.low_rate_diff > GAP_RATE_POINTS:
            problems.append(f"{subject}低分率高于学区 {row.low_rate_diff * 100:.1f} 个百分点" if zh else
                            f"{subject}: low rate {row.low_rate_diff * 100:.1f} points above the cluster")
        if row.excellent_rate_diff < -GAP_RATE_POINTS:
            problems.append(f"{subject}优秀率低于学区 {-row.excellent_rate_diff * 100:.1f} 个百分点" if zh else
                            f"{subject}: excellent rate {-row.excellent_rate_diff * 100:.1f} points below the cluster")
    behind = classes[classes["above_mean_rate"] < GAP_ABOVE_MEAN]
    if len(behind):
        ids = ("、" if zh else ", ").join(behind["group_id"].map(names.class_))
        lines.append(f"总分平均分低于学区的班级：{ids}。" if zh else f"Classes whose total mean is below the cluster: {ids}.")
        problems.append(f"班级 {ids} 总分平均分低于学区" if zh else f"classes {ids}: total mean below the cluster")
    return lines, problems
