"""Marker API (阅卷接口): the HTTP API marker clients use on marking day.

A marker logs in with the token issued when the marking plan was registered
(`marking.queue.register_markers`, `xuequ marking markers`, or one marker's `xuequ marking token`),
then sends it as `Authorization: Bearer <token>` on every call. Markers see only their own item
group's work and never a student's name or id nor a school (密封): a script is shown by its code
(密号), its text answers and its scanned answers by an opaque key (marking/scans.py).

    POST /api/v1/login                     {"token": ...} -> who I am
    GET  /api/v1/me                        who I am (exam, group, role, name, when my token expires)
    POST /api/v1/next                      lease my next script (the same one again if I hold one)
    POST /api/v1/tasks/{task_id}/marks     {"scores": {item_id: score}, "seconds": 42} (idempotent);
                                           with "next": true the answer's "next" is the next script (as
                                           /next answers): one request per script, what the page does
    POST /api/v1/tasks/{task_id}/release   give a script back unmarked
    GET  /api/v1/scans/{key}               a scanned answer of a script I hold (leaders: of my group)
    GET  /api/v1/me/progress               my marks, speed, agreement with my partner marks; my group
    GET  /api/v1/arbitration               leaders: my group's scripts waiting for arbitration (仲裁)
    POST /api/v1/arbitration/next          leaders: lease the next arbitration
    GET  /api/v1/group/progress            leaders: my group and its markers

Errors are `{"detail": {"code": ..., "message": ...}}` with a Chinese message: 401 unknown or
expired token, 403 not allowed, 404 nothing there, 409 lease lost or already marked, 413 body too
large, 422 invalid scores, ids or numbers (NaN, Infinity, task ids beyond 2^31), 500 without the
database's words.

Run: `xuequ marking serve` (uvicorn `service.marker_api:app`, database from XUEQU_DATABASE_URL,
pool from XUEQU_DB_POOL_SIZE / XUEQU_DB_MAX_OVERFLOW, scanned images from XUEQU_SCAN_ROOT).

Every request does its database work in one call on one pooled connection: the token's marker is
read with the work (one indexed read, no transaction round trips), in a small thread pool
(XUEQU_API_THREADS per worker, default 4) so that a worker's threads do not queue behind each other
for Python's GIL.
"""
from __future__ import annotations

import gc
import logging
import math
import os
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.labels import item_group_label
from marking.policy import MarkingPolicy, load_policy
from marking.progress import GROUP_COUNTS, MARKER_FIGURES, group_counts, group_figures, marker_figures
from marking.queue import (AlreadyMarked, Lease, LeaseLost, MarkerRef, NotFound, TokenExpired, UnknownToken,
                           authenticate, lease_next, release_lease, script_marks, submit_mark,
                           token_expiry)
from marking.queue.quality_store import MarkingBlocked
from marking.queue.serving import (arbitration_rows, exam_name, group_positions, marking_standard, scan_for,
                                   task_answers, teacher_name)
from marking.rules import InvalidScores
from marking.scans import media_type, scan_file
from models.db import database_url, make_engine
from service.marker_api_quality import install_quality_api

API = "/api/v1"
MAX_TASK_ID = 2 ** 31 - 1  # marking_task.task_id is a 32-bit integer
MAX_BODY_BYTES = 64 * 1024  # a mark is a few hundred bytes; anything this large is not a marker's request
DEFAULT_THREADS = 4
TOKEN_CACHE_SECONDS = 5.0  # a worker re-reads a token's marker this often (reissue and moves take effect then)
log = logging.getLogger(__name__)
T = TypeVar("T")

# Messages a marker reads (Chinese, as the page shows them); codes are stable for clients.
MESSAGES = {
    "unauthorized": "请先登录：请求需附带阅卷令牌（Authorization: Bearer <令牌>）",
    "unknown_token": "阅卷令牌无效（可能已重新发放）：请向阅卷负责人索取新的令牌",
    "token_expired": "阅卷令牌已过期（阅卷期已结束）：如需继续阅卷，请联系阅卷负责人重新发放令牌",
    "leaders_only": "只有题组长可以使用此功能",
    "lease_lost": "这份答卷已不在您手中（领取超时后已分给他人，或不属于您的题组）：请领取下一份",
    "already_marked": "您已评过这份答卷，同一份答卷不能由同一位教师评两次：已退回，请领取下一份",
    "invalid_scores": "评分无效",
    "invalid_request": "请求格式有误",
    "body_too_large": "请求内容过大",
    "not_found": "没有找到请求的内容",
    "not_open": "本题组尚未开启阅卷，请稍后再试",
    "scan_not_found": "没有这张答题卡图片",
    "scan_forbidden": "只有正在评阅这份答卷的教师或本题组组长可以查看这张图片",
    "scan_missing": "答题卡图片文件不在服务器上：请告知阅卷负责人（扫描文件夹 XUEQU_SCAN_ROOT）",
    "method_not_allowed": "不支持的请求方法",
    "server_error": "服务器暂时出错，请稍后重试；如反复出现请告知阅卷负责人",
}


