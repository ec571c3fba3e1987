"""Unified question setting (统一命题) as Prefect flows: the drafts, and the review pause.

The use cases are `app.paper_setting`; each flow runs them and adds what Prefect is for:
- `question-setting`: for each subject of the exam, the setting team and a draft paper, the
  subjects fanned out through the flow's task runner (flows/runners.py);
- `paper-approval`: pause for the research office's review (approve, reject with comments, swap
  items) in the Prefect UI or from `xuequ paper approve`, re-assemble after a rejection, lock the
  approved paper.
"""
from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from prefect import flow, task
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

# the use cases, named here for the flows' callers
from app.paper_setting import (ExamContext, apply_review, assemble_again, draft_to_review,  # noqa: F401
                               exam_context, papers_to_set, paper_state, setting_history, setting_outcome,
                               setting_tables, subject_label, waiting_for_review)
from app import paper_setting
from app.stages import StageOutcome
from flows.common import IO_RETRIES, log, publish_markdown, publish_table, resolved_url
from flows.runners import FanOutTaskRunner


class PaperReview(RunInput):
    """The research office's decision on a paper (a form in the Prefect UI, or `xuequ paper approve`)."""

    decision: Literal["approve", "reject", "swap"] = "approve"
    reviewer: str = "教研室"
    comment: str = ""
    remove_items: list[str] = []  # swap: items to take out; the rest of the paper stays


def review_key(subject: str, version: int, round_: int = 0) -> str:
    """The pause key of one paper version: the CLI resumes a paused run only for the paper it names.

    A review that leaves the draft as it was (a swap the blueprint cannot absorb) pauses again on the
    same version: each round needs its own key, since Prefect does not pause twice on one key (it
    would hand back the previous input instead).
    """
    return f"review-{subject}-v{version}" + (f"-r{round_}" if round_ else "")


FAN_OUT: Any = FanOutTaskRunner()  # chosen when each run starts (flows/runners.py); Prefect types runners by future


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def exam_facts(url: str, exam_id: str) -> ExamContext:
    """The exam's context: grade, year, kind, cluster schools, subjects and the policies in force."""
    return exam_context(url, exam_id)


@task
def assemble_subject(tables: dict[str, pd.DataFrame], facts: ExamContext, subject: str, history: dict[str, int],
                     lang: str, policy_file: str | None = None) -> dict:
    """Setting team and a paper for one subject (pure: tables in, plain result out)."""
    return paper_setting.assemble_subject(tables, facts, subject, history, lang, policy_file=policy_file)


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def save_draft(url: str, exam_id: str, subject: str, assembled: dict, actor: str) -> int:
    """Store the assembled paper as a new draft version; returns the version."""
    return paper_setting.save_draft(url, exam_id, subject, assembled, actor)


@flow(name="question-setting", log_prints=True, task_runner=FAN_OUT)
def question_setting(exam_id: str, db_url: str | None = None, lang: str = "zh",
                     policy_file: str | None = None) -> StageOutcome:
    """Setting team and a draft paper per subject; subjects that already have a paper are left alone."""
    url = resolved_url(db_url)
    facts = exam_facts(url, exam_id)
    tables = setting_tables(url)
    history = setting_history(url, facts.school_year, exam_id)
    teams, to_set = papers_to_set(url, facts)
    # Each subject's assembly stands alone (tables in, plain result out): all are submitted at once to
    # the flow's runner (flows.runners), then stored one by one in subject order.
    futures = [assemble_subject.submit(tables, facts, subject, history, lang, policy_file=policy_file)
               for subject in to_set]
    results = []
    for subject, future in zip(to_set, futures, strict=True):
        assembled = future.result()
        version = save_draft(url, exam_id, subject, assembled, actor="question-setting") if assembled["ok"] else None
        results.append((subject, assembled, version))
        if assembled["ok"] and assembled["team_frame"] is not None:
            publish_table(f"{exam_id}-{subject}-setting-team", assembled["team_frame"], f"{subject} 命题组")
    return setting_outcome(facts, teams, results, lang)


