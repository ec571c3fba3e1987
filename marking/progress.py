"""Marking progress (阅卷进度) per item group and per marker, with careless-marker flags."""
from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy, load_policy
from marking.rules import ItemStandard
from models.marking import Marker, MarkingGroup, MarkingMark, MarkingScript, MarkingTask

GROUP_COLUMNS = ["subject", "item_group", "scripts", "final", "done_pct", "marks_done", "marks_needed",
                 "waiting_third", "waiting_arbitration", "leased", "markers", "median_seconds",
                 "marks_per_marker_hour", "agreement_rate", "third_rate", "arbitration_rate", "flagged_markers"]
MARKER_COLUMNS = ["teacher_id", "subject", "item_group", "role", "marks", "third_marks", "arbitrations",
                  "median_seconds", "marks_per_hour", "paired", "agreement_rate", "mean_deviation", "flagged",
                  "flag_reason"]


def _marks(session: Session, exam_id: str) -> pd.DataFrame:
    rows = session.execute(
        select(MarkingMark.script_id, MarkingMark.marker_id, MarkingMark.kind, MarkingMark.scores,
               MarkingMark.total, MarkingMark.seconds, MarkingScript.subject, MarkingScript.item_group)
        .join(MarkingScript, MarkingScript.script_id == MarkingMark.script_id)
        .where(MarkingMark.exam_id == exam_id)).tuples().all()
    return pd.DataFrame(rows, columns=["script_id", "marker_id", "kind", "scores", "total", "seconds", "subject",
                                       "item_group"])


def _group_items(session: Session, exam_id: str) -> dict[tuple[str, str], list[ItemStandard]]:
    return {(g.subject, g.item_group): [ItemStandard.from_dict(d) for d in g.items]
            for g in session.scalars(select(MarkingGroup).where(MarkingGroup.exam_id == exam_id))}


def _pairs(marks: pd.DataFrame, items: dict[tuple[str, str], list[ItemStandard]]) -> pd.DataFrame:
    """One row per marker per double-marked script: agreement with the partner and deviation."""
    regular = marks[marks["kind"].isin(["first", "second"])]
    columns = ["marker_id", "subject", "item_group", "agree", "deviation", "max_total"]
    if regular.empty:
        return pd.DataFrame(columns=columns)
    by_script: dict[str, list] = {}
    for row in regular.itertuples(index=False):
        by_script.setdefault(row.script_id, []).append(row)
    out = []
    for pair in by_script.values():
        if len(pair) != 2:
            continue
        standards = items.get((pair[0].subject, pair[0].item_group), [])
        agree = all(abs(float(pair[0].scores[i.item_id]) - float(pair[1].scores[i.item_id])) <= i.tolerance + 1e-9
                    for i in standards)
        max_total = sum(i.max_score for i in standards) or 1.0
        for me, partner in ((pair[0], pair[1]), (pair[1], pair[0])):
            out.append((me.marker_id, me.subject, me.item_group, agree, me.total - partner.total, max_total))
    return pd.DataFrame(out, columns=columns)


def marker_progress(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None) -> pd.DataFrame:
    """Per marker: marks, speed, agreement with the partner mark, mean deviation, careless flag."""
    policy = policy or load_policy()
    registered = session.execute(select(Marker.teacher_id, Marker.subject, Marker.item_group, Marker.role)
                                 .where(Marker.exam_id == exam_id)).tuples().all()
    marks = _marks(session, exam_id)
    pairs = _pairs(marks, _group_items(session, exam_id))
    rows = []
    for teacher, subject, group, role in registered:
        mine = marks[marks["marker_id"] == teacher]
        paired = pairs[pairs["marker_id"] == teacher]
        seconds = mine["seconds"].dropna()
        median = float(seconds.median()) if len(seconds) else math.nan
        agreement = float(paired["agree"].mean()) if len(paired) else math.nan
        deviation = float(paired["deviation"].mean()) if len(paired) else math.nan
        reasons = []
        if len(paired) >= policy.progress.min_paired_marks:
            if agreement < policy.progress.min_agreement:
                reasons.append(f"agreement {agreement:.0%} < {policy.progress.min_agreement:.0%}")
            max_total = float(paired["max_total"].iloc[0])
            if abs(deviation) > policy.progress.max_mean_deviation_share * max_total:
                reasons.append(("lenient" if deviation > 0 else "strict") + f" by {deviation:+.2f} on average")
        rows.append({"teacher_id": teacher, "subject": subject, "item_group": group, "role": role,
                     "marks": int(mine["kind"].isin(["first", "second"]).sum()),
                     "third_marks": int((mine["kind"] == "third").sum()),
                     "arbitrations": int((mine["kind"] == "arbitration").sum()),
                     "median_seconds": median,
                     "marks_per_hour": 3600.0 / float(seconds.mean()) if len(seconds) and seconds.mean() > 0
                     else math.nan,
                     "paired": int(len(paired)), "agreement_rate": agreement, "mean_deviation": deviation,
                     "flagged": bool(reasons), "flag_reason": "; ".join(reasons)})
    return pd.DataFrame(rows, columns=MARKER_COLUMNS)


