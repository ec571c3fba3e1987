"""Marking progress (阅卷进度) per item group and per marker, with careless-marker flags."""
from __future__ import annotations

import math
import threading

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
                                 .where(Marker.exam_id == exam_id).order_by(Marker.teacher_id)).tuples().all()
    marks = _marks(session, exam_id)
    items = _group_items(session, exam_id)
    pairs = _pairs(marks, items)
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
            own = items.get((subject, group))  # deviation as a share of the marker's own group's total
            max_total = (sum(i.max_score for i in own) or 1.0) if own else float(paired["max_total"].iloc[0])
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


# --- fast figures for the marker API (阅卷接口): one marker's or one group's rows only -------------
#
# `marker_progress` and `marking_progress` above read every mark of the exam (seconds at district
# scale): they are the full computation, for reports. The API's figures below are the same numbers
# (tests/integration/marking/test_progress_figures.py checks them against the full computation),
# read from one marker's marks (index ix_marking_mark_marker), one group's marks and scripts
# (ix_marking_mark_group, ix_marking_script_group), with the pairing of double marks recorded by
# the submit (marking_mark.pair_agreed, pair_deviation) instead of re-paired on every call.

MARKER_FIGURES = ["marks", "third_marks", "arbitrations", "median_seconds", "marks_per_hour", "paired",
                  "agreement_rate", "mean_deviation"]
GROUP_COUNTS = ["scripts", "final", "done_pct", "waiting_third", "waiting_arbitration", "leased"]

_MARKER_SQL = """
SELECT marker_id,
       SUM(CASE WHEN kind IN ('first', 'second') THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'third' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'arbitration' THEN 1 ELSE 0 END),
       COUNT(seconds), AVG(seconds), COUNT(pair_agreed), SUM(CASE WHEN pair_agreed THEN 1 ELSE 0 END),
       AVG(pair_deviation){median}
FROM marking_mark WHERE exam_id = :exam AND marker_id IN ({markers})
GROUP BY marker_id
"""
_MARKER_SECONDS_SQL = """
SELECT marker_id, seconds FROM marking_mark
WHERE exam_id = :exam AND marker_id IN ({markers}) AND seconds IS NOT NULL
"""
_GROUP_SCRIPTS_SQL = """
SELECT COUNT(*), SUM(CASE WHEN status = 'final' THEN 1 ELSE 0 END), SUM(marks_done), SUM(marks_needed),
       SUM(CASE WHEN status = 'third' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'arbitration' THEN 1 ELSE 0 END),
       SUM(CASE WHEN marks_needed = 2 AND agreed IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN marks_needed = 2 AND agreed IS NOT NULL AND agreed THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'arbitration' OR source IN ('arbitration', 'closest') THEN 1 ELSE 0 END)
FROM marking_script WHERE exam_id = :exam AND subject = :subject AND item_group = :item_group
"""
_GROUP_LEASED_SQL = """
SELECT COUNT(*) FROM marking_task
WHERE exam_id = :exam AND subject = :subject AND item_group = :item_group AND state = 'leased'
"""
_GROUP_MARKERS_SQL = """
SELECT teacher_id, role FROM marking_marker WHERE exam_id = :exam AND subject = :subject AND item_group = :item_group
ORDER BY teacher_id
"""
_GROUP_SECONDS_SQL = """
SELECT COUNT(seconds), AVG(seconds){median} FROM marking_mark
WHERE exam_id = :exam AND subject = :subject AND item_group = :item_group
"""
_GROUP_SECONDS_LIST_SQL = """
SELECT seconds FROM marking_mark
WHERE exam_id = :exam AND subject = :subject AND item_group = :item_group AND seconds IS NOT NULL
"""
_MEDIAN = ", percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)"

_cache: dict[tuple, tuple[float, object]] = {}
CACHE_SECONDS = 2.0  # a group's figures are shared by its markers: each process reads them at most this often


def _cached(key: tuple, max_age: float, compute):  # noqa: ANN001, ANN202
    import time

    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < max_age:
        return hit[1]
    value = compute()
    if max_age > 0:
        if len(_cache) > 4096:  # many exams or groups over a long run: start again
            _cache.clear()
        _cache[key] = (now, value)
    return value


