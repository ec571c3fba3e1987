"""Marker API (阅卷接口): the HTTP API marker clients use on marking day.

A marker logs in with the token issued when the marking plan was registered
(`marking.queue.register_markers`, or `xuequ marking markers`), then sends it as
`Authorization: Bearer <token>` on every call. Markers see only their own item group's work and
never a student's name, id or school: a script is shown by its code (密号) and its answers.

    POST /api/v1/login                     {"token": ...} -> who I am
    GET  /api/v1/me                        who I am
    POST /api/v1/next                      lease my next script (the same one again if I hold one)
    POST /api/v1/tasks/{task_id}/marks     {"scores": {item_id: score}, "seconds": 42} (idempotent)
    POST /api/v1/tasks/{task_id}/release   give a script back unmarked
    GET  /api/v1/me/progress               my marks, speed, agreement with my partner marks; my group
    GET  /api/v1/arbitration               leaders: my group's scripts waiting for arbitration (仲裁)
    POST /api/v1/arbitration/next          leaders: lease the next arbitration
    GET  /api/v1/group/progress            leaders: my group and its markers

Run: `uvicorn service.marker_api:app` (database from XUEQU_DATABASE_URL).
"""

import math
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from marking.policy import MarkingPolicy, load_policy
from marking.progress import marker_progress, marking_progress
from marking.queue import (AlreadyMarked, Lease, LeaseLost, MarkerRef, arbitration_queue, lease_next,
                           marker_by_token, release_lease, script_answers, script_marks, submit_mark)
from marking.rules import InvalidScores
from models.db import database_url, make_engine
from service.marker_api_quality import install_quality_api

API = "/api/v1"


class LoginRequest(BaseModel):
    token: str


class MarkerInfo(BaseModel):
    exam_id: str
    teacher_id: str
    subject: str
    item_group: str
    role: str


class ItemView(BaseModel):
    item_id: str
    position: int  # 题号
    max_score: float
    score_step: float
    rubric: str | None = None


class TaskView(BaseModel):
    task_id: int
    code: str  # 密号: the only name of the script a marker sees
    kind: str  # first, second, third, arbitration
    items: list[ItemView]
    answers: dict[str, str | None]  # item_id -> answer (scan reference or text)
    lease_expires_at: float  # unix seconds
    earlier_marks: list[dict[str, Any]] | None = None  # arbitration only: the marks so far


class NextResponse(BaseModel):
    task: TaskView | None


class MarkRequest(BaseModel):
    scores: dict[str, float]
    seconds: float | None = Field(default=None, ge=0, description="working time on the script, if known")


class MarkResponse(BaseModel):
    mark_id: int
    task_id: int
    kind: str
    script_status: str
    duplicate: bool


