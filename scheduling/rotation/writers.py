"""Pure writers of a rotation plan: rotation.csv rows, per-school Excel rosters, a summary.

`rotation_rows` follows FORMATS.md (`bundle.spec.EXPORT_COLUMNS["rotation"]`); the roster workbook
has one sheet per school with Chinese headers; `summary_frame` and `summary_markdown` give quota
attainment per school, the backbone share, distances, subsidy totals and unfilled posts.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from domain.labels import labels
from bundle.io import write_csv
from bundle.spec import EXPORT_COLUMNS
from bundle.xlsx import Sheet, write_workbook
from domain.vocab import SUBJECTS

from .inputs import RotationInput
from .policy import RotationPolicy
from .results import RotationPlan, RotationResult
from .rules import ceil_share, is_eligible, is_quota_sender

# FORMATS.md's columns, then ours (FORMATS allows more): the weekly hours of a part-time posting (跨校兼课).
ROTATION_COLUMNS = (*EXPORT_COLUMNS["rotation"], "hours_per_week")
KIND_ZH = labels("posting_kind")  # the words a school reads, from the one registry (domain/labels.py)
DIRECTION_ZH = labels("direction")
WEEKDAY_ZH = labels("weekday")

ROSTER_HEADERS: dict[str, tuple[str, str]] = {  # key → (中文表头, English header)
    "side": ("本校", "this school"), "teacher_id": ("教师编号", "teacher id"), "name": ("姓名", "name"),
    "kind": ("类别", "kind"), "direction": ("方向", "direction"), "from_school": ("派出学校", "from"),
    "to_school": ("接收学校", "to"), "subject": ("学科", "subject"), "grade": ("年级", "grade"),
    "start": ("开始日期", "start"), "end": ("结束日期", "end"), "backbone": ("骨干", "backbone"),
    "distance_km": ("距离（公里）", "distance (km)"), "subsidy": ("补助（元/月）", "subsidy (yuan/month)"),
    "apprentices": ("徒弟", "apprentices"), "weekday": ("每周交流日", "weekday"),
    "hours_per_week": ("每周课时", "hours/week"),
}


def _plan(plan_or_result: RotationPlan | RotationResult) -> RotationPlan:
    return plan_or_result.plan if isinstance(plan_or_result, RotationResult) else plan_or_result


def _months(start: dt.date, end: dt.date) -> int:
    """Months a posting is paid for: calendar months it touches."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def rotation_rows(plan_or_result: RotationPlan | RotationResult) -> list[dict[str, Any]]:
    """rotation.csv rows (FORMATS.md): teachers, then leaders' exchange months, then principals' months,
    then part-time postings (kind part_time, with hours_per_week; not rotations)."""
    plan = _plan(plan_or_result)
    apprentices: dict[str, list[str]] = defaultdict(list)
    for m in plan.mentoring:
        apprentices[m.mentor_id].append(m.apprentice_id)
    rows = []
    for p in plan.postings:
        rows.append({"teacher_id": p.teacher_id, "from_school_id": p.from_school_id, "to_school_id": p.to_school_id,
                     "kind": "teacher", "direction": p.direction, "start": p.start.isoformat(),
                     "end": p.end.isoformat(), "backbone": p.backbone, "distance_km": p.distance_km,
                     "subsidy_yuan_per_month": p.subsidy_yuan_per_month,
                     "mentor_of": ";".join(sorted(apprentices.get(p.teacher_id, []))), "weekday": None})
    for e in plan.leader_exchanges:
        rows.append({"teacher_id": e.teacher_id, "from_school_id": e.from_school_id, "to_school_id": e.to_school_id,
                     "kind": "leader", "direction": e.direction, "start": e.start.isoformat(), "end": e.end.isoformat(),
                     "backbone": e.backbone, "distance_km": e.distance_km,
                     "subsidy_yuan_per_month": e.subsidy_yuan_per_month, "mentor_of": "", "weekday": e.weekday})
    for month in plan.principal_months:
        rows.append({"teacher_id": month.teacher_id, "from_school_id": month.from_school_id,
                     "to_school_id": month.to_school_id,
                     "kind": "principal", "direction": month.direction, "start": month.start.isoformat(),
                     "end": month.end.isoformat(), "backbone": month.backbone, "distance_km": month.distance_km,
                     "subsidy_yuan_per_month": month.subsidy_yuan_per_month, "mentor_of": "", "weekday": None})
    for cover in plan.part_time:
        rows.append({"teacher_id": cover.teacher_id, "from_school_id": cover.from_school_id,
                     "to_school_id": cover.to_school_id,
                     "kind": "part_time", "direction": cover.direction, "start": cover.start.isoformat(),
                     "end": cover.end.isoformat(), "backbone": cover.backbone, "distance_km": cover.distance_km,
                     "subsidy_yuan_per_month": cover.subsidy_yuan_per_month, "mentor_of": "", "weekday": None,
                     "hours_per_week": cover.hours_per_week})
    for row in rows:
        row.setdefault("hours_per_week", None)
    return rows


