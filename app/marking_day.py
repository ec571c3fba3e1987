"""The marking day (阅卷日) of a joint exam, for the research office and the marking centre:
ingest the schools' response files → open the queue and mark → finalise scores.

- `ingest`: each school's response files (marking/FORMAT.md) into the database, all or nothing;
  objective items are scored against the key when scores are finalised.
- `run_marking`: open the queue (anonymous scripts, double marking), register the marking plan's
  teachers, and wait until every script is final or the deadline passes. Simulated (the demo),
  markers with bias, noise and speed mark through the same queue functions real markers use, each
  group for its planned hours a day, day after day. On a best-effort plan, leaders and other
  groups' teachers of other schools fill in where the plan is short (marking/assist.py), as stated;
  an arbitration nobody of another school may give is settled by the policy (double.unarbitrable).
- `finalise`: final item scores, traceable to their marks, and `scores.csv`.

The Prefect flows in `flows/marking_stage.py` run these as the season's stages.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from app.stages import StageOutcome
from domain.labels import label
from bundle.cells import safe_frame
from marking.simulate import TRUTH_FILE  # simulation only: what a perfect marker would give
from models.db import database_url, session_scope


def ingest(exam_id: str, db_url: str | None = None, responses_dir: str = "out/responses") -> StageOutcome:
    """Each school's response files into the database, checked all at once, all or nothing."""
    from marking import ingest_responses

    url = database_url(db_url)
    folder = Path(responses_dir)
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".csv", ".xlsx") and p.name != TRUTH_FILE) \
        if folder.exists() else []
    if not files:
        return StageOutcome("ingest", "waiting", f"等待各校上传答卷文件（{folder}）| waiting for the schools' response "
                                                 f"files in {folder}")
    with session_scope(url) as session:
        session.info["actor"] = "ingest-responses"
        report = ingest_responses(session, exam_id, files)
    return StageOutcome("ingest", "done", f"{report.students} 名学生的 {report.responses} 条作答（{len(files)} 个文件）"
                                          f" | {report.responses} responses of {report.students} students from "
                                          f"{len(files)} file(s)")




def marking_plan(url: str, exam_id: str) -> pd.DataFrame:
    from models import MarkingAssignment, Plan

    with session_scope(url) as session:
        plan = session.scalars(select(Plan).where(Plan.kind == "marking", Plan.exam_id == exam_id)
                               .order_by(Plan.version.desc()).limit(1)).first()
        if plan is None:
            return pd.DataFrame()
        rows = session.execute(select(MarkingAssignment.exam_id, MarkingAssignment.subject,
                                      MarkingAssignment.item_group, MarkingAssignment.teacher_id,
                                      MarkingAssignment.teacher_school_id, MarkingAssignment.role)
                               .where(MarkingAssignment.plan_id == plan.plan_id)).all()
    return pd.DataFrame(rows, columns=["exam_id", "subject", "item_group", "teacher_id", "teacher_school_id", "role"])


def best_effort_note(url: str, exam_id: str) -> str:
    """What the latest marking plan relaxed (a best-effort plan: fewer markers, a longer window, …), or ''.

    Such a plan marks through the same queue: a group with fewer markers takes longer, and a third mark
    that no marker of another school can give goes to the group's leaders (escalation below)."""
    from models import Plan

    with session_scope(url) as session:
        plan = session.scalars(select(Plan).where(Plan.kind == "marking", Plan.exam_id == exam_id)
                               .order_by(Plan.version.desc()).limit(1)).first()
        summary = dict(plan.summary or {}) if plan is not None else {}
    if not summary.get("best_effort"):
        return ""
    groups = sorted({(r["subject"], r["item_group"]) for r in summary.get("relaxations", []) if r.get("item_group")})
    return (f"best-effort marking plan: {len(groups)} group(s) relaxed ({', '.join(g for _, g in groups)}); "
            f"they may take longer than planned")


TOKENS_FILE = "marker_tokens.csv"  # the login tokens issued by the season's registration (private)


def open_queue(url: str, exam_id: str, out_dir: str | Path | None = None) -> str:
    """Anonymous scripts and their marking tasks (idempotent), and the plan's markers registered.

    The tokens of newly registered markers are shown only once: they go to `out_dir/marker_tokens.csv`
    (added to what an earlier run wrote there), so the office can hand them out; registered markers keep
    theirs (the database holds only hashes)."""
    from marking import open_marking, register_markers

    plan = marking_plan(url, exam_id)
    issued = pd.DataFrame()
    with session_scope(url) as session:
        report = open_marking(session, exam_id)
        if len(plan):
            issued = register_markers(session, exam_id, plan)
    message = (f"queue: {report.scripts} new scripts ({report.double_marked} double marked), {report.tasks} tasks, "
               f"{report.already_open} already open; {len(plan)} markers")
    new = issued[issued["token"].notna()] if len(issued) else issued
    if len(new) and out_dir is not None:
        path = write_new_tokens(Path(out_dir) / TOKENS_FILE, new[["teacher_id", "subject", "item_group", "role",
                                                                   "token"]])
        message += f"; {len(new)} new login token(s) in {path} (keep it private)"
    elif len(new):
        message += f"; {len(new)} new marker(s): issue their tokens with `xuequ marking token`"
    return message