def _error(status: int, code: str, message: str | None = None, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status, {"code": code, "message": message or MESSAGES[code]}, headers=headers)


api_error = _error  # raise api_error(409, "some_code", "中文说明") from any route of the marker API


# --- request and response bodies ------------------------------------------------------------------

Score = Annotated[float, Field(allow_inf_nan=False)]


class LoginRequest(BaseModel):
    token: str = Field(max_length=512)


class MarkerInfo(BaseModel):
    exam_id: str
    exam_name: str | None = None
    teacher_id: str  # the marker themself
    teacher_name: str | None = None  # the marker's own name (never a student's)
    subject: str
    item_group: str
    group_label: str  # 物理 第25–26题
    role: str
    expires_at: float | None = None  # unix seconds: the token stops working then (the end of the marking window)


class ItemView(BaseModel):
    item_id: str
    position: int  # 题号
    max_score: float
    score_step: float
    rubric: str | None = None


class StandardView(BaseModel):
    rubric: str  # 评分标准
    answer: str | None = None  # 参考答案 (the paper's key of the item), if any
    samples: list[dict[str, Any]] = Field(default_factory=list)  # 样例 [{score, answer}]: none held yet


class TaskView(BaseModel):
    task_id: int
    code: str  # 密号: the only name of the script a marker sees
    kind: str  # first, second, third, arbitration
    items: list[ItemView]
    answers: dict[str, str | None]  # item_id -> text answer (null: blank, or scanned: see scans)
    scans: dict[str, str] = Field(default_factory=dict)  # item_id -> "scans/<key>", relative to /api/v1/
    standard: dict[str, StandardView] = Field(default_factory=dict)  # item_id -> marking standard
    lease_expires_at: float  # unix seconds
    earlier_marks: list[dict[str, Any]] | None = None  # arbitration only: the marks so far


class NextResponse(BaseModel):
    task: TaskView | None


class FollowingTask(NextResponse):
    """The next script, leased in the same request as a submit (`"next": true`); or why there is none now
    (a paused marker, a failed trial: the shape `/next` answers with)."""

    paused: bool = False
    code: str | None = None
    reason: str | None = None


class MarkRequest(BaseModel):
    scores: dict[Annotated[str, Field(max_length=64)], Score] = Field(max_length=200)
    seconds: float | None = Field(default=None, ge=0, le=86400, allow_inf_nan=False,
                                  description="working time on the script, if known")
    next: bool = Field(default=False, description="also lease the next script and return it in `next`: "
                                                   "one request per mark instead of two (what the marker page does)")


class MarkResponse(BaseModel):
    mark_id: int
    task_id: int
    kind: str
    script_status: str
    duplicate: bool
    next: FollowingTask | None = None  # with `"next": true` in the request


TaskId = Annotated[int, PathParam(ge=1, le=MAX_TASK_ID)]


