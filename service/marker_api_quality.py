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

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy
from marking.queue import LeaseLost, MarkerRef, QueueError
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


LEADERS_ONLY = "只有题组长可以使用此功能"


def _error(status: int, code: str, message: str, **extra: Any) -> HTTPException:
    return HTTPException(status, {"code": code, "message": message, **extra})


def _queue_error(error: QueueError) -> HTTPException:
    """A queue refusal as the marker API words errors: a stable code and a Chinese message."""
    zh = getattr(error, "zh", None)
    if isinstance(error, NotFound):
        return _error(404, "not_found", zh or "没有找到请求的内容")
    if isinstance(error, AmbiguousMark):
        return _error(422, error.code, error.zh, marks=error.marks)
    if isinstance(error, LeaseLost):
        return _error(409, error.code, "这份答卷已不在您手中（已提交、已领取超时或已交给题组长）")
    return _error(409, error.code, zh or str(error))


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


Work = Callable[[str | None, Callable[[Session, MarkerRef], Any]], Awaitable[Any]]


def quality_router(work: Work, policy: MarkingPolicy, *, api: str = API) -> APIRouter:
    """The quality-control endpoints on the marker API's own `work(authorization, job)`: it checks the
    token and runs `job(session, marker)` on one pooled connection (service/marker_api.py)."""
    router = APIRouter(prefix=api)
    Lang = Annotated[Literal["zh", "en"], Query()]
    TeacherId = Annotated[str, Path(max_length=64)]
    Code = Annotated[str, Path(max_length=32)]

    async def run(request: Request, job: Callable[[Session, MarkerRef], Any], *, leaders: bool = False) -> Any:
        def guarded(db: Session, marker: MarkerRef) -> Any:
            if leaders and not marker.is_leader:
                raise _error(403, "leaders_only", LEADERS_ONLY)
            try:
                return job(db, marker)
            except QueueError as error:
                raise _queue_error(error) from error
            except TrialError as error:
                raise _error(409, error.code, error.zh) from error

        return await work(request.headers.get("authorization"), guarded)

    def member(db: Session, lead: MarkerRef, teacher_id: str) -> MarkerRef:
        row = db.get(Marker, (lead.exam_id, teacher_id))
        db.commit()
        if row is None or (row.subject, row.item_group) != (lead.subject, lead.item_group):
            raise _error(404, "not_found", f"教师 {teacher_id} 不在本题组阅卷")
        return MarkerRef(row.exam_id, row.teacher_id, row.school_id, row.subject, row.item_group, row.role)

    # --- markers ---

    @router.post("/tasks/{task_id}/problem")
    async def problem(task_id: Id, body: ProblemRequest, request: Request) -> dict[str, int]:
        return await run(request, lambda db, marker: {
            "problem_id": report_problem(db, marker, task_id, body.reason, body.note, policy=policy)})

    @router.get("/trial")
    async def trial(request: Request) -> dict[str, Any]:
        return await run(request, lambda db, marker: trial_status(db, marker, policy))

    @router.post("/trial/retake")
    async def retake(request: Request) -> dict[str, Any]:
        return await run(request, lambda db, marker: retake_trial(db, marker, policy))

    # --- leaders ---

    @router.get("/problems")
    async def problems(request: Request, all: bool = False) -> dict[str, Any]:  # noqa: A002
        return await run(request, lambda db, lead: {
            "problems": open_problems(db, lead, include_settled=all)}, leaders=True)

    @router.post("/problems/{problem_id}/resolve")
    async def resolve(problem_id: Id, body: ResolveRequest, request: Request) -> dict[str, Any]:
        if body.action == "score" and not body.scores:
            raise _error(422, "invalid_scores", "给问题卷评分时须给出各小题分数")
        return await run(request, lambda db, lead: resolve_problem(db, lead, problem_id, body.action, body.scores,
                                                                   body.note), leaders=True)

    @router.get("/group/markers")
    async def group_markers(request: Request, lang: Lang = "zh") -> dict[str, Any]:
        from marking.monitor import marker_rows

        def job(db: Session, lead: MarkerRef) -> dict[str, Any]:
            rows = marker_rows(db, lead.exam_id, policy=policy, subject=lead.subject, item_group=lead.item_group)
            return {"markers": [r.to_dict(lang) for r in rows], "thresholds": thresholds(policy)}

        return await run(request, job, leaders=True)

    @router.get("/group/markers/{teacher_id}/marks")
    async def recent_marks(teacher_id: TeacherId, request: Request,
                           limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        def job(db: Session, lead: MarkerRef) -> dict[str, Any]:
            member(db, lead, teacher_id)
            return {"teacher_id": teacher_id, "marks": marker_marks(db, lead, teacher_id, limit=limit)}

        return await run(request, job, leaders=True)

    @router.post("/group/markers/{teacher_id}/pause")
    async def pause(teacher_id: TeacherId, body: PauseRequest, request: Request) -> dict[str, Any]:
        def job(db: Session, lead: MarkerRef) -> dict[str, Any]:
            from models import audit

            target = member(db, lead, teacher_id)
            released = set_paused(db, target.exam_id, target.teacher_id, body.paused, body.reason, lead.teacher_id)
            db.info["actor"] = lead.teacher_id
            audit.record(db, "pause" if body.paused else "resume", "marking_marker", teacher_id,
                         {"reason": body.reason, "released": released})
            db.commit()
            return {"teacher_id": teacher_id, "paused": body.paused, "released": released}

        return await run(request, job, leaders=True)

    @router.post("/group/markers/{teacher_id}/trial")
    async def trial_decision(teacher_id: TeacherId, body: TrialDecision, request: Request) -> dict[str, Any]:
        def job(db: Session, lead: MarkerRef) -> dict[str, Any]:
            target = member(db, lead, teacher_id)
            if body.decision == "pass":
                waive_trial(db, target, lead.teacher_id)
                return trial_status(db, target, policy)
            return retake_trial(db, target, policy, leader=lead.teacher_id)

        return await run(request, job, leaders=True)

    @router.get("/group/scripts/{code}")
    async def script(code: Code, request: Request) -> dict[str, Any]:
        return await run(request, lambda db, lead: script_view(db, lead, code), leaders=True)

    @router.post("/group/scripts/{code}/return")
    async def return_script(code: Code, body: ReturnRequest, request: Request) -> dict[str, Any]:
        def job(db: Session, lead: MarkerRef) -> dict[str, Any]:
            if body.teacher_id is not None:
                member(db, lead, body.teacher_id)
            return return_mark(db, lead, code, body.reason, body.teacher_id)

        return await run(request, job, leaders=True)

    @router.post("/group/scripts/{code}/remark")
    async def remark(code: Code, body: RemarkRequest, request: Request) -> dict[str, Any]:
        return await run(request, lambda db, lead: leader_mark(db, lead, code, body.scores,
                                                               reason=body.reason or "remark"), leaders=True)

    @router.get("/group/unmarkable")
    async def unmarkable(request: Request, lang: Lang = "zh") -> dict[str, Any]:
        from marking.monitor import unmarkable_work

        def job(db: Session, lead: MarkerRef) -> dict[str, Any]:
            work_left = unmarkable_work(db, lead.exam_id, policy=policy, subject=lead.subject,
                                        item_group=lead.item_group)
            return {"unmarkable": [w.to_dict(lang) for w in work_left]}

        return await run(request, job, leaders=True)

    return router


def blocked_response(request: Request, error: Exception) -> JSONResponse:
    """`/next` of a marker who may not mark now: no task, and why (200, not an error)."""
    assert isinstance(error, MarkingBlocked)
    lang = request.query_params.get("lang", "zh")
    return JSONResponse({"task": None, "paused": True, "code": error.code, "reason": error.reason(lang)})


def install_quality_api(app: FastAPI, work: Work, policy: MarkingPolicy, *, api: str = API) -> None:
    """Add the quality-control endpoints to the marker API app, and its answer for a blocked marker."""
    app.include_router(quality_router(work, policy, api=api))
    app.add_exception_handler(MarkingBlocked, blocked_response)