def write_new_tokens(path: Path, new: pd.DataFrame) -> Path:
    """Add newly issued tokens to the tokens file (a teacher's row replaced by their newest token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        earlier = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        new = pd.concat([earlier[~earlier["teacher_id"].isin(new["teacher_id"])], new], ignore_index=True)
    safe_frame(new).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def remaining(url: str, exam_id: str) -> int:
    from models.marking import MarkingScript

    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(MarkingScript).where(
            MarkingScript.exam_id == exam_id, MarkingScript.status != "final")) or 0


def escalate(url: str, exam_id: str) -> int:
    """Third marks no teacher of another school can give go to the group leaders (仲裁)."""
    from marking.queue import escalate_unmarkable_thirds

    with session_scope(url) as session:
        return escalate_unmarkable_thirds(session, exam_id)


def unmarkable(url: str, exam_id: str) -> list:
    """First and second marks no registered marker may give (all of the script's school, or marked it)."""
    from marking.queue import unmarkable_scripts

    with session_scope(url) as session:
        return unmarkable_scripts(session, exam_id)


def planned_hours(url: str, exam_id: str, plan: pd.DataFrame, base_hours: float) -> dict[tuple[str, str], float]:
    """Each group's marking hours a day: the best-effort window (relaxation `longer_window`) where the
    plan declared one, else the logistics policy's hours_available."""
    from models import Plan

    with session_scope(url) as session:
        stored = session.scalars(select(Plan).where(Plan.kind == "marking", Plan.exam_id == exam_id)
                                 .order_by(Plan.version.desc()).limit(1)).first()
        relaxations = list((stored.summary or {}).get("relaxations", [])) if stored is not None else []
    hours = {(str(s), str(g)): float(base_hours) for s, g in plan[["subject", "item_group"]].drop_duplicates()
             .itertuples(index=False)}
    for r in relaxations:
        if r.get("kind") == "longer_window" and r.get("hours"):
            key = (str(r.get("subject")), str(r.get("item_group")))
            hours[key] = max(hours.get(key, 0.0), float(r["hours"]))
    return hours


def base_hours(url: str, exam_id: str, logistics_policy_file: str | None) -> float:
    """The marking day's hours of the exam-logistics policy in force (or the run's file)."""
    from app.policies import resolve_exam_policy

    return resolve_exam_policy("exam_logistics", exam_id, override=logistics_policy_file,
                               url=url).policy.marking.hours_available


def fill_in_plan(url: str, exam_id: str):
    """The fill-ins of a best-effort plan (marking/assist.py), with scripts of a subject that has one
    teacher of another school switched to single marking (单评)."""
    from marking.assist_store import apply_single_marking, clear_assist_cache, load_assists

    clear_assist_cache()
    with session_scope(url) as session:
        plan = load_assists(session, exam_id)
        if plan.single():
            apply_single_marking(session, exam_id, plan)
    return plan


def display_names(url: str) -> tuple[dict[str, str], dict[str, str]]:
    from domain.vocab import SUBJECTS
    from models import School

    with session_scope(url) as session:
        schools = dict(session.execute(select(School.school_id, School.name)).tuples().all())
    return dict(SUBJECTS), schools


def stuck(url: str, exam_id: str, assists) -> dict:
    from marking.assist_store import stuck_tasks

    with session_scope(url) as session:
        return stuck_tasks(session, exam_id, assists)


def settle_unarbitrable(url: str, exam_id: str, assists) -> dict[tuple[str, str, str], int]:
    """Arbitrations nobody of another school may give, settled by the policy (double.unarbitrable)."""
    from marking.assist_store import settle_unarbitrable

    if not assists.grants and not assists.cases:
        return {}
    with session_scope(url) as session:
        session.info["actor"] = "marking-stage"
        return settle_unarbitrable(session, exam_id, assists)


def settled_text(settled: dict[tuple[str, str, str], int], subject_names: dict[str, str],
                   school_names: dict[str, str]) -> list[str]:
    from marking.assist import group_label

    return [f"{subject_names.get(s, s)} {group_label(g)}：{school_names.get(school, school)} 的 {n} 份答卷无人可仲裁"
            f"（本学科外校教师均已评过），按最接近的两评均分定分并标记（double.unarbitrable）"
            for (s, g, school), n in sorted(settled.items())]


def demo_standards(url: str, exam_id: str, truth: pd.DataFrame, out_dir: str) -> str:
    """Simulation only: standard scripts (标准卷) for trial marking and quality checks, picked from the
    exam's responses with their simulated true scores as the expert scores, written as the research
    office's standard_scripts.csv and imported, unless the exam has standards already."""
    from marking.paper import paper_entries
    from marking.standards import COLUMNS, import_standards, pick_standard_scripts
    from models.exams import Response
    from models.marking_quality import MarkingStandard

    with session_scope(url) as session:
        if session.scalar(select(func.count()).select_from(MarkingStandard).where(MarkingStandard.exam_id == exam_id)):
            return "standard scripts already imported"
        entries = paper_entries(session, exam_id)
        subjective = [e.item_id for e in entries if not e.objective]
        responses = pd.DataFrame(session.execute(select(Response.student_id, Response.item_id, Response.answer).where(
            Response.exam_id == exam_id, Response.item_id.in_(subjective))).tuples().all(),
            columns=["student_id", "item_id", "answer"])
    picked = pick_standard_scripts(responses, truth, entries)
    if picked.empty:
        return "no standard scripts: no scored subjective answers"
    path = Path(out_dir) / "standard_scripts.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(picked[COLUMNS]).to_csv(path, index=False, encoding="utf-8-sig")
    with session_scope(url) as session:
        session.info["actor"] = "demo-research-office"
        report = import_standards(session, exam_id, [path])
    return f"{report.standards} standard scripts for trial marking and quality checks ({path})"


def quality_section(url: str, exam_id: str) -> str:
    """Per-marker quality figures and alerts (marking/monitor.py) as Markdown, for marking_progress.md."""
    from marking.monitor import marker_rows, quality_markdown

    with session_scope(url) as session:
        rows = marker_rows(session, exam_id)
    return quality_markdown(rows) if rows else ""


def simulate_days(url: str, exam_id: str, plan: pd.DataFrame, truth: pd.DataFrame, seed: int,
                  hours: dict[tuple[str, str], float], max_days: int, say: Callable[[str], None] = print) -> int:
    """Simulated marking day after day (each group for its planned hours a day) until every script is
    final, nothing more can change, or `max_days` days have passed; the days it took."""
    from marking.simulate import run_simulated_marking, simulated_markers

    markers = simulated_markers(plan, seed=seed, hours=hours)  # the same people (bias, speed) every day
    day, runs = 1, 0
    while runs < max_days + 3:  # a day's end, or an escalation of thirds, starts another run
        report = run_simulated_marking(url, exam_id, markers, truth, threads=8, seed=seed + runs)
        runs += 1
        say(f"simulated marking day {day}: {report.marks} marks in {report.elapsed_seconds:.0f} s "
            f"({report.marks_per_second:.0f}/s); {report.day_over} marker(s) reached the day's hours")
        escalated = escalate(url, exam_id)
        if not remaining(url, exam_id):
            break
        if report.day_over and report.marks:
            if day >= max_days:
                break
            day += 1  # scripts remain at the end of the day: the centre marks another day
        elif not escalated:
            break  # nobody can take what remains: more days would not help
    return day


def run_marking(exam_id: str, db_url: str | None = None, out_dir: str = "out/marking", simulate: bool = False,
                deadline_s: float = 3600.0, poll_s: float = 30.0, seed: int = 1,
                responses_dir: str = "out/responses", logistics_policy_file: str | None = None,
                max_simulated_days: int = 5, say: Callable[[str], None] = print) -> StageOutcome:
    """Open the queue and wait until every script is final (markers use the marker API meanwhile).

    A best-effort marking plan is marked as a marking centre would (marking/assist.py): leaders and
    other groups' teachers of other schools fill in where a school's scripts lack two markers of other
    schools or an arbitrator, and what applies is stated. Simulated (demo), each group marks for its
    planned hours a day, for as many days as it takes, up to `max_simulated_days`."""
    from marking import marking_progress, progress_markdown
    from marking.assist import group_label

    url = database_url(db_url)
    plan = marking_plan(url, exam_id)
    if plan.empty:
        return StageOutcome("marking", "blocked", "no marking plan: run the logistics stage first")
    note = best_effort_note(url, exam_id)
    if note:
        say(note)
    say(open_queue(url, exam_id, out_dir))
    assists = fill_in_plan(url, exam_id)
    subject_names, school_names = display_names(url)
    stated = [c.zh(subject_names, school_names) for c in assists.cases]
    for line in stated:
        say(line)
    days = 0
    if simulate:
        truth = pd.read_csv(Path(responses_dir) / TRUTH_FILE, dtype={"student_id": str, "item_id": str})
        say(demo_standards(url, exam_id, truth, out_dir))
        hours = planned_hours(url, exam_id, plan, base_hours(url, exam_id, logistics_policy_file))
        days = simulate_days(url, exam_id, plan, truth, seed, hours, max_simulated_days, say)
    settled = settle_unarbitrable(url, exam_id, assists)
    started = time.monotonic()
    while remaining(url, exam_id) and time.monotonic() - started < deadline_s and not simulate:
        if escalate(url, exam_id):
            say("third marks no teacher of another school can give went to the group leaders (仲裁)")
        for key, n in settle_unarbitrable(url, exam_id, assists).items():
            settled[key] = settled.get(key, 0) + n
        time.sleep(poll_s)
    settled_lines = settled_text(settled, subject_names, school_names)
    for line in settled_lines:
        say(line)
    with session_scope(url) as session:
        groups = marking_progress(session, exam_id)
    fill_ins: dict[tuple[str, str], list[str]] = {}
    for case, line in zip(assists.cases, stated):
        fill_ins.setdefault((case.subject, case.item_group), []).append(line)
    for (subject, group, _school), line in zip(sorted(settled), settled_lines):
        fill_ins.setdefault((subject, group), []).append(line)
    stated += settled_lines
    groups["best_effort"] = ["；".join(fill_ins.get((s, g), [])) for s, g in zip(groups["subject"], groups["item_group"])]
    text = progress_markdown(groups, exam_id=exam_id)
    if stated:
        text += "\n## 尽力方案的补位 Best-effort fill-ins\n\n" + "\n".join(f"- {line}" for line in stated) + "\n"
    text += "\n" + quality_section(url, exam_id)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    safe_frame(groups).to_csv(Path(out_dir) / "marking_progress.csv", index=False, encoding="utf-8-sig")
    (Path(out_dir) / "marking_progress.md").write_text(text, encoding="utf-8")
    said = ("；".join(stated) + "。") if stated else ""
    took = f"模拟阅卷用了 {days} 天；" if simulate else ""
    progress = {"progress": {"markdown": text, "groups": groups.astype(object).where(groups.notna(), None)
                             .to_dict("records")}}
    left = remaining(url, exam_id)
    if left:
        nobody = stuck(url, exam_id, assists) if assists.grants or assists.cases else {}
        if nobody:  # waiting cannot help: the marking plan must change
            lines = [f"{subject_names.get(s, s)} {group_label(g)}：{school_names.get(school, school)} 的 {n} 项"
                     f"{label('mark_kind', k)}"
                     f"任务没有可评的外校教师" for (s, g, school, k), n in sorted(nobody.items())]
            return StageOutcome("marking", "blocked", f"{left} 份答卷未定分；{took}" + said
                                + "；".join(lines) + "；请为该学科增加外校阅卷教师或题组长（xuequ marking markers）", progress)
        if not assists.grants and not assists.cases:
            stuck_regular = unmarkable(url, exam_id)
            if stuck_regular:
                return StageOutcome("marking", "blocked", f"{left} 份答卷未定分；"
                                    + "；".join(u.zh() for u in stuck_regular) + " | "
                                    + " ".join(u.en() for u in stuck_regular), progress)
        return StageOutcome("marking", "waiting", f"{left} 份答卷尚未定分（待三评、仲裁或未评完）；{took}{said}"
                                                  f"阅卷完成后再运行考试季",
                            progress)
    return StageOutcome("marking", "done", f"全部答卷已定分；{took}{said}"
                                           f"progress in {out_dir}/marking_progress.csv", progress)


def finalise(exam_id: str, db_url: str | None = None, out_dir: str = "out") -> StageOutcome:
    """Final item scores (objective auto-scored, subjective from their marks) and scores.csv."""
    from marking import finalise_scores, scores_frame

    from bundle.io import write_csv
    from bundle.spec import EXPORT_COLUMNS

    url = database_url(db_url)
    with session_scope(url) as session:
        session.info["actor"] = "finalise-scores"
        report = finalise_scores(session, exam_id)
    with session_scope(url) as session:
        scores = scores_frame(session, exam_id)
    path = write_csv(scores, Path(out_dir) / "scores.csv", EXPORT_COLUMNS["scores"],
                     ("subject", "student_id", "item_id"))
    if report.pending_scripts:
        return StageOutcome("finalise", "waiting", f"{report.pending_scripts} 份答卷尚未定分 | {report.pending_scripts} scripts not final; "
                                                   f"{report.held_back} student-subjects held back")
    return StageOutcome("finalise", "done", f"{len(scores)} 个小题得分 → {path} | {len(scores)} item scores "
                                            f"({dict(report.scores)})")


def progress_frame(progress: dict) -> pd.DataFrame:
    """The progress table of a marking outcome's detail (for the flow's artifact)."""
    return pd.DataFrame(progress.get("groups", []))
