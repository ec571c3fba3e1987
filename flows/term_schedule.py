"""The term schedule (学期排班), run by the cluster office before each term or school year.

The use case is `app.term_planning.plan_rotation` (load → the policy in force → solve → check →
store a versioned plan → export); this flow runs it as a Prefect task, where retries, schedules and
the UI pay off, and publishes the roster as artifacts. `xuequ rotation plan` calls the same use case
in-process, without a Prefect server.

After the roster, each cluster's activity calendar for the term is planned (`plan_cluster_calendar`,
`app.activity_calendar`: it reads the roster just stored, for who teaches where and the leaders'
exchange weekdays) into the same folder: calendar.csv, .ics feeds, notices (`calendar=False` skips it).

Two flows:
- `term-schedule`: one scope — a cluster, or (cluster_id None) the district solved as one roster;
- `district-term-schedule`: every cluster of the district (or those named) as separate units, one
  `plan_cluster` task per cluster fanned out on the runner `flows.runners` chooses (threads, a local
  Dask cluster, or a Dask scheduler of other machines), each writing into `out_dir/<cluster_id>/`,
  gathered into one district summary (学区汇总).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.futures import wait

from app.activity_calendar import CalendarPlanResult, plan_activity_calendar
from app.term_planning import cluster_ids, TermScheduleResult, plan_rotation
from bundle.cells import safe_frame
from flows.common import IO_RETRIES, log, publish_markdown, publish_table, resolved_url
from flows.runners import api_for_workers, describe_runner, fan_out_runner


@task
def plan_cluster(school_year: int, term: int | None, cluster_id: str | None, policy_file: str | None, url: str,
                 out_dir: str, lang: str, time_limit_s: float, pins: list[dict] | None, forbids: list[dict] | None,
                 actor: str) -> TermScheduleResult:
    """One scope's roster: the policy in force, CP-SAT (2 workers), the validator, a stored version, the files."""
    return plan_rotation(school_year, term, cluster_id, policy_file=policy_file, url=url, out_dir=out_dir, lang=lang,
                         time_limit_s=time_limit_s, pins=pins, forbids=forbids, actor=actor)


@task
def plan_cluster_calendar(school_year: int, term: int, cluster_id: str, policy_file: str | None, url: str,
                          out_dir: str, lang: str, time_limit_s: float, actor: str) -> CalendarPlanResult:
    """One cluster's activity calendar for the term (after its roster): stored, checked, written."""
    return plan_activity_calendar(school_year, term, cluster_id, policy_file=policy_file, url=url, out_dir=out_dir,
                                  lang=lang, time_limit_s=time_limit_s, actor=actor)


def publish_calendar(result: CalendarPlanResult) -> None:
    publish_markdown(f"calendar-{result.scope}", result.summary, f"学区活动日历 activity calendar {result.scope}")
    log(f"calendar {result.scope} v{result.version}: {result.status}, {result.activities} activities, "
        f"{result.bookings} weekly facility bookings" + ("; best effort" if result.relaxed else ""))


def publish_result(result: TermScheduleResult) -> None:
    publish_markdown(f"rotation-{result.scope}", result.summary,
                     f"轮岗名单 rotation roster {result.scope} v{result.version}")
    if result.summary_table is not None:
        publish_table(f"rotation-summary-{result.scope}", result.summary_table)
    log(f"rotation {result.scope} v{result.version}: {result.status}, {result.postings} postings, "
        f"{result.leader_exchanges} leader exchanges, changed {result.changed}; {result.policy}")


@flow(name="term-schedule", log_prints=True)
def term_schedule(school_year: int = 2026, term: int | None = 1, cluster_id: str | None = None,
                  policy_file: str | None = None, db_url: str | None = None, out_dir: str = "out/term",
                  lang: str = "zh", time_limit_s: float = 30.0, pins: list[dict] | None = None,
                  forbids: list[dict] | None = None, actor: str = "term-schedule", calendar: bool = True,
                  calendar_policy_file: str | None = None, calendar_time_limit_s: float = 20.0) -> TermScheduleResult:
    """The exchange roster, leaders' days and principals' months for a term, stored and exported; then
    (a cluster and a term) the cluster's activity calendar, in the same folder."""
    url = resolved_url(db_url)
    result = plan_cluster(school_year, term, cluster_id, policy_file, url, out_dir, lang, time_limit_s, pins, forbids,
                          actor)
    publish_result(result)
    if calendar and cluster_id is not None and term is not None:
        result.calendar = plan_cluster_calendar(school_year, term, cluster_id, calendar_policy_file, url, out_dir,
                                                lang, calendar_time_limit_s, actor)
        publish_calendar(result.calendar)
    return result