def _clean(value: Any) -> Any:
    """JSON-safe values (NaN becomes null)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


# --- request size ------------------------------------------------------------------------------------

class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes gets 413 before the app reads it."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):  # noqa: ANN001
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                await self._refuse(send)
                return
        body, sent = b"".join(chunks), False

        async def replay():  # noqa: ANN202
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send) -> None:  # noqa: ANN001
        response = JSONResponse(status_code=413, content={"detail": {
            "code": "body_too_large", "message": f"{MESSAGES['body_too_large']}（上限 {self.limit // 1024} KB）"}})
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


# --- the app -------------------------------------------------------------------------------------------

def _threads() -> int:
    value = os.environ.get("XUEQU_API_THREADS", "").strip()  # 0: no thread pool
    return int(value) if value.isdigit() else DEFAULT_THREADS


def create_app(url: str | None = None, *, policy: MarkingPolicy | None = None, pool_size: int | None = None,
               max_overflow: int | None = None, scan_root: str | Path | None = None,
               threads: int | None = None) -> FastAPI:
    """The marker API on the database at `url` (default: XUEQU_DATABASE_URL, resolved at first use).

    Pool: `pool_size` + `max_overflow` connections (default XUEQU_DB_POOL_SIZE, XUEQU_DB_MAX_OVERFLOW:
    5 + 5). Scanned images are served from `scan_root` (default XUEQU_SCAN_ROOT, else the working
    folder). `threads`: database calls at once (default XUEQU_API_THREADS, 4).
    """
    state: dict[str, Any] = {}
    marking_policy = policy or load_policy()
    threads = _threads() if threads is None else threads
    limiter = anyio.CapacityLimiter(threads) if threads > 0 else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        # The loaded code and data stay put for the worker's life: out of the collector's way, so a
        # full collection does not pause every request at once.
        gc.collect()
        gc.freeze()
        yield
        if "engine" in state:
            state["engine"].dispose()

    # no /docs nor /redoc of FastAPI's: they load Swagger UI and ReDoc from a CDN (blank offline); the
    # console and `xuequ marking serve` list the calls on pages of their own
    app = FastAPI(title="xuequ marker API (阅卷)", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit)

    def engine() -> Engine:
        if "engine" not in state:
            target = database_url(url)
            extra: dict[str, Any] = {}
            if not target.startswith("sqlite"):
                if pool_size is not None:
                    extra["pool_size"] = pool_size
                if max_overflow is not None:
                    extra["max_overflow"] = max_overflow
            state["engine"] = make_engine(target, **extra)
        return state["engine"]

    def scans_folder() -> Path:
        return Path(scan_root or os.environ.get("XUEQU_SCAN_ROOT") or ".")

    tokens: dict[str, tuple[MarkerRef, float | None, float]] = {}  # token -> marker, expiry, when read

    def marker_for(db: Session, token: str) -> MarkerRef:
        """The token's marker: read at most every TOKEN_CACHE_SECONDS per worker (a reissued token stops
        working within that time); the expiry is checked on every request."""
        now, seen = time.time(), tokens.get(token)
        if seen is None or now - seen[2] >= TOKEN_CACHE_SECONDS:
            try:
                marker, expires_at = authenticate(db, token, expiry=True)
            except (UnknownToken, TokenExpired) as error:
                tokens.pop(token, None)
                raise _error(401, error.code, headers={"WWW-Authenticate": "Bearer"}) from error
            if len(tokens) > 50000:
                tokens.clear()
            seen = tokens[token] = (marker, expires_at, now)
        if seen[1] is not None and seen[1] <= now:
            raise _error(401, "token_expired", headers={"WWW-Authenticate": "Bearer"})
        return seen[0]

    async def work(authorization: str | None, job: Callable[[Session, MarkerRef], T]) -> T:
        """Authenticate and do `job` on one pooled connection, in the API's thread pool."""
        if not authorization or not authorization.lower().startswith("bearer ") or \
                not authorization[7:].strip() or len(authorization) > 600:
            raise _error(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
        token = authorization[7:].strip()

        def run() -> T:
            with engine().connect() as connection, Session(bind=connection, expire_on_commit=False) as db:
                return job(db, marker_for(db, token))

        if limiter is None:  # threads=0: on the event loop itself (one request at a time per worker)
            return run()
        return await anyio.to_thread.run_sync(run, limiter=limiter)

    install_quality_api(app, work, marking_policy)  # 问题卷, 试评, 回评, monitoring: service/marker_api_quality.py

    def require_leader(marker: MarkerRef) -> None:
        if not marker.is_leader:
            raise _error(403, "leaders_only")

    def info(db: Session, marker: MarkerRef) -> MarkerInfo:
        return MarkerInfo(
            exam_id=marker.exam_id, exam_name=exam_name(db, marker.exam_id), teacher_id=marker.teacher_id,
            teacher_name=teacher_name(db, marker.teacher_id), subject=marker.subject, item_group=marker.item_group,
            group_label=item_group_label(marker.subject, group_positions(db, marker.exam_id, marker.subject,
                                                                         marker.item_group)),
            role=marker.role, expires_at=token_expiry(db, marker.exam_id, marker.teacher_id))

    def task_view(db: Session, marker: MarkerRef, lease: Lease) -> TaskView:
        # the task's own group: a teacher filling in under a best-effort plan marks another group's items
        subject, group = _task_group(db, marker, lease)
        answers, scans = task_answers(db, marker.exam_id, subject, group, lease.script_id, lease.code, lease.items)
        standard = marking_standard(db, marker.exam_id, subject, group)
        earlier = None
        if lease.kind == "arbitration":
            earlier = [{k: m[k] for k in ("kind", "scores", "total")} for m in script_marks(db, lease.script_id)]
            db.commit()
        return TaskView(task_id=lease.task_id, code=lease.code, kind=lease.kind,
                        items=[ItemView(item_id=i.item_id, position=i.position, max_score=i.max_score,
                                        score_step=i.step, rubric=i.rubric) for i in lease.items],
                        answers=answers, scans=scans,
                        standard={i.item_id: StandardView(**standard[i.item_id]) for i in lease.items
                                  if i.item_id in standard},
                        lease_expires_at=lease.lease_expires_at, earlier_marks=earlier)

    # --- errors: one shape, Chinese messages, nothing from the database -------------------------------

    async def call(request: Request, job: Callable[[Session, MarkerRef], T]) -> T:
        """For routers included in this app (e.g. the quality-control calls): `job(session, marker)` for the
        request's marker, authenticated, on one pooled connection in the API's thread pool."""
        return await work(request.headers.get("authorization"), job)

    app.state.call = call  # a route reaches it as request.app.state.call(request, job)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail: Any = error.detail
        if not isinstance(detail, dict):
            code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(error.status_code,
                                                                                        "invalid_request")
            detail = {"code": code, "message": MESSAGES[code]}
        return JSONResponse(status_code=error.status_code, content={"detail": detail},
                            headers=getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        # Name the field and what is wrong; never echo the input back.
        problems = []
        for problem in error.errors()[:5]:
            where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("body", "path", "query"))
            problems.append(f"{where or '请求'}：{_reason(problem)}")
        return JSONResponse(status_code=422, content={"detail": {
            "code": "invalid_request", "message": f"{MESSAGES['invalid_request']}：" + "；".join(problems)}})

    @app.exception_handler(InvalidScores)
    async def _invalid_scores(_request: Request, error: InvalidScores) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": {
            "code": "invalid_scores", "message": f"{MESSAGES['invalid_scores']}：{_scores_zh(str(error))}"}})

    @app.exception_handler(NotFound)
    async def _not_open(_request: Request, _error: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": {"code": "not_open",
                                                                 "message": MESSAGES["not_open"]}})

    @app.exception_handler(Exception)
    async def _server_error(_request: Request, error: Exception) -> JSONResponse:
        log.exception("marker API error", exc_info=error)
        return JSONResponse(status_code=500, content={"detail": {"code": "server_error",
                                                                 "message": MESSAGES["server_error"]}})

    # --- endpoints -------------------------------------------------------------------------------------

    @app.post(f"{API}/login", response_model=MarkerInfo)
    async def login(body: LoginRequest) -> MarkerInfo:
        return await work(f"Bearer {body.token}", info)

    @app.get(f"{API}/me", response_model=MarkerInfo)
    async def me(request: Request) -> MarkerInfo:
        return await work(request.headers.get("authorization"), info)

    @app.post(f"{API}/next", response_model=NextResponse)
    async def next_script(request: Request) -> NextResponse:
        def job(db: Session, marker: MarkerRef) -> NextResponse:
            lease = lease_next(db, marker, policy=marking_policy, resume=True)
            return NextResponse(task=None if lease is None else task_view(db, marker, lease))

        return await work(request.headers.get("authorization"), job)

    @app.post(f"{API}/tasks/{{task_id}}/marks", response_model=MarkResponse)
    async def submit(task_id: TaskId, body: MarkRequest, request: Request) -> MarkResponse:
        lang = request.query_params.get("lang", "zh")

        def job(db: Session, marker: MarkerRef) -> MarkResponse:
            try:
                result = submit_mark(db, marker, task_id, body.scores, policy=marking_policy, seconds=body.seconds)
            except (LeaseLost, AlreadyMarked) as error:
                raise _error(409, error.code) from error
            following = None
            if body.next:  # the mark has committed: a blocked marker still gets the mark's answer
                try:
                    lease = lease_next(db, marker, policy=marking_policy, resume=True)
                    following = FollowingTask(task=None if lease is None else task_view(db, marker, lease))
                except MarkingBlocked as blocked:
                    following = FollowingTask(task=None, paused=True, code=blocked.code, reason=blocked.reason(lang))
            return MarkResponse(mark_id=result.mark_id, task_id=result.task_id, kind=result.kind,
                                script_status=result.script_status, duplicate=result.duplicate, next=following)

        return await work(request.headers.get("authorization"), job)

    @app.post(f"{API}/tasks/{{task_id}}/release")
    async def release(task_id: TaskId, request: Request) -> dict[str, bool]:
        return await work(request.headers.get("authorization"),
                          lambda db, marker: {"released": release_lease(db, marker, task_id)})

    @app.get(f"{API}/scans/{{key}}", response_class=FileResponse)
    async def scan(key: Annotated[str, PathParam(max_length=64)], request: Request):  # noqa: ANN201
        access = await work(request.headers.get("authorization"), lambda db, marker: scan_for(db, marker, key))
        if not access.found:
            raise _error(404, "scan_not_found")
        if not access.allowed or access.reference is None:
            raise _error(403, "scan_forbidden")
        path = scan_file(scans_folder(), access.reference)
        if path is None:
            log.warning("scanned image not found under %s (key %s)", scans_folder(), key)
            raise _error(404, "scan_missing")
        return FileResponse(path, media_type=media_type(path), headers={"Cache-Control": "private, max-age=600"})

    @app.get(f"{API}/me/progress")
    async def my_progress(request: Request) -> dict[str, Any]:
        def job(db: Session, marker: MarkerRef) -> dict[str, Any]:
            mine = marker_figures(db, marker.exam_id, [marker.teacher_id])[marker.teacher_id]
            group = group_counts(db, marker.exam_id, marker.subject, marker.item_group)
            return {"marker": {k: _clean(mine[k]) for k in MARKER_FIGURES},
                    "group": {k: _clean(group[k]) for k in GROUP_COUNTS}}

        return await work(request.headers.get("authorization"), job)

    @app.get(f"{API}/arbitration")
    async def arbitration(request: Request) -> dict[str, Any]:
        def job(db: Session, marker: MarkerRef) -> dict[str, Any]:
            require_leader(marker)
            rows = arbitration_rows(db, marker)
            return {"waiting": sum(1 for r in rows if r["state"] == "waiting"), "scripts": rows}

        return await work(request.headers.get("authorization"), job)

    @app.post(f"{API}/arbitration/next", response_model=NextResponse)
    async def next_arbitration(request: Request) -> NextResponse:
        def job(db: Session, marker: MarkerRef) -> NextResponse:
            require_leader(marker)
            lease = lease_next(db, marker, kinds=("arbitration",), policy=marking_policy, resume=True)
            return NextResponse(task=None if lease is None else task_view(db, marker, lease))

        return await work(request.headers.get("authorization"), job)

    @app.get(f"{API}/group/progress")
    async def group_progress(request: Request) -> dict[str, Any]:
        def job(db: Session, marker: MarkerRef) -> dict[str, Any]:
            require_leader(marker)
            group, members = group_figures(db, marker.exam_id, marker.subject, marker.item_group,
                                           policy=marking_policy)
            return {"group": {k: _clean(v) for k, v in group.items()},
                    "markers": [{k: _clean(v) for k, v in m.items()} for m in members]}

        return await work(request.headers.get("authorization"), job)

    return app