@flow(name="paper-approval", log_prints=True)
def paper_approval(exam_id: str, db_url: str | None = None, timeout_s: int = 3600, lang: str = "zh",
                   max_rounds: int = 5, policy_file: str | None = None) -> StageOutcome:
    """Pause for the review of every draft paper; reviews may also arrive by `xuequ paper approve`."""
    url = resolved_url(db_url)
    facts = exam_facts(url, exam_id)
    done = []
    for subject in facts["subjects"]:
        seen_version, round_ = None, 0
        for _ in range(max_rounds):
            status, version, summary = paper_state(url, exam_id, subject)
            if status == "locked":
                done.append(f"{subject} v{version}")
                break
            if status != "draft":
                return StageOutcome("approval", "blocked",
                                    f"{subject}: no draft paper to review; set one with `xuequ paper assemble "
                                    f"--exam {exam_id} --subject {subject}`, then rerun the season")
            round_ = round_ + 1 if version == seen_version else 0  # the same draft again: a new pause key
            seen_version = version
            publish_markdown(f"{exam_id}-{subject}-v{version}-for-review", summary, f"{subject} v{version} 待审核")
            log(f"waiting for the review of {subject} v{version}: approve in the Prefect UI or with "
                f"`xuequ paper approve --exam {exam_id} --subject {subject}`")
            try:
                review = pause_flow_run(wait_for_input=PaperReview, timeout=timeout_s, poll_interval=2,
                                        key=review_key(subject, version, round_))
            except FlowPauseTimeout:
                # Nobody reviewed in time: that is the season waiting for people, not a failure.
                _end_expired_pause()
                return waiting_for_review(url, facts, lang)
            log(apply_review(url, exam_id, subject, review, lang, policy_file=policy_file))
        else:
            return StageOutcome("approval", "blocked", f"{subject}: no approved paper after {max_rounds} reviews")
    return StageOutcome("approval", "done", f"locked: {', '.join(done)}")


def _end_expired_pause() -> None:
    """Put this run back to running after its pause expired, so that it ends Completed (as waiting).

    The API holds a run whose pause expired as paused, and fails it at its next state change ("The
    flow was completed and never resumed"); but nobody reviewing in time is the season waiting for
    people, not a failure. The orchestration rules refuse the change, hence `force`.
    """
    from prefect import get_client
    from prefect.context import FlowRunContext
    from prefect.states import Running

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    try:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(context.flow_run.id, Running(), force=True)
    except Exception as error:  # best effort: at worst the run shows Failed, the season still waits
        log(f"could not end the expired pause: {error}")


def submit_review(exam_id: str, subject: str, review: PaperReview, db_url: str | None = None,
                  lang: str = "zh", policy_file: str | None = None) -> str:
    """Hand a review to the paused `paper-approval` run waiting for this paper, or record it directly.

    With a Prefect server (PREFECT_API_URL) the paused run resumes with the review as its input and
    applies it itself. Without one, or when no run is waiting, the review is applied to the
    database here; the next season run carries on from it.
    """
    url = resolved_url(db_url)
    status, version = draft_to_review(url, exam_id, subject)
    if status != "draft":
        hint = ("" if status == "locked" else
                f"; set one with `xuequ paper assemble --exam {exam_id} --subject {subject}`")
        return f"{subject}: no draft paper to review (latest: {status or 'none'}){hint}"
    key = review_key(subject, version)
    run_id = _paused_review_run(exam_id, key)
    if run_id is not None:
        from prefect.flow_runs import resume_flow_run

        resume_flow_run(run_id, run_input=review.model_dump())
        return f"{subject} v{key.rsplit('v', 1)[1]}: review sent to the waiting flow run {run_id}"
    return apply_review(url, exam_id, subject, review, lang, policy_file=policy_file)


def _paused_review_run(exam_id: str, key: str):
    """The id of a paused paper-approval run of this exam waiting at `key`, if the API has one."""
    import asyncio

    from prefect import get_client
    from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return None  # no server: a paused run could only live in another process's temporary API

    async def find():
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["paper-approval"])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
            for run in runs:
                pause_key = run.state.state_details.pause_key if run.state else None
                if run.parameters.get("exam_id") == exam_id and pause_key and \
                        (pause_key == key or pause_key.startswith(key + "-r")):  # any round of this version
                    return run.id
            return None

    return asyncio.run(find())
