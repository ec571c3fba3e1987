"""The proposal as files: the bundle's clusters.csv and schools.csv (cluster_id and is_lead proposed),
a table of the clusters by name, the comparison with today's clusters, and the summary a person reads.

`proposal_tables` replaces two tables of the district's bundle and keeps every other one as it was,
so `bundle.io.write_bundle` writes a bundle `xuequ import` accepts: today's clusters that no proposed
cluster continues stay in clusters.csv without schools (an import would otherwise delete a cluster
that exams, policies and accounts may still name).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from domain.labels import label

from ..cpsat import Explanation
from .inputs import FormationInput
from .measures import ComparisonRow, Measures
from .results import FormationPlan, FormationResult

SUMMARY_FILE = "学区划分方案说明.md"
SUMMARY_FILE_EN = "formation_summary.md"


def proposal_tables(tables: Mapping[str, pd.DataFrame], plan: FormationPlan) -> dict[str, pd.DataFrame]:
    """The district's tables with clusters and schools as proposed (every other table unchanged)."""
    out = dict(tables)
    names = [(c.cluster_id, c.name) for c in plan.clusters]
    today = tables.get("clusters")
    if today is not None and len(today):
        kept = dict(zip(today["cluster_id"].astype(str), today["name"].astype(str)))
        names += [(cid, kept.get(cid, cid)) for cid in plan.retired]
    out["clusters"] = pd.DataFrame(names, columns=["cluster_id", "name"], dtype=object)
    schools = tables["schools"].copy()
    cluster_of = plan.cluster_of()
    leads = plan.leads()
    ids = schools["school_id"].astype(str)
    schools["cluster_id"] = [cluster_of[s] for s in ids]
    schools["is_lead"] = [s in leads for s in ids]
    out["schools"] = schools
    return out


def clusters_frame(plan: FormationPlan, data: FormationInput, measures: Measures, *, lang: str = "zh"
                   ) -> pd.DataFrame:
    """One row per proposed cluster, by name: lead, size, mix, students, farthest member, members."""
    by_id = data.by_id()
    rows = []
    for cluster, m in zip(plan.clusters, measures.clusters):
        members = [by_id[s].name for s in cluster.school_ids if s != cluster.lead_id]
        rows.append({
            ("学区" if lang == "zh" else "cluster"): cluster.name,
            ("学区编号" if lang == "zh" else "cluster_id"): cluster.cluster_id,
            ("学区长学校" if lang == "zh" else "lead school"): by_id[cluster.lead_id].name,
            ("学校数" if lang == "zh" else "schools"): m.schools,
            ("优质/一般/薄弱" if lang == "zh" else "quality/ordinary/weak"): f"{m.quality}/{m.ordinary}/{m.weak}",
            ("城区/乡镇/农村" if lang == "zh" else "urban/township/rural"): f"{m.urban}/{m.township}/{m.rural}",
            ("学生数" if lang == "zh" else "students"): m.students,
            ("最远（公里）" if lang == "zh" else "farthest km"): round(m.km_max or 0.0, 1),
            ("成员学校" if lang == "zh" else "members"): ("、" if lang == "zh" else ", ").join(members),
        })
    return pd.DataFrame(rows)


def comparison_frame(rows: Sequence[ComparisonRow], *, lang: str = "zh") -> pd.DataFrame:
    better = {"proposal": ("方案更好", "proposal"), "today": ("现状更好", "today"), "same": ("相同", "same"), "none": ("–", "–")}
    return pd.DataFrame([{("指标" if lang == "zh" else "measure"): r.label(lang),
                          ("现有学区" if lang == "zh" else "today"): r.today,
                          ("方案" if lang == "zh" else "proposal"): r.proposal,
                          ("比较" if lang == "zh" else "better"): better[r.better][0 if lang == "zh" else 1]}
                         for r in rows])


