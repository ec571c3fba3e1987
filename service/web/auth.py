"""Who is asking, and may they: the signed-in viewer from the session cookie, CSRF, and refusals.

The session lives in a signed cookie (Starlette's SessionMiddleware, itsdangerous): it holds the
user's id, a CSRF token and a language chosen with `?lang=`. The user row is read again on every
request, so a deactivated account or a school moved to another cluster takes effect at once.
Every form carries the session's CSRF token; every unsafe request (POST, PUT, PATCH, DELETE) without
it is refused before any handler runs (`csrf_protect`, a dependency of the whole app).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request

from models.db import session_scope
from models.users import Scope, User, scope_of

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the pages need them (no password hash leaves the repository)."""

    user_id: int
    name: str
    role: str
    scope: Scope
    language: str
    must_change_password: bool


class SignInRequired(Exception):
    """No one is signed in: pages go to the sign-in page, JSON endpoints answer 401."""


class PasswordChangeRequired(Exception):
    """Signed in with a one-time password: every page but the account page waits for a new one."""


class CsrfRefused(Exception):
    """An unsafe request without the session's CSRF token: refused, nothing changed."""


def forbidden() -> HTTPException:
    return HTTPException(403, "forbidden")


def not_found() -> HTTPException:
    return HTTPException(404, "not found")


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made at first need, e.g. when the sign-in form is shown)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse any unsafe request whose form field or X-CSRF-Token header is not the session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)  # the form is cached: the handler reads it again
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRefused()


def viewer_or_none(request: Request) -> Viewer | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    with session_scope(request.app.state.url) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            request.session.pop("user_id", None)
            return None
        return Viewer(user.user_id, user.name, user.role, scope_of(session, user), user.language,
                      user.must_change_password)


def signed_in(request: Request) -> Viewer:
    """A page's viewer; without one the page sends the person to sign in, and back here after."""
    viewer = viewer_or_none(request)
    if viewer is None:
        raise SignInRequired()
    if viewer.must_change_password and not request.url.path.startswith("/account"):
        raise PasswordChangeRequired()
    return viewer


def signed_in_api(request: Request) -> Viewer:
    """A JSON endpoint's viewer; 401 without one (no redirect for a program)."""
    viewer = viewer_or_none(request)
    if viewer is None:
        raise HTTPException(401, "sign in first")
    if viewer.must_change_password:
        raise HTTPException(403, "change the one-time password first")
    return viewer


def reader(viewer: Viewer) -> Viewer:
    """The district pages are not for markers."""
    if not viewer.scope.reads_district:
        raise forbidden()
    return viewer


def page_lang(request: Request, viewer: Viewer | None = None) -> str:
    """`?lang=en|zh` (kept for the session), else the session's choice, else the user's setting, else Chinese."""
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        request.session["lang"] = asked
        return asked
    chosen = request.session.get("lang")
    if chosen in ("zh", "en"):
        return chosen
    return viewer.language if viewer is not None and viewer.language in ("zh", "en") else "zh"


def home_of(viewer: Viewer) -> str:
    """Where a person lands after signing in: the widest page their role may read."""
    scope = viewer.scope
    if scope.role == "marker":
        return "/mark"
    if scope.role == "school" and scope.school_id:
        return f"/district/schools/{scope.school_id}"
    if scope.district_wide:
        return "/district"
    if scope.cluster_id:
        return f"/district/clusters/{scope.cluster_id}"
    return "/account"


def safe_next(target: str | None) -> str | None:
    """A redirect target after sign-in, only when it is a path on this site (no //host, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