def rotation_frame(plan_or_result: RotationPlan | RotationResult) -> pd.DataFrame:
    return pd.DataFrame(rotation_rows(plan_or_result), columns=list(ROTATION_COLUMNS))


def write_rotation_csv(plan_or_result: RotationPlan | RotationResult, path: Path | str) -> Path:
    """Write rotation.csv (UTF-8 with BOM, contract column order, 1/0 booleans)."""
    return write_csv(rotation_frame(plan_or_result), Path(path), ROTATION_COLUMNS)


def roster_frames(plan_or_result: RotationPlan | RotationResult, data: RotationInput,
                  lang: str = "zh") -> dict[str, pd.DataFrame]:
    """One roster table per school (everyone it sends and receives), headers in the language asked."""
    plan = _plan(plan_or_result)
    schools = {s.school_id: s for s in data.schools}
    teachers = {t.teacher_id: t for t in data.teachers}
    apprentices: dict[str, list[str]] = defaultdict(list)
    for m in plan.mentoring:
        apprentices[m.mentor_id].append(m.apprentice_id)
    zh = lang == "zh"

    def name(teacher_id: str) -> str:
        t = teachers.get(teacher_id)
        return t.name if t else teacher_id

    def school(school_id: str) -> str:
        s = schools.get(school_id)
        return s.name if s else school_id

    entries: list[dict[str, Any]] = []
    for p in plan.postings:
        entries.append({"teacher_id": p.teacher_id, "kind": "teacher", "direction": p.direction,
                        "from_school": p.from_school_id, "to_school": p.to_school_id,
                        "subject": p.subject, "grade": p.grade, "start": p.start, "end": p.end,
                        "backbone": p.backbone, "distance_km": p.distance_km, "subsidy": p.subsidy_yuan_per_month,
                        "apprentices": "、".join(name(a) for a in sorted(apprentices.get(p.teacher_id, []))),
                        "weekday": None})
    for e in plan.leader_exchanges:
        entries.append({"teacher_id": e.teacher_id, "kind": "leader", "direction": e.direction,
                        "from_school": e.from_school_id, "to_school": e.to_school_id,
                        "subject": teachers[e.teacher_id].subject if e.teacher_id in teachers else "", "grade": None,
                        "start": e.start, "end": e.end, "backbone": e.backbone, "distance_km": e.distance_km,
                        "subsidy": e.subsidy_yuan_per_month, "apprentices": "", "weekday": e.weekday})
    for month in plan.principal_months:
        entries.append({"teacher_id": month.teacher_id, "kind": "principal", "direction": month.direction,
                        "from_school": month.from_school_id, "to_school": month.to_school_id, "subject": "",
                        "grade": None, "start": month.start, "end": month.end, "backbone": month.backbone,
                        "distance_km": month.distance_km,
                        "subsidy": month.subsidy_yuan_per_month, "apprentices": "", "weekday": None})
    for cover in plan.part_time:
        entries.append({"teacher_id": cover.teacher_id, "kind": "part_time", "direction": cover.direction,
                        "from_school": cover.from_school_id, "to_school": cover.to_school_id, "subject": cover.subject,
                        "grade": cover.grade, "start": cover.start, "end": cover.end, "backbone": cover.backbone,
                        "distance_km": cover.distance_km, "subsidy": cover.subsidy_yuan_per_month, "apprentices": "",
                        "weekday": None, "hours_per_week": cover.hours_per_week})
    for entry in entries:
        entry.setdefault("hours_per_week", None)
    frames: dict[str, pd.DataFrame] = {}
    for s in sorted(data.schools, key=lambda s: s.school_id):
        rows = []
        for entry in entries:
            for side, key in (("out", "from_school"), ("in", "to_school")):
                if entry[key] != s.school_id:
                    continue
                row = dict(entry)
                row["side"] = ("派出" if side == "out" else "接收") if zh else side
                row["name"] = name(entry["teacher_id"])
                row["from_school"] = school(entry["from_school"])
                row["to_school"] = school(entry["to_school"])
                if zh:
                    row["kind"] = KIND_ZH[entry["kind"]]
                    row["direction"] = DIRECTION_ZH.get(entry["direction"], entry["direction"])
                    row["subject"] = SUBJECTS.get(entry["subject"], entry["subject"])
                    row["backbone"] = "是" if entry["backbone"] else ""
                    row["weekday"] = WEEKDAY_ZH.get(entry["weekday"], "") if entry["weekday"] else ""
                rows.append(row)
        frame = pd.DataFrame(rows, columns=list(ROSTER_HEADERS))
        frame = frame.sort_values(["side", "kind", "start", "teacher_id"], kind="stable") if len(frame) else frame
        frames[s.school_id] = frame.rename(columns={k: v[0 if zh else 1] for k, v in ROSTER_HEADERS.items()})
    return frames