def _table(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "｜").replace("\n", " ")

    head = "| " + " | ".join(map(cell, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


COUNT_SOURCE = {"asked": ("本次指定", "asked for this run"), "policy": ("政策 size.clusters", "policy size.clusters"),
                "today": ("沿用现有学区个数", "today's number"), "target": ("按每区目标学校数", "by the target size")}


def explanation_lines(explanations: Sequence[Explanation], lang: str) -> list[str]:
    lines = []
    for e in explanations:
        key = f"（政策项 {e.policy_key}）" if lang == "zh" and e.policy_key else (
            f" (policy key {e.policy_key})" if e.policy_key else "")
        proof = "" if e.exact else ("［未经计数证明］" if lang == "zh" else " [not proved by a count]")
        lines.append(f"- {e.text(lang)}{key}{proof}")
    return lines


def summary_markdown(result: FormationResult, data: FormationInput, rows: Sequence[ComparisonRow],
                     clusters: pd.DataFrame, *, policy: str = "", lang: str = "zh") -> str:
    """The proposal for a person: Chinese by default, names not ids."""
    zh = lang == "zh"
    by_id = data.by_id()
    source = COUNT_SOURCE.get(result.stats.get("count_source", ""), ("", ""))[0 if zh else 1]
    status = label("solver_status", result.status, lang) if result.status != "GREEDY" else \
        label("plan_status", "greedy", lang)
    regions = result.stats.get("regions")
    lines = ["# 学区划分方案（建议）" if zh else "# Proposed clusters", ""]
    facts = (f"{len(data.schools)} 所学校分为 {len(result.plan.clusters)} 个学区（{source}）；求解：{status}，"
             f"{result.solve_seconds:.1f} 秒" if zh else
             f"{len(data.schools)} schools in {len(result.plan.clusters)} clusters ({source}); solver: {status}, "
             f"{result.solve_seconds:.1f} s")
    if regions:
        facts += (f"；按地理分 {regions} 片分别求解" if zh else f"; solved in {regions} regions by geography")
    lines += [facts + ("。" if zh else "."), ""]
    if policy:
        lines += [policy, ""]
    lines += ["## 与现有学区比较" if zh else "## Beside today's clusters", "", _table(_comparison(rows, lang)), ""]
    lines += ["## 方案中的学区" if zh else "## The proposed clusters", "", _table(clusters), ""]
    if result.explanations:
        lines += ["## 未能满足的规则及原因" if zh else "## Rules the proposal cannot keep, and why", ""]
        lines += explanation_lines(result.explanations, lang)
        lines.append("")
    else:
        lines += ["政策的各项规则全部满足。" if zh else "The proposal keeps every rule of the policy.", ""]
    if result.plan.retired:
        names = {c.cluster_id: c.name for c in data.clusters}
        retired = ("、" if zh else ", ").join(names.get(c, c) for c in result.plan.retired)
        lines += [(f"现有学区 {retired} 在方案中不再有学校；clusters.csv 保留其编号（联考、政策、账户可能引用），"
                   "确认不再需要后可在下次导入时删去。") if zh else
                  (f"Today's {retired} keep(s) no school in the proposal; clusters.csv keeps the id (exams, policies "
                   "and accounts may name it); leave it out of a later import once it is no longer needed."), ""]
    moved = [s for s in data.schools if s.cluster_id and s.cluster_id != result.plan.cluster_of()[s.school_id]]
    if moved:
        shown = ("、" if zh else ", ").join(by_id[s.school_id].name for s in moved[:20])
        more = len(moved) - min(20, len(moved))
        lines += [(f"换学区的学校 {len(moved)} 所：{shown}" + (" 等" if more else "") + "。") if zh else
                  (f"{len(moved)} school(s) change cluster: {shown}" + (" …" if more else "") + "."), ""]
    lines += [("导入：`xuequ import 本文件夹` 更新学校的学区（cluster_id）和学区长学校（is_lead）；"
               "其余文件与导出时相同。") if zh else
              "Import: `xuequ import THIS_FOLDER` updates the schools' cluster_id and is_lead; every other file is "
              "as exported.", ""]
    return "\n".join(lines)


def _comparison(rows: Sequence[ComparisonRow], lang: str) -> pd.DataFrame:
    return comparison_frame(rows, lang=lang)