def _nan(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def _median(values: list[float]) -> float:
    import statistics

    return float(statistics.median(values)) if values else math.nan


def _flag(figures: dict, policy: MarkingPolicy, max_total: float) -> tuple[bool, str]:
    """The careless-marker flag of `marker_progress`, from a marker's figures."""
    reasons = []
    if figures["paired"] >= policy.progress.min_paired_marks:
        agreement, deviation = figures["agreement_rate"], figures["mean_deviation"]
        if agreement < policy.progress.min_agreement:
            reasons.append(f"agreement {agreement:.0%} < {policy.progress.min_agreement:.0%}")
        if abs(deviation) > policy.progress.max_mean_deviation_share * max_total:
            reasons.append(("lenient" if deviation > 0 else "strict") + f" by {deviation:+.2f} on average")
    return bool(reasons), "; ".join(reasons)


def marker_figures(session: Session, exam_id: str, teacher_ids: list[str]) -> dict[str, dict]:
    """Per teacher: the `MARKER_FIGURES` of `marker_progress`, from their own marks only."""
    from marking.queue.connection import _reading

    figures = {t: {"marks": 0, "third_marks": 0, "arbitrations": 0, "median_seconds": math.nan,
                   "marks_per_hour": math.nan, "paired": 0, "agreement_rate": math.nan, "mean_deviation": math.nan}
               for t in teacher_ids}
    if not teacher_ids:
        return figures
    params: dict[str, object] = {"exam": exam_id, **{f"m{k}": t for k, t in enumerate(teacher_ids)}}
    markers = ", ".join(f":m{k}" for k in range(len(teacher_ids)))
    with _reading(session) as db:
        postgres = db.postgres
        rows = db.execute(_MARKER_SQL.format(markers=markers, median=_MEDIAN if postgres else ""), params).fetchall()
        seconds: dict[str, list[float]] = {}
        if not postgres:
            for teacher, value in db.execute(_MARKER_SECONDS_SQL.format(markers=markers), params).fetchall():
                seconds.setdefault(teacher, []).append(float(value))
    for row in rows:
        teacher, marks, third, arbitrations, timed, mean_seconds, paired, agreed, deviation = row[:9]
        median = _nan(row[9]) if postgres else _median(seconds.get(teacher, []))
        figures[teacher] = {
            "marks": int(marks or 0), "third_marks": int(third or 0), "arbitrations": int(arbitrations or 0),
            "median_seconds": median,
            "marks_per_hour": 3600.0 / float(mean_seconds) if timed and mean_seconds and mean_seconds > 0 else math.nan,
            "paired": int(paired or 0),
            "agreement_rate": int(agreed or 0) / int(paired) if paired else math.nan,
            "mean_deviation": _nan(deviation) if paired else math.nan}
    return figures


def group_counts(session: Session, exam_id: str, subject: str, item_group: str, *,
                 max_age: float = CACHE_SECONDS) -> dict:
    """A group's `GROUP_COUNTS` (scripts, final, done %, waiting for a third mark or arbitration, leased),
    read at most every `max_age` seconds per process."""
    return dict(_cached(("counts", str(session.get_bind().engine.url), exam_id, subject, item_group), max_age,
                        lambda: _group_counts(session, exam_id, subject, item_group)))


def _group_counts(session: Session, exam_id: str, subject: str, item_group: str) -> dict:
    from marking.queue.connection import _reading

    params = {"exam": exam_id, "subject": subject, "item_group": item_group}
    with _reading(session) as db:
        scripts = db.execute(_GROUP_SCRIPTS_SQL, params).fetchone()
        leased = db.execute(_GROUP_LEASED_SQL, params).fetchone()[0]
    n, final, done, needed, third, arbitration, decided, agreed, arbitrated = (int(v or 0) for v in scripts)
    return {"scripts": n, "final": final, "done_pct": round(100.0 * final / n, 1) if n else 0.0,
            "waiting_third": third, "waiting_arbitration": arbitration, "leased": int(leased or 0),
            "marks_done": done, "marks_needed": needed, "decided": decided, "agreed": agreed,
            "arbitrated": arbitrated}


STALE_SECONDS = 20.0  # a group's full figures this old are still shown while fresh ones are computed
_refreshing: set[tuple] = set()
_refreshing_guard = threading.Lock()


def group_figures(session: Session, exam_id: str, subject: str, item_group: str, *,
                  policy: MarkingPolicy | None = None, max_age: float = CACHE_SECONDS) -> tuple[dict, list[dict]]:
    """A group's row of `marking_progress` (every GROUP_COLUMNS, plus `as_of`: when the figures were read,
    unix seconds) and its registered markers' rows of `marker_progress` (every MARKER_COLUMNS).

    Read at most every `max_age` seconds per process. They take tens of milliseconds for a large group
    (every mark of the group): figures older than that but younger than STALE_SECONDS are returned at
    once while a thread reads fresh ones for the next call.
    """
    import time

    policy = policy or load_policy()
    bind = session.get_bind()
    key = ("figures", str(bind.engine.url), exam_id, subject, item_group)

    def compute(db: Session) -> tuple[dict, list[dict]]:
        group, members = _group_figures(db, exam_id, subject, item_group, policy)
        return {**group, "as_of": time.time()}, members

    hit = _cache.get(key)
    age = time.monotonic() - hit[0] if hit is not None else math.inf
    if max_age > 0 and max_age <= age < STALE_SECONDS and hit is not None:
        _refresh_in_background(key, bind.engine, compute)
        return hit[1]  # type: ignore[return-value]
    return _cached(key, max_age, lambda: compute(session))  # type: ignore[return-value]


def _refresh_in_background(key: tuple, engine, compute) -> None:  # noqa: ANN001
    import time

    with _refreshing_guard:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def run() -> None:
        try:
            with Session(bind=engine, expire_on_commit=False) as db:
                value = compute(db)
                db.commit()
            _cache[key] = (time.monotonic(), value)
        except Exception:  # noqa: BLE001  (the next call reads them itself)
            _cache.pop(key, None)
        finally:
            with _refreshing_guard:
                _refreshing.discard(key)

    threading.Thread(target=run, name="progress-refresh", daemon=True).start()


def _group_figures(session: Session, exam_id: str, subject: str, item_group: str,
                   policy: MarkingPolicy) -> tuple[dict, list[dict]]:
    from marking.queue import group_items
    from marking.queue.connection import _reading

    counts = _group_counts(session, exam_id, subject, item_group)
    params = {"exam": exam_id, "subject": subject, "item_group": item_group}
    with _reading(session) as db:
        registered = db.execute(_GROUP_MARKERS_SQL, params).fetchall()
        timing = db.execute(_GROUP_SECONDS_SQL.format(median=_MEDIAN if db.postgres else ""), params).fetchone()
        listed = [] if db.postgres else [float(v) for (v,) in db.execute(_GROUP_SECONDS_LIST_SQL, params).fetchall()]
    timed, mean_seconds = int(timing[0] or 0), timing[1]
    median = _nan(timing[2]) if len(timing) > 2 else _median(listed)
    max_total = sum(i.max_score for i in group_items(session, exam_id, subject, item_group)) or 1.0
    figures = marker_figures(session, exam_id, [t for t, _ in registered])
    members = []
    for teacher, role in registered:
        row = {"teacher_id": teacher, "subject": subject, "item_group": item_group, "role": role, **figures[teacher]}
        row["flagged"], row["flag_reason"] = _flag(row, policy, max_total)
        members.append({column: row[column] for column in MARKER_COLUMNS})
    decided = counts["decided"]
    group = {"subject": subject, "item_group": item_group, "scripts": counts["scripts"], "final": counts["final"],
             "done_pct": counts["done_pct"], "marks_done": counts["marks_done"],
             "marks_needed": counts["marks_needed"], "waiting_third": counts["waiting_third"],
             "waiting_arbitration": counts["waiting_arbitration"], "leased": counts["leased"],
             "markers": len(registered), "median_seconds": median,
             "marks_per_marker_hour": 3600.0 / float(mean_seconds) if timed and mean_seconds and mean_seconds > 0
             else math.nan,
             "agreement_rate": counts["agreed"] / decided if decided else math.nan,
             "third_rate": (decided - counts["agreed"]) / decided if decided else math.nan,
             "arbitration_rate": counts["arbitrated"] / decided if decided else math.nan,
             "flagged_markers": ", ".join(m["teacher_id"] for m in members if m["flagged"])}
    return {column: group[column] for column in GROUP_COLUMNS}, members
