"""Marker API, quality control (阅卷质量监控): problem scripts, trial marking, monitoring, pause, return, re-mark.

Same base (`/api/v1`) and token as service/marker_api.py, which includes it with one line
(`install_quality_api`). Markers:

    POST /tasks/{task_id}/problem            {"reason": "blank|illegible|off_topic|cheating|other", "note": str|null}
                                             → {"problem_id": n}; the script leaves my queue for the leader
    GET  /trial                              my trial marking (试评): required, state, done/total, results after
    POST /trial/retake                       a new trial round after a failed one (while retakes are left)

`POST /next` of a paused marker (or one whose trial failed) answers
`{"task": null, "paused": true, "code": "paused|trial_failed", "reason": "…"}`; trial scripts come
as tasks of kind "trial" (submitted like any task, `script_status` "trial"); 回评 and standard scripts
come as ordinary first marks.

Group leaders (题组长), their own group only:

    GET  /problems                           open problem scripts (?all=true: settled ones too)
    POST /problems/{problem_id}/resolve      {"action": "return"|"score", "scores": {...}|null, "note": str|null}
    GET  /group/markers                      per-marker figures and alerts, and the thresholds (?lang=en)
    GET  /group/markers/{teacher_id}/marks   a marker's latest marks (?limit=50), partner's total beside each
    POST /group/markers/{teacher_id}/pause   {"paused": true|false, "reason": str|null}
    POST /group/markers/{teacher_id}/trial   {"decision": "pass"|"retake"}: after a failed trial
    GET  /group/scripts/{code}               a script with its marks (by marker name), set-aside marks, problems
    POST /group/scripts/{code}/return        {"reason": str, "teacher_id": str|null}: that mark set aside, back to the queue
    POST /group/scripts/{code}/remark        {"scores": {...}, "reason": str|null}: the leader's mark is final
    GET  /group/unmarkable                   first/second/third marks and arbitrations nobody may give, as they arise

Errors: `{"detail": {"code": ..., "message": ...}}`: 404 not_found, 409 lease_lost / script_locked /
problem_settled / no_retakes, 422 invalid_scores / ambiguous_mark.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy
from marking.queue import MarkerRef, QueueError
from marking.queue.problems import open_problems, report_problem, resolve_problem
from marking.queue.quality_store import (MarkingBlocked, TrialError, retake_trial, set_paused, trial_status,
                                         waive_trial)
from marking.queue.remarking import AmbiguousMark, leader_mark, marker_marks, return_mark, script_view
from marking.queue.records import NotFound
from models.marking import Marker

API = "/api/v1"
Text = Annotated[str, Field(max_length=500)]
Id = Annotated[int, Path(ge=0, lt=2 ** 31)]  # a database integer: anything else is refused (422), never sent to SQL


class ProblemRequest(BaseModel):
    reason: Literal["blank", "illegible", "off_topic", "cheating", "other"]
    note: Text | None = None


class ResolveRequest(BaseModel):
    action: Literal["return", "score"]
    scores: dict[str, float] | None = None
    note: Text | None = None


class PauseRequest(BaseModel):
    paused: bool
    reason: Text | None = None


class TrialDecision(BaseModel):
    decision: Literal["pass", "retake"]


class ReturnRequest(BaseModel):
    reason: Text
    teacher_id: Annotated[str, Field(max_length=64)] | None = None


class RemarkRequest(BaseModel):
    scores: dict[str, float]
    reason: Text | None = None


def _error(status: int, code: str, message: str) -> HTTPException:
    return HTTPException(status, {"code": code, "message": message})


def _queue_error(error: QueueError) -> HTTPException:
    if isinstance(error, NotFound):
        return _error(404, "not_found", str(error))
    if isinstance(error, AmbiguousMark):
        return HTTPException(422, {"code": error.code, "message": str(error), "marks": error.marks})
    return _error(409, error.code, str(error))


def thresholds(policy: MarkingPolicy) -> dict[str, float | int]:
    """The alert thresholds in force (the leader's page shows them beside the figures)."""
    q, p = policy.quality, policy.progress
    return {"agreement_min": p.min_agreement, "min_paired_marks": p.min_paired_marks,
            "mean_deviation_max_share": p.max_mean_deviation_share, "third_rate_max": q.third_rate_max,
            "spread_ratio_min": q.spread_ratio_min, "self_consistency_min": q.self_consistency_min,
            "standard_accuracy_min": q.standard_accuracy_min, "fast_ratio_min": q.fast_ratio_min,
            "min_marks_before_alerts": q.min_marks_before_alerts,
            "min_checks_before_alerts": q.min_checks_before_alerts, "trial_tolerance": q.trial_tolerance,
            "trial_pass_share": q.trial_pass_share}


def quality_router(session: Callable[..., Any], current_marker: Callable[..., Any], policy: MarkingPolicy, *,
                   api: str = API, scans: Callable[[Session, int, Any], dict] | None = None) -> APIRouter:
    """The quality-control endpoints, on the marker API's own session and token dependencies.

    `scans(db, script_id, items)`: the scan URLs of a script's items (the marker API's opaque scan keys),
    added to problem scripts and script views when given."""
    router = APIRouter(prefix=api)
    DbSession = Annotated[Session, Depends(session)]
    Me = Annotated[MarkerRef, Depends(current_marker)]

    def leader(marker: Me) -> MarkerRef:
        if not marker.is_leader:
            raise HTTPException(403, "group leaders (题组长) only")
        return marker

    Leader = Annotated[MarkerRef, Depends(leader)]
    Lang = Annotated[Literal["zh", "en"], Query()]

    def member(db: Session, lead: MarkerRef, teacher_id: str) -> MarkerRef:
        row = db.get(Marker, (lead.exam_id, teacher_id))
        db.commit()
        if row is None or (row.subject, row.item_group) != (lead.subject, lead.item_group):
            raise _error(404, "not_found", f"teacher {teacher_id} does not mark in this group")
        return MarkerRef(row.exam_id, row.teacher_id, row.school_id, row.subject, row.item_group, row.role)

    # --- markers ---

    @router.post("/tasks/{task_id}/problem")
    def problem(task_id: Id, body: ProblemRequest, marker: Me, db: DbSession) -> dict[str, int]:
        try:
            return {"problem_id": report_problem(db, marker, task_id, body.reason, body.note, policy=policy)}
        except QueueError as error:
            raise _queue_error(error) from error

    @router.get("/trial")
    def trial(marker: Me, db: DbSession) -> dict[str, Any]:
        return trial_status(db, marker, policy)

    @router.post("/trial/retake")
    def retake(marker: Me, db: DbSession) -> dict[str, Any]:
        try:
            return retake_trial(db, marker, policy)
        except TrialError as error:
            raise _error(409, error.code, error.en) from error

    # --- leaders ---

    @router.get("/problems")
    def problems(lead: Leader, db: DbSession, all: bool = False) -> dict[str, Any]:  # noqa: A002
        return {"problems": open_problems(db, lead, include_settled=all, scans=scans)}

    @router.post("/problems/{problem_id}/resolve")
    def resolve(problem_id: Id, body: ResolveRequest, lead: Leader, db: DbSession) -> dict[str, Any]:
        if body.action == "score" and not body.scores:
            raise _error(422, "invalid_scores", "scores are needed to score a problem script")
        try:
            return resolve_problem(db, lead, problem_id, body.action, body.scores, body.note)
        except QueueError as error:
            raise _queue_error(error) from error

    @router.get("/group/markers")
    def group_markers(lead: Leader, db: DbSession, lang: Lang = "zh") -> dict[str, Any]:
        from marking.monitor import marker_rows

        rows = marker_rows(db, lead.exam_id, policy=policy, subject=lead.subject, item_group=lead.item_group)
        return {"markers": [r.to_dict(lang) for r in rows], "thresholds": thresholds(policy)}

    @router.get("/group/markers/{teacher_id}/marks")
    def recent_marks(teacher_id: Annotated[str, Path(max_length=64)], lead: Leader, db: DbSession,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        member(db, lead, teacher_id)
        return {"teacher_id": teacher_id, "marks": marker_marks(db, lead, teacher_id, limit=limit)}

    @router.post("/group/markers/{teacher_id}/pause")
    def pause(teacher_id: Annotated[str, Path(max_length=64)], body: PauseRequest, lead: Leader, db: DbSession) -> dict[str, Any]:
        target = member(db, lead, teacher_id)
        released = set_paused(db, target.exam_id, target.teacher_id, body.paused, body.reason, lead.teacher_id)
        from models import audit

        db.info["actor"] = lead.teacher_id
        audit.record(db, "pause" if body.paused else "resume", "marking_marker", teacher_id,
                     {"reason": body.reason, "released": released})
        db.commit()
        return {"teacher_id": teacher_id, "paused": body.paused, "released": released}

    @router.post("/group/markers/{teacher_id}/trial")
    def trial_decision(teacher_id: Annotated[str, Path(max_length=64)], body: TrialDecision, lead: Leader, db: DbSession) -> dict[str, Any]:
        target = member(db, lead, teacher_id)
        if body.decision == "pass":
            waive_trial(db, target, lead.teacher_id)
            return trial_status(db, target, policy)
        try:
            return retake_trial(db, target, policy, leader=lead.teacher_id)
        except TrialError as error:
            raise _error(409, error.code, error.en) from error

    @router.get("/group/scripts/{code}")
    def script(code: Annotated[str, Path(max_length=32)], lead: Leader, db: DbSession) -> dict[str, Any]:
        try:
            return script_view(db, lead, code, scans=scans)
        except QueueError as error:
            raise _queue_error(error) from error

    @router.post("/group/scripts/{code}/return")
    def return_script(code: Annotated[str, Path(max_length=32)], body: ReturnRequest, lead: Leader, db: DbSession) -> dict[str, Any]:
        if body.teacher_id is not None:
            member(db, lead, body.teacher_id)
        try:
            return return_mark(db, lead, code, body.reason, body.teacher_id)
        except QueueError as error:
            raise _queue_error(error) from error

    @router.post("/group/scripts/{code}/remark")
    def remark(code: Annotated[str, Path(max_length=32)], body: RemarkRequest, lead: Leader, db: DbSession) -> dict[str, Any]:
        try:
            return leader_mark(db, lead, code, body.scores, reason=body.reason or "remark")
        except QueueError as error:
            raise _queue_error(error) from error

    @router.get("/group/unmarkable")
    def unmarkable(lead: Leader, db: DbSession, lang: Lang = "zh") -> dict[str, Any]:
        from marking.monitor import unmarkable_work

        work = unmarkable_work(db, lead.exam_id, policy=policy, subject=lead.subject, item_group=lead.item_group)
        return {"unmarkable": [w.to_dict(lang) for w in work]}

    return router


def blocked_response(request: Request, error: Exception) -> JSONResponse:
    """`/next` of a marker who may not mark now: no task, and why (200, not an error)."""
    assert isinstance(error, MarkingBlocked)
    lang = request.query_params.get("lang", "zh")
    return JSONResponse({"task": None, "paused": True, "code": error.code, "reason": error.reason(lang)})


def install_quality_api(app: FastAPI, session: Callable[..., Any], current_marker: Callable[..., Any],
                        policy: MarkingPolicy, *, api: str = API,
                        scans: Callable[[Session, int, Any], dict] | None = None) -> None:
    """Add the quality-control endpoints to the marker API app, and its answer for a blocked marker."""
    app.include_router(quality_router(session, current_marker, policy, api=api, scans=scans))
    app.add_exception_handler(MarkingBlocked, blocked_response)

