"""The exam season (run by the bureau): it reads like the table of contents of the pipeline.

setting → approval → invigilation and marking plans → ingest responses → marking → finalise
scores → analysis and reports. Every stage is its own flow (rerun it alone), records where it
stands in `season_stage`, and is skipped on a rerun once done; so a crash loses nothing and a
rerun continues where the season stopped. A stage waiting for people (the paper review) leaves
the season waiting, not failed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow
from prefect.exceptions import FlowPauseTimeout

from app.stages import STAGES as SEASON_STAGES, StageOutcome
from flows.common import log, publish_markdown, record_stage, resolved_url, run_stage
from flows.question_setting import paper_approval, question_setting

STAGES = tuple(name for name, _, _ in SEASON_STAGES)  # pipeline order (app/stages.py)


@dataclass
class SeasonResult:
    exam_id: str
    status: str  # done, partial (stages skipped), waiting, blocked, failed
    stages: list[StageOutcome] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## 考试季 exam season {self.exam_id}: {self.status}", "", "| 阶段 stage | 状态 status | 说明 |",
                 "|---|---|---|"]
        lines += [f"| {s.stage} | {s.status} | {s.message} |" for s in self.stages]
        return "\n".join(lines)


def _approval_stage(url: str, exam_id: str, timeout_s: int, lang: str, reviewer: str | None,
                    policy_file: str | None = None) -> StageOutcome:
    """Run the review pause; a review that does not arrive in time leaves the season waiting.

    With `reviewer` (the demo's simulated research office) every draft is approved in that name first,
    recorded in the audit log like any review, and the pause finds nothing left to wait for.
    """
    if reviewer:
        from app.paper_setting import Review, apply_review, exam_context

        for subject in exam_context(url, exam_id).subjects:
            log(apply_review(url, exam_id, subject, Review(reviewer=reviewer, comment="模拟审核 simulated review"),
                             lang, policy_file=policy_file))
    state = paper_approval(exam_id, db_url=url, timeout_s=timeout_s, lang=lang, policy_file=policy_file,
                           return_state=True)
    if state.is_completed():
        return state.result()  # done, blocked, or waiting (the pause timed out: paper_approval says so)
    try:
        state.result()
    except FlowPauseTimeout:
        pass
    except Exception as error:  # a pause the server itself timed out (Prefect fails a run never resumed)
        if "never resumed" not in str(error) and "no longer be resumed" not in str(error):
            raise
    from app.paper_setting import exam_context, waiting_for_review

    return waiting_for_review(url, exam_context(url, exam_id), lang)


@flow(name="exam-season", log_prints=True)
def exam_season(exam_id: str, db_url: str | None = None, out_dir: str = "out", lang: str = "zh",
                approval_timeout_s: int = 3600, reviewer: str | None = None, simulate: bool = False,
                seed: int = 1, logistics_policy_file: str | None = None,
                policy_files: dict[str, str] | None = None) -> SeasonResult:
    """The whole season for one joint exam, stage by stage; stops at the first stage that waits or blocks.

    policy_files: area → policy TOML (exam_logistics, question_setting, analysis); the defaults otherwise.
    """
    url = resolved_url(db_url)
    out = Path(out_dir)
    files = dict(policy_files or {})
    if logistics_policy_file:
        files["exam_logistics"] = logistics_policy_file
    setting_policy = files.get("question_setting")
    result = SeasonResult(exam_id, "done")
    stage_bodies = {
        "setting": lambda: question_setting(exam_id, db_url=url, lang=lang, policy_file=setting_policy),
        "approval": lambda: _approval_stage(url, exam_id, approval_timeout_s, lang, reviewer, setting_policy),
    }
    stage_bodies.update(_later_stage_bodies(exam_id, url, out, lang, simulate, seed, files))
    for stage in STAGES:
        body = stage_bodies.get(stage)
        if body is None:
            outcome = StageOutcome(stage, "skipped", "not built yet; skipped, nothing was produced")
            record_stage(url, exam_id, outcome)
            log(f"[{stage}] skipped: not built yet")
        else:
            outcome = run_stage(url, exam_id, stage, body)
        result.stages.append(outcome)
        if outcome.status in ("waiting", "blocked", "failed"):
            result.status = outcome.status
            break
    if result.status == "done" and any(s.status == "skipped" for s in result.stages):
        result.status = "partial"  # some stages are not built: say so rather than "done"
    publish_markdown(f"{exam_id}-season", result.markdown(), "exam season")
    return result


def _later_stage_bodies(exam_id: str, url: str, out: Path, lang: str, simulate: bool, seed: int,
                        policy_files: dict[str, str]) -> dict:
    """Stages after approval: logistics, ingest, marking, finalise, analysis (each its own flow)."""
    from flows.exam_analysis import exam_analysis
    from flows.logistics import exam_logistics
    from flows.marking_stage import finalise_stage, ingest_stage, marking_stage

    responses = str(out / "responses")
    return {
        "logistics": lambda: exam_logistics(exam_id, db_url=url, out_dir=str(out / "logistics"), lang=lang,
                                            policy_file=policy_files.get("exam_logistics")),
        "ingest": lambda: ingest_stage(exam_id, db_url=url, responses_dir=responses),
        "marking": lambda: marking_stage(exam_id, db_url=url, out_dir=str(out / "marking"), simulate=simulate,
                                         seed=seed, responses_dir=responses,
                                         logistics_policy_file=policy_files.get("exam_logistics")),
        "finalise": lambda: finalise_stage(exam_id, db_url=url, out_dir=str(out)),
        "analysis": lambda: exam_analysis(exam_id, db_url=url, out_dir=str(out / "report"), lang=lang,
                                          policy_file=policy_files.get("analysis")),
    }
