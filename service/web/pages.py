"""Rendering a page: the template, the viewer, the language, the CSRF token and the word helpers."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from service.web import i18n
from service.web.auth import Viewer, csrf_token, page_lang

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescape on for .html: names are text, never markup


def nav_items(viewer: Viewer | None) -> list[tuple[str, str]]:
    """(path, text key) of the menu a role has."""
    if viewer is None:
        return []
    if not viewer.scope.reads_district:
        return [("/mark", "marking_nav"), ("/account", "account")]
    enrollment = [("/enrollment", "enrollment")] if viewer.role == "bureau" else []
    return [("/district", "district"), ("/term", "rosters"), ("/exams", "exams"), ("/office/calendar", "calendar_nav"),
            ("/office/ledger", "ledger_nav"),
            *enrollment, ("/account", "account")]


def nav_section(path: str) -> str:
    """The menu entry a page belongs to when its path does not start with the entry's own
    (a cluster's calendar and meetings pages are under 学区活动)."""
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "office" and parts[2] in ("calendar", "meetings"):
        return "/office/calendar"
    return ""


def render(request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context):
    lang = page_lang(request, viewer)
    context |= {
        "viewer": viewer, "lang": lang, "t": i18n.translator(lang), "csrf_token": csrf_token(request),
        "vocab": lambda kind, code: i18n.vocab(kind, code, lang),
        "weekday": lambda day: i18n.weekday(day, lang),
        "term_label": lambda year, term: i18n.term_label(year, term, lang),
        "sep": "：" if lang == "zh" else ": ",
        "paren": (lambda text: f"（{text}）") if lang == "zh" else (lambda text: f" ({text})"),
        "nav": nav_items(viewer), "path": request.url.path, "section": nav_section(request.url.path),
        "other_lang": "en" if lang == "zh" else "zh",
        "lang_url": str(request.url.include_query_params(lang="en" if lang == "zh" else "zh"))
                    .removeprefix(f"{request.url.scheme}://{request.url.netloc}"),
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)