# --- every cluster of the district, fanned out ----------------------------------------------------

@dataclass
class DistrictTermSchedule:
    """The district's term schedule: one result per cluster (in cluster order) and where they ran."""

    school_year: int
    term: int | None
    runner: str
    results: list[TermScheduleResult]
    failed: dict[str, str] = field(default_factory=dict)  # cluster → why its plan failed
    summary: str = ""
    files: list[str] = field(default_factory=list)

    @property
    def postings(self) -> int:
        return sum(r.postings for r in self.results)

    @property
    def leader_exchanges(self) -> int:
        return sum(r.leader_exchanges for r in self.results)


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def district_clusters(url: str) -> list[str]:
    """Every cluster of the district, in id order."""
    return cluster_ids(url)


@flow(name="plan-clusters", log_prints=True)
def plan_clusters(school_year: int, term: int | None, clusters: list[str], policy_file: str | None, url: str,
                  out_dir: str, lang: str, time_limit_s: float, actor: str, calendar: bool = False,
                  calendar_policy_file: str | None = None,
                  calendar_time_limit_s: float = 20.0) -> tuple[list[TermScheduleResult], dict[str, str]]:
    """One `plan_cluster` task per cluster, submitted at once to this flow's task runner; results in
    cluster order. A cluster whose plan fails does not stop the others: it is reported with its error.
    With `calendar` (and a term), then one `plan_cluster_calendar` task per cluster whose roster is
    stored (the calendar reads it), fanned out the same way."""
    futures = [plan_cluster.submit(school_year, term, cluster_id, policy_file, url, str(Path(out_dir) / cluster_id),
                                   lang, time_limit_s, None, None, actor)
               for cluster_id in clusters]
    wait(futures)
    results, failed = [], {}
    for cluster_id, future in zip(clusters, futures, strict=True):
        outcome = future.result(raise_on_failure=False)
        if isinstance(outcome, BaseException):
            failed[cluster_id] = f"{type(outcome).__name__}: {outcome}"
        else:
            results.append(outcome)
    if calendar and term is not None and results:
        planned = [r.scope.rsplit(":", 1)[1] for r in results]
        calendars = [plan_cluster_calendar.submit(school_year, term, cluster_id, calendar_policy_file, url,
                                                  str(Path(out_dir) / cluster_id), lang, calendar_time_limit_s, actor)
                     for cluster_id in planned]
        wait(calendars)
        for cluster_id, result, done in zip(planned, results, calendars, strict=True):
            answer = done.result(raise_on_failure=False)
            if isinstance(answer, BaseException):
                failed[cluster_id] = f"calendar {type(answer).__name__}: {answer}"
            else:
                result.calendar = answer
    return results, failed


@flow(name="district-term-schedule", log_prints=True)
def district_term_schedule(school_year: int = 2026, term: int | None = 1, clusters: list[str] | None = None,
                           policy_file: str | None = None, db_url: str | None = None, out_dir: str = "out/term",
                           lang: str = "zh", time_limit_s: float = 30.0,
                           actor: str = "term-schedule", calendar: bool = True,
                           calendar_policy_file: str | None = None,
                           calendar_time_limit_s: float = 20.0) -> DistrictTermSchedule:
    """Every cluster's roster (clusters None: every cluster of the district), each its own stored plan
    and folder `out_dir/<cluster_id>/`, and the district summary `out_dir/district_summary.md|csv`.
    Raises after writing the summary when a cluster's plan failed."""
    url = resolved_url(db_url)
    known = district_clusters(url)
    if not known:
        raise ValueError("the district has no clusters: import clusters.csv first")
    chosen = list(dict.fromkeys(clusters)) if clusters else known
    if unknown := [c for c in chosen if c not in known]:
        raise ValueError(f"unknown cluster {', '.join(unknown)}: the district has {', '.join(known)}")
    runner: Any = fan_out_runner(len(chosen))  # Prefect types a flow's runner by its futures
    where = describe_runner(runner)
    log(f"planning {len(chosen)} clusters on {where}")
    with api_for_workers():
        results, failed = plan_clusters.with_options(task_runner=runner)(
            school_year, term, chosen, policy_file, url, out_dir, lang, time_limit_s, actor, calendar,
            calendar_policy_file, calendar_time_limit_s)
    for result in results:
        publish_result(result)
        if result.calendar is not None:
            publish_calendar(result.calendar)
    district = DistrictTermSchedule(school_year, term, where, results, failed)
    district.summary = district_markdown(district, lang)
    district.files = write_district_summary(district, out_dir, lang)
    publish_markdown(f"rotation-{school_year}-{term or 'Y'}-district", district.summary,
                     f"学区轮岗汇总 district rotation summary {school_year}")
    log(f"district rotation {school_year}: {len(results)} clusters planned, {district.postings} postings, "
        f"{district.leader_exchanges} leader exchanges" + (f"; failed: {', '.join(failed)}" if failed else ""))
    if failed:
        raise RuntimeError("; ".join(f"{cluster}: {why}" for cluster, why in failed.items()))
    return district