def _task_group(db: Session, marker: MarkerRef, lease: Lease) -> tuple[str, str]:
    """The group of a leased task: the marker's own, or the one they fill in for (best-effort plans)."""
    from marking.queue import group_items

    own = group_items(db, marker.exam_id, marker.subject, marker.item_group)
    if {i.item_id for i in lease.items} <= {i.item_id for i in own}:
        return marker.subject, marker.item_group
    from marking.queue.leasing import _acting_for

    acting = _acting_for(db, marker, lease.task_id)
    return acting.subject, acting.item_group


def _reason(problem: dict) -> str:
    """A validation problem in Chinese (pydantic's type codes)."""
    kind = str(problem.get("type", ""))
    context = problem.get("ctx") or {}
    if kind == "finite_number":
        return "须为有限数（不可为 NaN 或 Infinity）"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {context.get('le', context.get('lt'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {context.get('ge', context.get('gt'))}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "须为整数"
    if kind in ("float_parsing", "float_type"):
        return "须为数字"
    if kind == "missing":
        return "缺少此项"
    if kind in ("string_too_long", "too_long"):
        return "过长"
    if kind in ("json_invalid", "model_attributes_type", "dict_type"):
        return "不是有效的 JSON 对象"
    return "格式不对"


def _scores_zh(message: str) -> str:
    """InvalidScores' detail in Chinese (marking/rules.py words it in English; ids and numbers kept)."""
    import re

    if match := re.match(r"item (\S+): score (\S+) outside 0–(\S+)", message):
        return f"小题 {match[1]} 的分数 {match[2]} 超出 0–{match[3]} 分"
    if match := re.match(r"item (\S+): score (\S+) is not a multiple of the step (\S+)", message):
        return f"小题 {match[1]} 的分数 {match[2]} 不是给分步长 {match[3]} 的整数倍"
    if match := re.match(r"item (\S+): score .* is not a number", message):
        return f"小题 {match[1]} 的分数不是数字"
    if match := re.match(r"scores must be given for exactly the items (\[[^]]*\])", message):
        return f"须为这些小题各给一个分数 {match[1]}"
    return message


app = create_app()
