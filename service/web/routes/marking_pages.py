"""The marking pages (阅卷): the marker's page and the group leader's page (题组长).

Each is one HTML page and plain JavaScript (static/marking.js, marking_marker.js, marking_leader.js)
that calls the marker API by the address written into the page, `<body data-api="…">`:

- the console serves them at /mark and /mark/leader; the marker API is mounted at /api/marking, so the
  address is /api/marking/api/v1;
- `xuequ marking serve` (service/marker_site.py) serves them at / and /leader beside the API, so the
  address is /api/v1;
- behind a proxy that serves either under a prefix, the request's root_path goes in front (of the
  API address and of /static).

A console account with role marker linked to a teacher (`users.teacher_id`) marks without typing a
token: the page asks POST /api/console/marking/session, which issues the marker API token of that
teacher's registration (app/marking_session.py) and keeps it in the person's console session. Anyone
else types the token from the marking plan.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from app.marking_session import NotRegistered, marker_token, registrations
from service.web.auth import Viewer, csrf_token, home_of, page_lang, signed_in_api, viewer_or_none
from service.web.i18n_marking import page_words
from service.web.pages import templates

# The console's policy, plus blob: images: a scan is fetched with the marker's token and shown from memory.
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'")
LANG_COOKIE = "xuequ_marking_lang"

router = APIRouter()


def _lang_url(request: Request, lang: str) -> str:
    url = request.url.include_query_params(lang="en" if lang == "zh" else "zh")
    return str(url).removeprefix(f"{url.scheme}://{url.netloc}")


def marking_page(request: Request, page: str, *, lang: str, api_base: str, static: str, links: dict[str, str],
                 console: dict[str, str] | None = None):
    """The marker's (`page="marker"`) or the leader's page (`"leader"`), for the console or the standalone API."""
    words = page_words(lang)
    response = templates.TemplateResponse(request, f"marking/{page}.html", {
        "page": page, "lang": lang, "w": words, "words": words, "api_base": api_base, "static": static,
        "links": links, "console": console, "lang_url": _lang_url(request, lang)})
    response.headers["content-security-policy"] = PAGE_CSP
    response.headers["cache-control"] = "no-store"
    return response


# --- under the console ---------------------------------------------------------------------------------

def _console_page(request: Request, page: str):
    viewer = viewer_or_none(request)
    if viewer is not None and viewer.must_change_password:
        return RedirectResponse("/account", status_code=303)
    root = request.scope.get("root_path", "")
    console = None
    if viewer is not None:  # a marker account opens its teacher's marking by itself; others type a token
        console = {"session_url": f"{root}/api/console/marking/session" if viewer.role == "marker" else "",
                   "csrf": csrf_token(request), "logout": f"{root}/logout",
                   "home": root + ("/account" if viewer.role == "marker" else home_of(viewer))}
    return marking_page(request, page, lang=page_lang(request, viewer), api_base=f"{root}/api/marking/api/v1",
                        static=f"{root}/static", links={"marker": f"{root}/mark", "leader": f"{root}/mark/leader"},
                        console=console)


@router.get("/mark", include_in_schema=False)
def marker_page(request: Request):
    """The marker's page: open to anyone with a token; a linked marker account signs in by itself."""
    return _console_page(request, "marker")


@router.get("/mark/leader", include_in_schema=False)
def leader_page(request: Request):
    return _console_page(request, "leader")


@router.get("/marking", include_in_schema=False)
def old_marking_address():
    return RedirectResponse("/mark", status_code=303)


@router.post("/api/console/marking/session", summary="The marker API token of the signed-in marker account's teacher")
async def marking_session(request: Request, viewer: Annotated[Viewer, Depends(signed_in_api)]) -> dict[str, Any]:
    """{"token", "exam_id"} for the registration asked for (or the only one), else {"choices": [...]} to pick
    from. The token is kept in the console session: every tab of it gets the same one."""
    if viewer.role != "marker":
        raise HTTPException(403, "marker accounts only" if page_lang(request, viewer) == "en" else "仅限阅卷教师账户")
    try:
        asked = (await request.json()).get("exam_id")
    except ValueError:
        asked = None
    url = request.app.state.url
    found = registrations(url, viewer.user_id)  # NotLinked: a UserError, one line (400)
    if not found or (asked and asked not in {r.exam_id for r in found}):
        raise NotRegistered(viewer.name, asked)
    if not asked and len(found) > 1:
        return {"choices": [asdict(r) for r in found]}
    exam_id = asked or found[0].exam_id
    kept: dict[str, str] = dict(request.session.get("marker_tokens") or {})
    token = marker_token(url, viewer.user_id, exam_id, keep=kept.get(exam_id), actor=viewer.name)
    kept[exam_id] = token
    request.session["marker_tokens"] = kept
    return {"token": token, "exam_id": exam_id}


# --- beside the standalone marker API (`xuequ marking serve`) --------------------------------------------

def standalone_pages() -> APIRouter:
    """The pages at / and /leader of the standalone marker API; ?lang=en|zh is kept in a cookie."""
    pages = APIRouter()

    def serve(request: Request, page: str):
        asked = request.query_params.get("lang")
        lang = asked if asked in ("zh", "en") else request.cookies.get(LANG_COOKIE)
        lang = lang if lang in ("zh", "en") else "zh"
        root = request.scope.get("root_path", "")
        response = marking_page(request, page, lang=lang, api_base=f"{root}/api/v1", static=f"{root}/static",
                                links={"marker": f"{root}/", "leader": f"{root}/leader"})
        if asked in ("zh", "en"):
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax")
        return response

    @pages.get("/", include_in_schema=False)
    def marker(request: Request):
        return serve(request, "marker")

    @pages.get("/leader", include_in_schema=False)
    def leader(request: Request):
        return serve(request, "leader")

    @pages.get("/docs", include_in_schema=False)
    @pages.get("/redoc", include_in_schema=False)
    def api_docs(request: Request):
        """FastAPI's own /docs and /redoc load Swagger UI or ReDoc from a CDN (blank offline): the calls
        listed here from the OpenAPI schema instead, as the console's /docs does."""
        from html import escape

        from fastapi.responses import HTMLResponse

        from service.web.routes.api import endpoints

        root = request.scope.get("root_path", "")
        english = request.query_params.get("lang", request.cookies.get(LANG_COOKIE)) == "en"
        title = "xuequ marker API" if english else "阅卷接口说明（xuequ marker API）"
        rows = "".join(f"<tr><td><code>{escape(e['method'])}</code></td><td><code>{escape(root + e['path'])}"
                       f"</code></td><td>{escape(e['summary'])}</td></tr>" for e in endpoints(request.app.openapi()))
        head = ("Method", "Path", "What it does") if english else ("方法", "地址", "说明")
        return HTMLResponse(
            f'<!doctype html><html lang="{"en" if english else "zh-CN"}"><head><meta charset="utf-8">'
            f'<title>{title}</title><link rel="stylesheet" href="{root}/static/console.css"></head><body><main>'
            f'<h1>{title}</h1><p><a href="{root}/openapi.json">openapi.json</a></p><table class="grid"><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head) + f"</tr></thead><tbody>{rows}</tbody></table></main></body></html>")

    return pages