def marking_progress(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None) -> pd.DataFrame:
    """Per item group: scripts, done %, waiting for third mark or arbitration, speed, agreement, flags."""
    policy = policy or load_policy()
    groups = session.execute(select(MarkingGroup.subject, MarkingGroup.item_group)
                             .where(MarkingGroup.exam_id == exam_id)
                             .order_by(MarkingGroup.subject, MarkingGroup.item_group)).tuples().all()
    scripts = pd.DataFrame(session.execute(
        select(MarkingScript.subject, MarkingScript.item_group, MarkingScript.status, MarkingScript.marks_needed,
               MarkingScript.marks_done, MarkingScript.agreed, MarkingScript.source)
        .where(MarkingScript.exam_id == exam_id)).tuples().all(),
        columns=["subject", "item_group", "status", "marks_needed", "marks_done", "agreed", "source"])
    leased = dict(((s, g), int(n)) for s, g, n in session.execute(
        select(MarkingTask.subject, MarkingTask.item_group, func.count())
        .where(MarkingTask.exam_id == exam_id, MarkingTask.state == "leased")
        .group_by(MarkingTask.subject, MarkingTask.item_group)).tuples().all())
    marker_counts = dict(((s, g), int(n)) for s, g, n in session.execute(
        select(Marker.subject, Marker.item_group, func.count()).where(Marker.exam_id == exam_id)
        .group_by(Marker.subject, Marker.item_group)).tuples().all())
    marks = _marks(session, exam_id)
    markers = marker_progress(session, exam_id, policy=policy)
    rows = []
    for subject, group in groups:
        mine = scripts[(scripts["subject"] == subject) & (scripts["item_group"] == group)]
        group_marks = marks[(marks["subject"] == subject) & (marks["item_group"] == group)]
        seconds = group_marks["seconds"].dropna()
        double = mine[mine["marks_needed"] == 2]
        decided = double[double["agreed"].notna()]
        n = len(mine)
        final = int((mine["status"] == "final").sum())
        group_markers = markers[(markers["subject"] == subject) & (markers["item_group"] == group)]
        rows.append({
            "subject": subject, "item_group": group, "scripts": n, "final": final,
            "done_pct": round(100.0 * final / n, 1) if n else 0.0,
            "marks_done": int(mine["marks_done"].sum()), "marks_needed": int(mine["marks_needed"].sum()),
            "waiting_third": int((mine["status"] == "third").sum()),
            "waiting_arbitration": int((mine["status"] == "arbitration").sum()),
            "leased": leased.get((subject, group), 0), "markers": marker_counts.get((subject, group), 0),
            "median_seconds": float(seconds.median()) if len(seconds) else math.nan,
            "marks_per_marker_hour": 3600.0 / float(seconds.mean()) if len(seconds) and seconds.mean() > 0
            else math.nan,
            "agreement_rate": float(decided["agreed"].astype(bool).mean()) if len(decided) else math.nan,
            "third_rate": float((~decided["agreed"].astype(bool)).mean()) if len(decided) else math.nan,
            "arbitration_rate": float(((mine["status"] == "arbitration") | mine["source"].isin(["arbitration", "closest"])).sum()
                                      / len(decided)) if len(decided) else math.nan,
            "flagged_markers": ", ".join(group_markers.loc[group_markers["flagged"], "teacher_id"]),
        })
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}" if not value.is_integer() else f"{value:.0f}"
    return str(value).replace("|", "\\|")


def _table(frame: pd.DataFrame, columns: list[str], headers: list[str]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in frame[columns].itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return lines


def progress_markdown(groups: pd.DataFrame, markers: pd.DataFrame | None = None, *, exam_id: str = "") -> str:
    """The progress report as Markdown (题组进度 and, if given, the flagged markers)."""
    frame = groups.copy()
    for column in ("agreement_rate", "third_rate", "arbitration_rate"):
        frame[column] = [f"{v:.0%}" if isinstance(v, float) and not math.isnan(v) else "–" for v in frame[column]]
    frame["done_pct"] = [f"{v:.1f}%" for v in frame["done_pct"]]
    lines = [f"# 阅卷进度 Marking progress {exam_id}".rstrip(), ""]
    lines += _table(frame, ["subject", "item_group", "scripts", "done_pct", "waiting_third", "waiting_arbitration",
                            "leased", "markers", "median_seconds", "agreement_rate", "third_rate",
                            "arbitration_rate"],
                    ["学科 subject", "题组 group", "答卷 scripts", "完成 done", "待三评 third", "待仲裁 arbitration",
                     "评阅中 leased", "教师 markers", "秒/份 s/script", "一致率 agreement", "三评率 third",
                     "仲裁率 arbitration"])
    if markers is not None and len(markers):
        flagged = markers[markers["flagged"]]
        lines += ["", "## 需关注的评卷教师 Markers to check", ""]
        if flagged.empty:
            lines.append("无 none")
        else:
            shown = flagged.copy()
            shown["agreement_rate"] = [f"{v:.0%}" for v in shown["agreement_rate"]]
            lines += _table(shown, ["teacher_id", "subject", "item_group", "marks", "paired", "agreement_rate",
                                    "mean_deviation", "flag_reason"],
                            ["教师 teacher", "学科 subject", "题组 group", "评卷 marks", "双评对比 paired",
                             "一致率 agreement", "平均偏差 deviation", "原因 reason"])
    return "\n".join(lines) + "\n"