def write_school_rosters_xlsx(plan_or_result: RotationPlan | RotationResult, data: RotationInput, path: Path | str,
                              *, policy: RotationPolicy | None = None, lang: str = "zh") -> Path:
    """One workbook: a summary sheet (汇总), then a roster sheet per school named after it."""
    path = Path(path)
    frames = roster_frames(plan_or_result, data, lang)
    summary = summary_frame(plan_or_result, data, policy, lang=lang)
    names = {s.school_id: s.name for s in data.schools}
    sheets = [Sheet("汇总" if lang == "zh" else "summary", summary)]
    sheets += [Sheet(names.get(school_id, school_id), frame) for school_id, frame in frames.items()]
    write_workbook(path, sheets)
    return path


# --- summary ------------------------------------------------------------------------------------

SUMMARY_HEADERS: dict[str, tuple[str, str]] = {
    "school_id": ("学校编号", "school_id"), "name": ("学校", "name"), "cluster_id": ("学区", "cluster_id"),
    "quota_sender": ("承担比例", "quota_sender"), "eligible": ("符合条件", "eligible"),
    "required": ("应交流", "required"), "rotated_out": ("交流出", "rotated_out"),
    "support_out": ("支教", "support_out"), "learn_out": ("跟岗", "learn_out"),
    "attainment": ("完成率", "attainment"), "backbone_out": ("骨干交流", "backbone_out"),
    "backbone_share": ("骨干占比", "backbone_share"), "received": ("接收", "received"),
    "posts": ("岗位需求", "posts"), "filled": ("已填补", "filled"), "unfilled": ("空缺", "unfilled"),
    "mean_km": ("平均距离", "mean_km"), "max_km": ("最远距离", "max_km"),
    "subsidy_per_month": ("月补助合计", "subsidy_per_month"), "subsidy_total": ("补助总额", "subsidy_total"),
    "leader_exchanges": ("干部交流人次", "leader_exchanges"), "principal_months": ("校长交流月", "principal_months"),
    "part_time_in": ("兼课", "part_time_in"),
}


