"""Marking stages of the exam season as Prefect flows: ingest responses → mark (queue) → finalise scores.

The use cases are `app.marking_day` (`ingest`, `run_marking`, `finalise`); each flow runs one and
publishes what a person reads (the progress report) as artifacts.
"""
from __future__ import annotations

from prefect import flow

from app import marking_day
from app.stages import StageOutcome
from flows.common import log, publish_markdown, publish_table, resolved_url


@flow(name="ingest-responses", log_prints=True)
def ingest_stage(exam_id: str, db_url: str | None = None, responses_dir: str = "out/responses") -> StageOutcome:
    """Each school's response files into the database, checked all at once, all or nothing."""
    return marking_day.ingest(exam_id, resolved_url(db_url), responses_dir)


@flow(name="marking", log_prints=True)
def marking_stage(exam_id: str, db_url: str | None = None, out_dir: str = "out/marking", simulate: bool = False,
                  deadline_s: float = 3600.0, poll_s: float = 30.0, seed: int = 1,
                  responses_dir: str = "out/responses", logistics_policy_file: str | None = None,
                  max_simulated_days: int = 5) -> StageOutcome:
    """Open the queue and wait until every script is final (markers use the marker API meanwhile);
    simulated in the demo, day after day, up to `max_simulated_days`."""
    outcome = marking_day.run_marking(exam_id, resolved_url(db_url), out_dir, simulate, deadline_s, poll_s, seed,
                                      responses_dir, logistics_policy_file, max_simulated_days, say=log)
    progress = outcome.detail.get("progress")
    if progress:
        publish_markdown(f"{exam_id}-marking-progress", progress["markdown"], "阅卷进度")
        publish_table(f"{exam_id}-marking-groups", marking_day.progress_frame(progress),
                      "marking progress by item group")
    return outcome


@flow(name="finalise-scores", log_prints=True)
def finalise_stage(exam_id: str, db_url: str | None = None, out_dir: str = "out") -> StageOutcome:
    """Final item scores (objective auto-scored, subjective from their marks) and scores.csv."""
    return marking_day.finalise(exam_id, resolved_url(db_url), out_dir)
