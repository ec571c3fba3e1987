"""The term schedule (学期排班), run by the cluster office before each term or school year.

The use case is `app.term_planning.plan_rotation` (load → the policy in force → solve → check →
store a versioned plan → export); this flow runs it as a Prefect task, where retries, schedules and
the UI pay off, and publishes the roster as artifacts. `xuequ rotation plan` calls the same use case
in-process, without a Prefect server.
"""
from __future__ import annotations

from prefect import flow, task

from app.term_planning import TermScheduleResult, plan_rotation
from flows.common import log, publish_markdown, publish_table, resolved_url


@task
def plan_cluster(school_year: int, term: int | None, cluster_id: str | None, policy_file: str | None, url: str,
                 out_dir: str, lang: str, time_limit_s: float, pins: list[dict] | None, forbids: list[dict] | None,
                 actor: str) -> TermScheduleResult:
    """One scope's roster: the policy in force, CP-SAT (2 workers), the validator, a stored version, the files."""
    return plan_rotation(school_year, term, cluster_id, policy_file=policy_file, url=url, out_dir=out_dir, lang=lang,
                         time_limit_s=time_limit_s, pins=pins, forbids=forbids, actor=actor)


@flow(name="term-schedule", log_prints=True)
def term_schedule(school_year: int = 2026, term: int | None = 1, cluster_id: str | None = None,
                  policy_file: str | None = None, db_url: str | None = None, out_dir: str = "out/term",
                  lang: str = "zh", time_limit_s: float = 30.0, pins: list[dict] | None = None,
                  forbids: list[dict] | None = None, actor: str = "term-schedule") -> TermScheduleResult:
    """The exchange roster, leaders' days and principals' months for a term, stored and exported."""
    result = plan_cluster(school_year, term, cluster_id, policy_file, resolved_url(db_url), out_dir, lang,
                          time_limit_s, pins, forbids, actor)
    publish_markdown(f"rotation-{result.scope}", result.summary,
                     f"轮岗名单 rotation roster {result.scope} v{result.version}")
    if result.summary_table is not None:
        publish_table(f"rotation-summary-{result.scope}", result.summary_table)
    log(f"rotation {result.scope} v{result.version}: {result.status}, {result.postings} postings, "
        f"{result.leader_exchanges} leader exchanges, changed {result.changed}; {result.policy}")
    return result
