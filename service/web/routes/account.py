"""Signing in and out, and the account page (language, password). Every change is audited."""
from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from models.audit import record
from models.db import session_scope
from models.users import AccountError, User, authenticate, change_password, set_language
from service.web import reads
from service.web.auth import Viewer, home_of, page_lang, safe_next, signed_in, viewer_or_none
from service.web.i18n import translator
from service.web.pages import render

router = APIRouter()
SignedIn = Annotated[Viewer, Depends(signed_in)]


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/")
def start(request: Request):
    viewer = viewer_or_none(request)
    return see_other(home_of(viewer) if viewer else "/login")


@router.get("/login")
def sign_in_page(request: Request, next: str | None = None):
    viewer = viewer_or_none(request)
    if viewer is not None:
        return see_other(safe_next(next) or home_of(viewer))
    return render(request, "login.html", None, next=safe_next(next) or "", name="", failed=False)


@router.post("/login")
async def sign_in(request: Request):
    form = await request.form()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    with session_scope(request.app.state.url) as session:
        session.info["actor"] = "web"
        user = authenticate(session, name, password)
        user_id = user.user_id if user else None
        must_change = user.must_change_password if user else False
        language = user.language if user else None
    if user_id is None:
        return render(request, "login.html", None, status_code=401, next=target or "", name=name, failed=True)
    chosen_lang = request.session.get("lang")
    request.session.clear()  # a fresh session (and CSRF token) for the signed-in person
    request.session.update({"user_id": user_id, "csrf": secrets.token_urlsafe(32)})
    if chosen_lang in ("zh", "en") and chosen_lang != language:
        request.session["lang"] = chosen_lang
    return see_other("/account" if must_change else (target or "/"))


@router.post("/logout")
def sign_out(request: Request):
    viewer = viewer_or_none(request)
    if viewer is not None:
        with session_scope(request.app.state.url) as session:
            session.info["actor"] = viewer.name
            record(session, "signout", "users", viewer.name)
    request.session.clear()
    return see_other("/login")


@router.get("/account")
def account_page(request: Request, viewer: SignedIn, done: str | None = None):
    return render(request, "account.html", viewer, done=done if done in ("password", "language") else None,
                  problem=None, scope_name=scope_name(request, viewer))


@router.post("/account/password")
async def account_password(request: Request, viewer: SignedIn):
    form = await request.form()
    try:
        with session_scope(request.app.state.url) as session:
            session.info["actor"] = viewer.name
            change_password(session, session.get_one(User, viewer.user_id), str(form.get("current", "")),
                            str(form.get("new", "")))
    except AccountError as error:
        return render(request, "account.html", viewer, status_code=400, done=None, problem=error,
                      scope_name=scope_name(request, viewer))
    return see_other("/account?done=password")


@router.post("/account/language")
async def account_language(request: Request, viewer: SignedIn):
    form = await request.form()
    try:
        with session_scope(request.app.state.url) as session:
            session.info["actor"] = viewer.name
            set_language(session, session.get_one(User, viewer.user_id), str(form.get("language", "")))
    except AccountError as error:
        return render(request, "account.html", viewer, status_code=400, done=None, problem=error,
                      scope_name=scope_name(request, viewer))
    request.session.pop("lang", None)  # the saved setting rules from now on
    return see_other("/account?done=language")


def scope_name(request: Request, viewer: Viewer) -> str:
    """What the viewer may see, by name: the district, a cluster, a school."""
    scope, url = viewer.scope, request.app.state.url
    if scope.district_wide:
        return translator(page_lang(request, viewer))("scope_district")
    if scope.role == "school" and scope.school_id:
        school = reads.school(url, scope.school_id)
        return school.name if school else scope.school_id
    if scope.cluster_id:
        return reads.cluster_name(url, scope.cluster_id) or scope.cluster_id
    return "–"


def sign_in_redirect(request: Request) -> RedirectResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return see_other(f"/login?next={quote(path, safe='')}")