DISTRICT_COLUMNS = {  # key → (中文表头, English header)
    "cluster_id": ("学区", "cluster"), "status": ("状态", "status"), "version": ("版本", "version"),
    "postings": ("交流教师", "postings"), "leader_exchanges": ("干部交流人次", "leader exchanges"),
    "relaxed": ("尽力方案", "best effort"), "violations": ("未说明的违规", "unexplained violations"),
    "attainment": ("达成情况", "attainment"), "activities": ("学区活动", "cluster activities"),
}


def district_frame(district: DistrictTermSchedule, lang: str = "zh") -> pd.DataFrame:
    """One row per cluster (a failed cluster: its error as the status)."""
    zh = lang == "zh"
    rows = []
    for result in district.results:
        rows.append({"cluster_id": result.scope.rsplit(":", 1)[1], "status": result.status,
                     "version": result.version, "postings": result.postings,
                     "leader_exchanges": result.leader_exchanges,
                     "relaxed": ("是" if zh else "yes") if result.relaxed else ("否" if zh else "no"),
                     "violations": len(result.violations), "attainment": result.attainment,
                     "activities": result.calendar.activities if result.calendar is not None else ""})
    for cluster_id, why in district.failed.items():
        rows.append({"cluster_id": cluster_id, "status": ("失败：" if zh else "FAILED: ") + why})
    frame = pd.DataFrame(rows, columns=list(DISTRICT_COLUMNS))
    return frame.rename(columns={k: v[0 if zh else 1] for k, v in DISTRICT_COLUMNS.items()})


def district_markdown(district: DistrictTermSchedule, lang: str = "zh") -> str:
    zh = lang == "zh"
    year, term = district.school_year, district.term
    count = len(district.results) + len(district.failed)
    if zh:
        lines = [f"# 学区交流轮岗汇总 {year}–{year + 1}" + (f"（第{term}学期）" if term else ""), "",
                 f"- {count} 个学区分别排班，运行于：{district.runner}",
                 f"- 交流教师合计 {district.postings} 人；干部交流合计 {district.leader_exchanges} 人次"]
        if district.failed:
            lines.append(f"- 失败 {len(district.failed)} 个学区：{'、'.join(district.failed)}")
    else:
        lines = [f"# District exchange rosters {year}–{year + 1}" + (f" (term {term})" if term else ""), "",
                 f"- {count} clusters planned separately, on: {district.runner}",
                 f"- {district.postings} teacher postings and {district.leader_exchanges} leader exchanges in all"]
        if district.failed:
            lines.append(f"- {len(district.failed)} clusters failed: {', '.join(district.failed)}")
    frame = district_frame(district, lang).astype(object)
    frame = frame.where(frame.notna(), "")
    lines += ["", "| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(value).replace("|", "/") for value in row) + " |")
    return "\n".join(lines) + "\n"


def write_district_summary(district: DistrictTermSchedule, out_dir: str | Path, lang: str = "zh") -> list[str]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "district_summary.md").write_text(district.summary, encoding="utf-8")
    safe_frame(district_frame(district, lang)).to_csv(out / "district_summary.csv", index=False, encoding="utf-8-sig")
    return [str(out / "district_summary.md"), str(out / "district_summary.csv")]