def summary_frame(plan_or_result: RotationPlan | RotationResult, data: RotationInput,
                  policy: RotationPolicy | None = None, *, lang: str = "en") -> pd.DataFrame:
    """Quota attainment, backbone share, distances, subsidies and unfilled posts, per school.

    Columns are the English keys of `SUMMARY_HEADERS` (lang="en") or their Chinese headers ("zh").
    Subsidies are those paid to the school's outgoing people; the total multiplies by the months
    of each posting.
    """
    policy = policy or RotationPolicy()
    plan = _plan(plan_or_result)
    out_by: dict[str, list] = defaultdict(list)
    in_by: dict[str, list] = defaultdict(list)
    for p in plan.postings:
        out_by[p.from_school_id].append(p)
        in_by[p.to_school_id].append(p)
    leader_count: dict[str, int] = defaultdict(int)
    leader_money: dict[str, float] = defaultdict(float)
    for e in plan.leader_exchanges:
        leader_count[e.from_school_id] += 1
        leader_money[e.from_school_id] += e.subsidy_yuan_per_month
    principal_count: dict[str, int] = defaultdict(int)
    principal_money: dict[str, float] = defaultdict(float)
    for month in plan.principal_months:
        principal_count[month.from_school_id] += 1
        principal_money[month.from_school_id] += month.subsidy_yuan_per_month
    part_in: dict[str, int] = defaultdict(int)
    for cover in plan.part_time:
        part_in[cover.to_school_id] += 1
    posts: dict[str, int] = defaultdict(int)
    for n in data.needs:
        posts[n.school_id] += n.posts
    by_school_teachers: dict[str, list] = defaultdict(list)
    for t in data.teachers:
        by_school_teachers[t.school_id].append(t)
    rows = []
    for s in sorted(data.schools, key=lambda s: s.school_id):
        eligible = sum(1 for t in by_school_teachers[s.school_id] if is_eligible(t, data.school_year, policy))
        sender = is_quota_sender(s, policy)
        required = ceil_share(policy.quota.min_fraction, eligible) if sender else 0
        going = out_by.get(s.school_id, [])
        coming = in_by.get(s.school_id, [])
        distances = [p.distance_km for p in going]
        monthly = sum(p.subsidy_yuan_per_month for p in going)
        total = sum(p.subsidy_yuan_per_month * _months(p.start, p.end) for p in going)
        total += leader_money[s.school_id] + principal_money[s.school_id]
        backbone = sum(1 for p in going if p.backbone)
        filled = min(len(coming), posts[s.school_id])
        rows.append({
            "school_id": s.school_id, "name": s.name, "cluster_id": s.cluster_id, "quota_sender": sender,
            "eligible": eligible, "required": required, "rotated_out": len(going),
            "support_out": sum(1 for p in going if p.direction == "support"),
            "learn_out": sum(1 for p in going if p.direction == "learn"),
            "attainment": (len(going) / required) if required else None,
            "backbone_out": backbone, "backbone_share": (backbone / len(going)) if going else None,
            "received": len(coming), "posts": posts[s.school_id], "filled": filled,
            "unfilled": posts[s.school_id] - filled,
            "mean_km": round(sum(distances) / len(distances), 1) if distances else None,
            "max_km": max(distances) if distances else None,
            "subsidy_per_month": monthly, "subsidy_total": round(total),
            "leader_exchanges": leader_count[s.school_id], "principal_months": principal_count[s.school_id],
            "part_time_in": part_in[s.school_id],
        })
    frame = pd.DataFrame(rows, columns=list(SUMMARY_HEADERS))
    if lang == "zh":
        frame = frame.rename(columns={k: v[0] for k, v in SUMMARY_HEADERS.items()})
    return frame


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if pct:
        return f"{value * 100:.0f}%"
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def summary_markdown(result: RotationResult, data: RotationInput, policy: RotationPolicy | None = None, *,
                     lang: str | None = None, reached: Any = None, ceiling: Any = None) -> str:
    """The summary as Markdown for the terminal and a Prefect artifact: headline, table, reasons.
    `reached` and `ceiling` (scheduling.rotation.attainment) add what the roster reaches and what the
    hard rules alone allow."""
    lang = lang or result.lang
    zh = lang == "zh"
    policy = policy or RotationPolicy()
    frame = summary_frame(result, data, policy, lang="en")
    plan = result.plan
    going = len(plan.postings)
    backbone = sum(1 for p in plan.postings if p.backbone)
    mean_km = (sum(p.distance_km for p in plan.postings) / going) if going else None
    monthly = sum(p.subsidy_yuan_per_month for p in plan.postings)
    unfilled = sum(s.unfilled for s in result.shortfalls)
    gap = result.gap
    lines = []
    title = f"# 交流轮岗方案 {data.school_year}–{data.school_year + 1}" if zh else \
        f"# Exchange roster {data.school_year}–{data.school_year + 1}"
    if data.term:
        title += f"（第{data.term}学期）" if zh else f" (term {data.term})"
    lines.append(title)
    lines.append("")
    if zh:
        lines.append(f"- 状态：{result.status}；用时 {result.solve_seconds:.1f} 秒（{result.num_workers} 个线程）"
                     + (f"；与最优界差距 {gap * 100:.2f}%" if gap is not None else ""))
        lines.append(f"- 交流教师 {going} 人，其中骨干 {backbone} 人（{_fmt(backbone / going if going else None, True)}）；"
                     f"平均距离 {_fmt(round(mean_km, 1) if mean_km is not None else None)} 公里；"
                     f"每月补助合计 {monthly} 元")
        lines.append(f"- 师徒结对 {len(plan.mentoring)} 对；干部交流 {len(plan.leader_exchanges)} 人次；"
                     f"校长交流 {len(plan.principal_months)} 人")
        lines.append(f"- 空缺岗位 {unfilled} 个" + (f"；与原方案相比变动 {result.changed} 人" if result.changed is not None else ""))
        if plan.part_time:
            lines.append(f"- 跨校兼课 {len(plan.part_time)} 人（不算交流）")
    else:
        lines.append(f"- status: {result.status}; {result.solve_seconds:.1f} s on {result.num_workers} workers"
                     + (f"; gap to the proven bound {gap * 100:.2f}%" if gap is not None else ""))
        lines.append(f"- {going} teachers rotate, {backbone} backbone ({_fmt(backbone / going if going else None, True)}); "
                     f"mean distance {_fmt(round(mean_km, 1) if mean_km is not None else None)} km; "
                     f"subsidies {monthly} yuan a month")
        lines.append(f"- {len(plan.mentoring)} mentoring pairs; {len(plan.leader_exchanges)} leader exchange months; "
                     f"{len(plan.principal_months)} principal months")
        lines.append(f"- {unfilled} posts unfilled" + (f"; {result.changed} teachers changed from the previous plan"
                                                       if result.changed is not None else ""))
        if plan.part_time:
            lines.append(f"- {len(plan.part_time)} teachers teach part-time at a partner school (not rotations)")
    if reached is not None:
        lines.append(("- 完成情况：" if zh else "- attainment: ") + reached.line(lang))
        if ceiling is not None:
            lines.append(("- 硬性规则单独允许的上限：" if zh else "- the most the hard rules alone allow: ")
                         + ceiling.line(lang))
    if result.relaxed:
        lines.append("- 政策不能全部满足：本方案为尽力方案，未满足的规则及修改建议见下" if zh else
                     "- the policy cannot be met in full: this roster is best-effort; what it misses and what to "
                     "change are listed below")
    lines.append("")
    keys = ["school_id", "name", "eligible", "required", "rotated_out", "attainment", "backbone_share", "received",
            "unfilled", "mean_km", "subsidy_per_month"]
    headers = [SUMMARY_HEADERS[k][0 if zh else 1] for k in keys]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|" + "---|" * len(keys))
    for row in frame.to_dict("records"):
        cells = [_fmt(row[k], pct=k in ("attainment", "backbone_share")) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    if result.explanations:
        lines.append("")
        lines.append("## 不能同时满足的规则" if zh else "## Rules that cannot all hold")
        conflicts: dict[int, list] = defaultdict(list)
        for e in result.explanations:
            conflicts[e.conflict].append(e)
        for number, group in conflicts.items():
            lines.append(f"- {'冲突' if zh else 'conflict'} {number}:")
            lines += [f"  - {e.text(lang)}" for e in group]
        if result.relaxed:
            lines.append("")
            lines.append("以上冲突未解决前，本方案为尽力而为的方案，未满足的规则：" if zh else
                         "Until these conflicts are resolved the roster is best-effort; rules it breaks:")
            lines += [f"  - {key}: {'差' if zh else 'short by'} {amount}" for key, amount in
                      sorted(result.stats.get("broken", {}).items())]
            lines += [f"  - leaders {pair}: {'等待月份' if zh else 'waits in months'} "
                      f"{', '.join(str(m) for m in months)}" for pair, months in
                      sorted(result.stats.get("leader_waits", {}).items())]
    if result.shortfalls:
        lines.append("")
        lines.append("## 空缺岗位" if zh else "## Unfilled posts")
        lines += [f"- {s.message(lang)}" for s in result.shortfalls]
    return "\n".join(lines) + "\n"
