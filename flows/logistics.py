"""Joint-exam logistics stage (联考监考与阅卷安排) as a Prefect flow.

The use case is `app.exam_logistics.plan_logistics` (the policy in force → invigilation and marking
plans → validators → stored versions → files); the flow runs it as one task and publishes what a
person reads as artifacts. `xuequ invigilation plan` runs the same use case in-process.
"""
from __future__ import annotations

import pandas as pd
from prefect import flow, task

# The replans (pin, forbid, repair) and their helpers live in the service layer; named here for callers.
from app.exam_logistics import (LOGISTICS_TABLES, change_lines, invigilation_summary,  # noqa: F401
                                latest_invigilation, plan_logistics, replan_invigilation, store_logistics,
                                write_invigilation_files)
from app.stages import StageOutcome
from flows.common import publish_markdown, publish_table, resolved_url


@task
def plan_exam_logistics(exam_id: str, url: str, out_dir: str, lang: str, time_limit_s: float,
                        policy_file: str | None, actor: str) -> StageOutcome:
    """Invigilators for every room and session, marker groups for every item group (CP-SAT, 2 workers),
    each checked by its validator, stored and written."""
    return plan_logistics(exam_id, url, out_dir, lang, time_limit_s, policy_file, actor)


@flow(name="exam-logistics", log_prints=True)
def exam_logistics(exam_id: str, db_url: str | None = None, out_dir: str = "out/logistics", lang: str = "zh",
                   time_limit_s: float = 60.0, policy_file: str | None = None,
                   actor: str = "exam-logistics") -> StageOutcome:
    """Who invigilates which room and who marks which item group, fair to every school."""
    outcome = plan_exam_logistics(exam_id, resolved_url(db_url), out_dir, lang, time_limit_s, policy_file, actor)
    if outcome.detail.get("stats"):
        publish_table(f"{exam_id}-invigilation-stats", pd.DataFrame(outcome.detail["stats"]), "invigilation plan")
    if outcome.status in ("done", "blocked", "failed") and outcome.message:
        publish_markdown(f"{exam_id}-logistics", f"### 监考与阅卷安排\n\n{outcome.message}\n")
    return outcome
