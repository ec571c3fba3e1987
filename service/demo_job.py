"""The demo a bureau tries first: one command from an empty folder to rosters, plans and reports."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


# The demo county's cluster policy: the defaults, with the distance limit raised to 60 km (its
# townships lie 20–60 km from the county seat).
DEMO_POLICY = Path(__file__).resolve().parents[1] / "policies" / "demo_rotation.toml"
DEMO_LOGISTICS_POLICY = DEMO_POLICY.with_name("demo_exam_logistics.toml")  # same idea: 60 km
# demonstration lessons by any cluster school's excellent teachers (a junior lead has no primary ones)
DEMO_CALENDAR_POLICY = DEMO_POLICY.with_name("demo_calendar.toml")


@dataclass
class Stage:
    name: str  # shown in the progress bar
    run: Callable[[], str | None]  # returns a one-line result, or None when skipped


def _progress(console: Console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[note]}"),
                    TimeElapsedColumn(), console=console)


def run_demo(out: Path, seed: int, schools: int, lang: str, console: Console) -> int:
    """Generate → import → plan → exam season → reports, a progress bar per stage; 0 on success."""
    # Flow logs would scroll the progress bars away; they stay in the Prefect API and artifacts.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from bundle.io import write_bundle
    from bundle.validate import load_bundle
    from demo.district import generate_district
    from models.bundles import import_tables
    from models.db import database_url, session_scope
    from models.migrate import upgrade

    fresh_demo_database()  # before anything is generated: a database in use is refused at once
    out.mkdir(parents=True, exist_ok=True)
    bundle_dir = out / "bundle"
    state: dict = {}

    def generate() -> str:
        state["tables"] = generate_district(seed=seed, schools=schools)
        write_bundle(state["tables"], bundle_dir)
        tables = state["tables"]
        return f"{len(tables['schools'])} schools, {len(tables['teachers'])} teachers, {len(tables['students'])} students"

    def load() -> str:
        upgrade()
        tables = load_bundle(bundle_dir)  # through the same validation a school's upload gets
        with session_scope() as session:
            session.info["actor"] = "demo"
            report = import_tables(session, tables, district_name="示范县 demo county", source=str(bundle_dir))
        return f"{report.changed} rows into {database_url()}"

    stages = [Stage("生成示范区县 generate district", generate), Stage("导入数据库 import", load)]
    stages += _later_stages(out, state, lang)
    started = time.perf_counter()
    with _progress(console) as progress:
        for stage in stages:
            task = progress.add_task(stage.name, total=1, note="")
            result = stage.run()
            progress.update(task, completed=1, note=result if result is not None else "[yellow]skipped")
    console.print(f"[green]demo finished in {time.perf_counter() - started:.0f} s → {out.resolve()}")
    reports = sorted(out.resolve().glob("exam/*/report/report.html"))
    if reports:
        console.print(f"考试分析报告 report: file://{reports[0]}", markup=False, highlight=False, soft_wrap=True)
    if state.get("accounts"):
        who = "，".join(f"{name} / {password}" for name, password in state["accounts"])
        console.print(f"网页控制台 web console: 运行 .venv/bin/xuequ web（在本目录），打开 http://127.0.0.1:8000/ ；"
                      f"账号 / 一次性密码 accounts: {who}（首次登录须改密码 change it at first sign-in）",
                      markup=False, highlight=False, soft_wrap=True)
    return 0


def fresh_demo_database(url: str | None = None) -> str:
    """The demo starts on an empty database, so `make demo SEED=7` after `make demo` works.

    A SQLite file is replaced (it holds only what an earlier demo wrote); any other database must be
    empty, because the demo would otherwise delete a real district's rows: a DemoDatabaseInUse says so.
    """
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from models import db

    url = db.database_url(url)
    parsed = make_url(url)
    db.dispose_engines(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return url
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            has_district = "school" in inspect(connection).get_table_names() and bool(
                connection.exec_driver_sql("select count(*) from school").scalar())
    finally:
        engine.dispose()
    if has_district:
        raise DemoDatabaseInUse(f"{db.shown_url(url)} already holds a district: the demo needs an empty database "
                                f"(give another one with --db)")
    return url


class DemoDatabaseInUse(RuntimeError):
    """The demo was pointed at a database that holds a district of its own."""


def _later_stages(out: Path, state: dict, lang: str) -> list[Stage]:
    """The term schedule for every cluster, then the exam season of the demo's joint exam."""
    import flows  # noqa: F401  (Prefect settings before Prefect is imported)

    def term_plan() -> str:
        from flows.term_schedule import term_schedule

        tables = state["tables"]
        school_year = int(tables["exams"]["school_year"].max())
        lines, postings, leaders, activities = [], 0, 0, 0
        for cluster_id in sorted(tables["clusters"]["cluster_id"]):
            # the roster, then the cluster's activity calendar (calendar.csv, .ics feeds, notices) in the same folder
            result = term_schedule(school_year=school_year, term=1, cluster_id=cluster_id, policy_file=str(DEMO_POLICY),
                                   out_dir=str(out / "term" / cluster_id), lang=lang, time_limit_s=20,
                                   actor="demo 学区办", calendar_policy_file=str(DEMO_CALENDAR_POLICY),
                                   calendar_time_limit_s=10)
            postings += result.postings
            leaders += result.leader_exchanges
            activities += result.calendar.activities if result.calendar is not None else 0
            # a best-effort roster is written where the policy cannot be met in full (rotation_explanations.txt)
            lines.append(f"{cluster_id}: {result.status}" + (" → 尽力方案 best-effort roster" if result.relaxed else ""))
        (out / "term" / "status.txt").write_text("\n".join(lines), encoding="utf-8")
        return f"{postings} postings, {leaders} leader exchange days, {activities} cluster activities ({', '.join(lines)})"

    def season() -> str:
        sessions = state["tables"]["exam_sessions"]
        exam_id = str(sessions["exam_id"].iloc[0])
        result = run_season_with_simulated_schools(exam_id, out_dir=out / "exam" / exam_id, lang=lang,
                                                   reviewer="教研室（模拟）",
                                                   logistics_policy_file=str(DEMO_LOGISTICS_POLICY))
        (out / "exam" / exam_id).mkdir(parents=True, exist_ok=True)
        (out / "exam" / exam_id / "season.md").write_text(result.markdown(), encoding="utf-8")
        return f"{exam_id}: {result.status} — " + ", ".join(f"{s.stage} {s.status}" for s in result.stages)

    def previous_exam() -> str:
        """The cohort's previous final, simulated, so the report can show the improvement rate (提高率)."""
        from sqlalchemy import delete, insert

        from demo.season import previous_exam_scores
        from models import Score
        from models.db import session_scope

        tables = state["tables"]
        sessions = tables["exam_sessions"]
        grade = int(sessions["grade"].iloc[0])
        exams = tables["exams"]
        earlier = exams[(exams["grade"].astype(int) == grade - 1)
                        & (exams["school_year"].astype(int) == int(exams["school_year"].max()) - 1)]
        if earlier.empty:
            return "no earlier exam of the cohort: the report shows no improvement rate"
        previous_id = str(earlier.sort_values("term")["exam_id"].iloc[-1])
        scores, _ = previous_exam_scores(tables, previous_id, grade, list(dict.fromkeys(sessions["subject"])), seed=7)
        rows = [{"exam_id": r.exam_id, "student_id": r.student_id, "item_id": r.item_id, "subject": r.subject,
                 "score": float(r.score), "source": "import"} for r in scores.itertuples(index=False)]
        with session_scope() as session:
            session.execute(delete(Score).where(Score.exam_id == previous_id))
            for start in range(0, len(rows), 20000):
                session.execute(insert(Score), rows[start:start + 20000])
        return f"{previous_id}: {scores['student_id'].nunique()} students (simulated scores)"

    def accounts() -> str:
        """Two accounts of the web console, with one-time passwords (changed at the first sign-in)."""
        from models.db import session_scope
        from models.users import add_user

        issued = []
        with session_scope() as session:
            session.info["actor"] = "demo"
            for name, role, cluster in (("bureau", "bureau", None), ("cluster-c01", "cluster", "C01")):
                _, password = add_user(session, name, role, cluster_id=cluster)
                issued.append((name, password))
        state["accounts"] = issued
        return "、".join(name for name, _ in issued)

    def office() -> str:
        """The cluster office's year: meetings with decisions (C01), the exchange log and the ledger (after
        the season, so the dossiers carry the bundled score of the year's exam)."""
        from demo.office import run_office

        tables = state["tables"]
        school_year = int(tables["exams"]["school_year"].max())
        cluster_id = str(sorted(tables["clusters"]["cluster_id"])[0])
        return run_office(out / "office", school_year, cluster_id)

    return [Stage("学期排班 term schedule (rotation, leaders, activity calendar)", term_plan),
            Stage("上次联考成绩 previous exam (simulated)", previous_exam), Stage("考试季 exam season", season),
            Stage("学区办：会议、决议、督导台账 cluster office (meetings, ledger)", office),
            Stage("网页控制台账号 web console accounts", accounts)]


os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def run_season_with_simulated_schools(exam_id: str, *, out_dir: Path | str, db_url: str | None = None,
                                      lang: str = "zh", reviewer: str = "教研室（模拟）", seed: int = 1,
                                      logistics_policy_file: str | None = None):
    """The season as the demo county lives it: it runs until it waits for the schools' response files,
    the simulated schools send them (demo/responses.py), and the season continues where it stopped.
    The stages of both runs are merged, so the result reads as one season."""
    from demo.responses import simulate_response_files
    from flows.exam_season import exam_season
    from models.db import database_url

    out = Path(out_dir)

    def run():
        return exam_season(exam_id, db_url=db_url, out_dir=str(out), lang=lang, reviewer=reviewer, simulate=True,
                           seed=seed, logistics_policy_file=logistics_policy_file)

    first = run()
    if not (first.status == "waiting" and first.stages and first.stages[-1].stage == "ingest"):
        return first
    simulate_response_files(database_url(db_url), exam_id, str(out / "responses"), seed)
    second = run()
    earlier = {s.stage: s for s in first.stages if s.status not in ("waiting",)}
    second.stages = [earlier.get(s.stage, s) if s.status == "already-done" else s for s in second.stages]
    return second
