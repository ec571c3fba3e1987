"""The web console as a FastAPI app: `create_app(url)`; `xuequ web` serves it with uvicorn.

Sessions are signed cookies (SessionMiddleware; the key from XUEQU_WEB_SECRET, else made at start,
so a restart signs everyone out). Every unsafe request needs the session's CSRF token. Every
response forbids loading anything from another host (Content-Security-Policy 'self'), so a page
that would need the internet fails in the tests rather than at a school without it. The marker
API is mounted unchanged under /api/marking.
"""
from __future__ import annotations

import os
import secrets

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from app.errors import UserError
from models.db import DatabaseNotReady, database_url
from service.web.auth import (CsrfRefused, PasswordChangeRequired, SignInRequired, csrf_protect, page_lang,
                              viewer_or_none)
from service.web.i18n import TEXTS
from service.web.pages import STATIC, render
from service.web.routes import (account, api, district, district_data, enrollment, exams, formation, marking_pages,
                               office, office_calendar, term)

SESSION_COOKIE = "xuequ_session"
SESSION_HOURS = 8  # a working day; then sign in again
SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                  b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'")),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the headers above to every response (pages, static files, the mounted marker API)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS if name not in present]
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(url: str | None = None, *, secret_key: str | None = None, marker_api: bool = True) -> FastAPI:
    """The console on the database at `url` (default: XUEQU_DATABASE_URL, else sqlite:///xuequ.db)."""
    app = FastAPI(title="xuequ 学区 console", version="1", docs_url=None, redoc_url=None,
                  dependencies=[Depends(csrf_protect)])
    app.state.url = database_url(url)
    secret = secret_key or os.environ.get("XUEQU_WEB_SECRET") or secrets.token_urlsafe(32)
    app.add_middleware(district_data.UploadLimit,  # inside the session (added first = innermost)
                       paths=(district_data.IMPORT_PATH, enrollment.UPLOAD_PATH))
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=False)
    app.add_middleware(SecurityHeaders)

    for routes in (account.router, district.router, exams.router, exams.api, term.router, api.router, api.pages,
                   marking_pages.router):
        app.include_router(routes)
    app.include_router(district_data.router)
    app.include_router(enrollment.router)
    app.include_router(formation.router)
    app.include_router(office.router)
    app.include_router(office_calendar.router)
    app.include_router(office_calendar.feeds)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if marker_api:
        from service.marker_api import create_app as create_marker_api

        app.state.marker_api = create_marker_api(app.state.url)
        app.mount("/api/marking", app.state.marker_api)  # after /api/marking/docs, which stays ours

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _error: SignInRequired):
        return account.sign_in_redirect(request)

    @app.exception_handler(PasswordChangeRequired)
    async def _password(_request: Request, _error: PasswordChangeRequired):
        return RedirectResponse("/account", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _error: CsrfRefused):
        if _wants_json(request):
            return JSONResponse({"detail": "CSRF token missing or wrong"}, status_code=403)
        return _error_page(request, 403, "csrf_refused")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        if _wants_json(request):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)
        key = {403: "forbidden", 404: "not_found"}.get(error.status_code)
        return _error_page(request, error.status_code, key, None if key else str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        if _wants_json(request):
            return JSONResponse({"detail": error.errors()}, status_code=422)
        return _error_page(request, 404, "not_found")  # a malformed address is no page

    @app.exception_handler(UserError)
    async def _refused(request: Request, error: UserError):
        lang = page_lang(request)
        if _wants_json(request):
            return JSONResponse({"detail": error.line(lang)}, status_code=400)
        return _error_page(request, 400, None, error.line(lang))

    @app.exception_handler(DatabaseNotReady)
    async def _not_ready(request: Request, error: DatabaseNotReady):
        return render(request, "error.html", None, status_code=503, key=None, text=error.render(page_lang(request)),
                      status=503, known=set(TEXTS))  # no viewer: the database that holds them is the problem

    return app


def _error_page(request: Request, status: int, key: str | None, text: str | None = None):
    viewer = viewer_or_none(request)
    return render(request, "error.html", viewer, status_code=status, key=key, text=text or str(status), status=status,
                  known=set(TEXTS))
