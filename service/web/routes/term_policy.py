"""The rotation policy of a cluster and term as a form (交流轮岗政策): every key with its help and the
value in force, saved as the cluster's next version for the term, and earlier versions brought back.

The value in force and where it comes from are `app.policies.resolve_in`'s; saving goes through
`app.policies.edit_policy` (the area's own validation, audited with the diff, actor = the signed-in
name); an invalid value shows the form again as sent, the message beside its key, and stores nothing;
"revert to version N" is `app.policies.revert_policy` (the old text becomes the next version).
"""
from __future__ import annotations

from fastapi import APIRouter, Request

from app.policies import SavedPolicy, edit_policy, resolve_in, revert_policy
from domain.policy import PolicyError
from models.db import session_scope
from service.web import reads_term
from service.web.auth import page_lang
from service.web.pages import render
from service.web.policy_form import assemble, field_of_error, policy_fields, with_values
from service.web.routes.district import Reader
from service.web.routes.term_access import planner_of, roster_url

router = APIRouter()
COMMENT_MAX = 200


def _in_force(url: str, cluster_id: str, school_year: int, term: int):
    with session_scope(url) as session:
        return resolve_in(session, "rotation", cluster_id=cluster_id, school_year=school_year, term=term)


def _page(request: Request, viewer, cluster_id: str, school_year: int, term: int, *, submitted=None,
          errors: dict[str, str] | None = None, saved: SavedPolicy | None = None, changes=(), unchanged: bool = False,
          status_code: int = 200):
    url = request.app.state.url
    name = planner_of(url, viewer, cluster_id)
    resolved = _in_force(url, cluster_id, school_year, term)
    fields = policy_fields(resolved.policy)
    if submitted is not None:
        fields = with_values(fields, submitted)
    errors = errors or {}
    known = {f.name for _, _, table_fields in fields for f in table_fields}
    return render(request, "term/policy.html", viewer, status_code=status_code, cluster_id=cluster_id,
                  cluster_name=name, school_year=school_year, term=term, fields=fields, errors=errors,
                  general_errors=[m for k, m in errors.items() if k not in known],
                  in_force=resolved.describe(page_lang(request, viewer)), saved=saved, changes=changes,
                  unchanged=unchanged or (saved is not None and saved.version is None),
                  versions=reads_term.stored_policy_versions(url, cluster_id, school_year, term),
                  roster_url=roster_url(cluster_id, school_year, term))


@router.get("/term/{cluster_id}/{school_year}/{term}/policy")
def policy_page(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    return _page(request, viewer, cluster_id, school_year, term)


@router.post("/term/{cluster_id}/{school_year}/{term}/policy")
async def save(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    url = request.app.state.url
    planner_of(url, viewer, cluster_id)  # before reading anything of the form
    lang = page_lang(request, viewer)
    form = await request.form()
    submitted = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    comment = (submitted.pop("comment", "") or "").strip()[:COMMENT_MAX] or None
    in_force = _in_force(url, cluster_id, school_year, term)
    text, errors, changes = assemble(policy_fields(in_force.policy), submitted, lang, base_text=in_force.text)
    saved = None
    if not errors and not changes:
        return _page(request, viewer, cluster_id, school_year, term, unchanged=True)
    if not errors:
        try:
            saved = edit_policy("rotation", cluster_id, school_year, term, text, actor=viewer.name, comment=comment,
                                url=url)
        except PolicyError as error:
            errors[field_of_error(error.table, error.key) or f"[{error.table or ''}]"] = error.line(lang)
    if errors:
        return _page(request, viewer, cluster_id, school_year, term, submitted=submitted, errors=errors,
                     status_code=422)
    return _page(request, viewer, cluster_id, school_year, term, saved=saved, changes=changes)


@router.post("/term/{cluster_id}/{school_year}/{term}/policy/revert")
async def revert(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    url = request.app.state.url
    planner_of(url, viewer, cluster_id)
    form = await request.form()
    raw = form.get("version")
    version = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    try:
        if version is None:
            raise KeyError(raw)
        saved = revert_policy("rotation", cluster_id, school_year, term, version, actor=viewer.name, url=url)
    except KeyError:
        lang = page_lang(request, viewer)
        message = f"没有第 {raw} 版" if lang == "zh" else f"there is no version {raw}"
        return _page(request, viewer, cluster_id, school_year, term, errors={"_revert": message}, status_code=422)
    return _page(request, viewer, cluster_id, school_year, term, saved=saved)