def _clean(value: Any) -> Any:
    """JSON-safe values (NaN becomes null)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _records(frame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def create_app(url: str | None = None, *, policy: MarkingPolicy | None = None, pool_size: int = 20) -> FastAPI:
    """The marker API on the database at `url` (default: XUEQU_DATABASE_URL, resolved at first use)."""
    app = FastAPI(title="xuequ marker API (阅卷)", version="1")
    state: dict[str, Any] = {}

    def sessions() -> sessionmaker:
        if "factory" not in state:
            target = database_url(url)
            extra = {} if target.startswith("sqlite") else {"pool_size": pool_size, "max_overflow": pool_size}
            state["factory"] = sessionmaker(make_engine(target, **extra), expire_on_commit=False)
        return state["factory"]

    marking_policy = policy or load_policy()

    def session() -> Iterator[Session]:
        db = sessions()()
        try:
            yield db
        finally:
            db.close()

    DbSession = Annotated[Session, Depends(session)]

    def current_marker(db: DbSession, authorization: Annotated[str | None, Header()] = None) -> MarkerRef:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise HTTPException(401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
        marker = marker_by_token(db, authorization.split(" ", 1)[1].strip())
        db.commit()
        if marker is None:
            raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
        return marker

    Me = Annotated[MarkerRef, Depends(current_marker)]
    install_quality_api(app, session, current_marker, marking_policy)  # 问题卷, 试评, 回评, monitoring (mkqc)

    def leader(marker: Me) -> MarkerRef:
        if not marker.is_leader:
            raise HTTPException(403, "group leaders (题组长) only")
        return marker

    Leader = Annotated[MarkerRef, Depends(leader)]

    def info(marker: MarkerRef) -> MarkerInfo:
        return MarkerInfo(exam_id=marker.exam_id, teacher_id=marker.teacher_id, subject=marker.subject,
                          item_group=marker.item_group, role=marker.role)

    def task_view(db: Session, marker: MarkerRef, lease: Lease) -> TaskView:
        answers = script_answers(db, lease.script_id, lease.items)
        earlier = None
        if lease.kind == "arbitration":
            earlier = [{k: m[k] for k in ("kind", "scores", "total")} for m in script_marks(db, lease.script_id)]
        db.commit()
        return TaskView(task_id=lease.task_id, code=lease.code, kind=lease.kind,
                        items=[ItemView(item_id=i.item_id, position=i.position, max_score=i.max_score,
                                        score_step=i.step, rubric=i.rubric) for i in lease.items],
                        answers=answers, lease_expires_at=lease.lease_expires_at, earlier_marks=earlier)

    @app.exception_handler(InvalidScores)
    def _invalid(_request: Request, error: InvalidScores):  # noqa: ANN202
        from fastapi.responses import JSONResponse

        return JSONResponse(status_code=422, content={"detail": {"code": "invalid_scores", "message": str(error)}})

    @app.post(f"{API}/login", response_model=MarkerInfo)
    def login(body: LoginRequest, db: DbSession) -> MarkerInfo:
        marker = marker_by_token(db, body.token)
        db.commit()
        if marker is None:
            raise HTTPException(401, "unknown token")
        return info(marker)

    @app.get(f"{API}/me", response_model=MarkerInfo)
    def me(marker: Me) -> MarkerInfo:
        return info(marker)

    @app.post(f"{API}/next", response_model=NextResponse)
    def next_script(marker: Me, db: DbSession) -> NextResponse:
        lease = lease_next(db, marker, policy=marking_policy, resume=True)
        return NextResponse(task=None if lease is None else task_view(db, marker, lease))

    @app.post(f"{API}/tasks/{{task_id}}/marks", response_model=MarkResponse)
    def submit(task_id: int, body: MarkRequest, marker: Me, db: DbSession) -> MarkResponse:
        try:
            result = submit_mark(db, marker, task_id, body.scores, policy=marking_policy, seconds=body.seconds)
        except (LeaseLost, AlreadyMarked) as error:
            raise HTTPException(409, {"code": error.code, "message": str(error)}) from error
        return MarkResponse(mark_id=result.mark_id, task_id=result.task_id, kind=result.kind,
                            script_status=result.script_status, duplicate=result.duplicate)

    @app.post(f"{API}/tasks/{{task_id}}/release")
    def release(task_id: int, marker: Me, db: DbSession) -> dict[str, bool]:
        return {"released": release_lease(db, marker, task_id)}

    @app.get(f"{API}/me/progress")
    def my_progress(marker: Me, db: DbSession) -> dict[str, Any]:
        mine = marker_progress(db, marker.exam_id, policy=marking_policy)
        groups = marking_progress(db, marker.exam_id, policy=marking_policy)
        db.commit()
        row = mine[mine["teacher_id"] == marker.teacher_id]
        group = groups[(groups["subject"] == marker.subject) & (groups["item_group"] == marker.item_group)]
        keep = ["marks", "third_marks", "arbitrations", "median_seconds", "marks_per_hour", "paired",
                "agreement_rate", "mean_deviation"]
        shown = ["scripts", "final", "done_pct", "waiting_third", "waiting_arbitration", "leased"]
        return {"marker": {k: _clean(v) for k, v in row[keep].iloc[0].items()} if len(row) else {},
                "group": {k: _clean(v) for k, v in group[shown].iloc[0].items()} if len(group) else {}}

    @app.get(f"{API}/arbitration")
    def arbitration(marker: Leader, db: DbSession) -> dict[str, Any]:
        frame = arbitration_queue(db, marker)
        db.commit()
        rows = [{"task_id": r["task_id"], "code": r["code"], "state": r["state"], "items": r["items"],
                 "own_school": bool(r["own_school"]),
                 "marks": [{k: m[k] for k in ("kind", "scores", "total")} for m in r["marks"]]}
                for r in frame.to_dict("records")]
        return {"waiting": sum(1 for r in rows if r["state"] == "waiting"), "scripts": rows}

    @app.post(f"{API}/arbitration/next", response_model=NextResponse)
    def next_arbitration(marker: Leader, db: DbSession) -> NextResponse:
        lease = lease_next(db, marker, kinds=("arbitration",), policy=marking_policy, resume=True)
        return NextResponse(task=None if lease is None else task_view(db, marker, lease))

    @app.get(f"{API}/group/progress")
    def group_progress(marker: Leader, db: DbSession) -> dict[str, Any]:
        groups = marking_progress(db, marker.exam_id, policy=marking_policy)
        markers = marker_progress(db, marker.exam_id, policy=marking_policy)
        db.commit()
        group = groups[(groups["subject"] == marker.subject) & (groups["item_group"] == marker.item_group)]
        members = markers[(markers["subject"] == marker.subject) & (markers["item_group"] == marker.item_group)]
        return {"group": _records(group)[0] if len(group) else {}, "markers": _records(members)}

    return app


app = create_app()
