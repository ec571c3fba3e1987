"""What-if runs of a cluster's roster (情景方案): run a named scenario, compare, adopt one.

A scenario changes one policy value and/or forbids or pins a teacher for one run
(`app.scenarios.run_rotation_scenario`, stored beside the current plan, never over it); the comparison
is `compare_rotation`'s rows and column titles, the current plan first; "adopt" is `adopt_scenario`
(the scenario's plan becomes the next current version, audited, actor = the signed-in name).
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request

from app.errors import UserError
from app.policies import parse_policy, resolve_in
from app.scenarios import adopt_scenario, compare_rotation, run_rotation_scenario
from app.term_planning import plan_scope
from domain.labels import label
from domain.policy import PolicyError
from models.db import session_scope
from service.web import reads_term
from service.web.auth import Viewer, page_lang
from service.web.i18n import translator
from service.web.pages import render
from service.web.policy_form import policy_fields, set_value
from service.web.routes.account import see_other
from service.web.routes.district import Reader
from service.web.routes.term_access import planner_of, roster_url, time_limit

router = APIRouter()


def _comparison(url: str, cluster_id: str, school_year: int, term: int, lang: str):
    """(headers, rows, adoptable scenario names in column order), or None when there is nothing to compare."""
    try:
        compared = compare_rotation(school_year, term, cluster_id, url=url)
    except UserError:  # no plan and no scenario yet
        return None
    frame = compared.frame(lang, text=True)
    return list(frame.columns), frame.values.tolist(), [c.name for c in compared.columns]


def _page(request: Request, viewer: Viewer, cluster_id: str, school_year: int, term: int, *,
          form: dict[str, str] | None = None, errors: dict[str, str] | None = None, ran=None, status_code: int = 200):
    url = request.app.state.url
    name = planner_of(url, viewer, cluster_id)
    lang = page_lang(request, viewer)
    with session_scope(url) as session:
        resolved = resolve_in(session, "rotation", cluster_id=cluster_id, school_year=school_year, term=term)
    keys = [(f.name, f.value, f.help.text(lang)) for _, _, fields in policy_fields(resolved.policy) for f in fields
            if f.table]  # the format version and the edition's name change no roster
    return render(request, "term/whatif.html", viewer, status_code=status_code, cluster_id=cluster_id,
                  cluster_name=name, school_year=school_year, term=term, keys=keys, form=form or {},
                  errors=errors or {}, ran=ran, comparison=_comparison(url, cluster_id, school_year, term, lang),
                  teachers=reads_term.cluster_teachers(url, cluster_id),
                  schools=reads_term.cluster_schools(url, cluster_id), in_force=resolved.describe(lang),
                  roster_url=roster_url(cluster_id, school_year, term),
                  solver=lambda ran: (translator(lang)("best_effort_status") if ran.relaxed
                                      else label("solver_status", ran.status or "", lang)))


@router.get("/term/{cluster_id}/{school_year}/{term}/whatif")
def whatif_page(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    return _page(request, viewer, cluster_id, school_year, term)


@router.post("/term/{cluster_id}/{school_year}/{term}/whatif")
async def run(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    url = request.app.state.url
    planner_of(url, viewer, cluster_id)
    lang = page_lang(request, viewer)
    zh = lang == "zh"
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
    errors: dict[str, str] = {}
    teachers, schools = {t for t, _, _ in reads_term.cluster_teachers(url, cluster_id)}, dict(
        reads_term.cluster_schools(url, cluster_id))
    forbids = [{"teacher_id": form["forbid_teacher"]}] if form.get("forbid_teacher") else []
    pins = ([{"teacher_id": form["pin_teacher"], "to_school_id": form.get("pin_school") or None}]
            if form.get("pin_teacher") else [])
    for decision, field in ((forbids, "forbid_teacher"), (pins, "pin_teacher")):
        if decision and (decision[0]["teacher_id"] not in teachers
                         or decision[0].get("to_school_id") not in (None, *schools)):
            errors[field] = "不是本学区的教师或学校" if zh else "not a teacher or school of this cluster"
    text = None
    if form.get("policy_key"):
        with session_scope(url) as session:
            in_force = resolve_in(session, "rotation", cluster_id=cluster_id, school_year=school_year, term=term)
        text, problem = set_value(in_force.policy, in_force.text, form["policy_key"], form.get("policy_value", ""),
                                  lang)
        if problem:
            errors["policy_value"] = problem
        else:
            try:
                parse_policy("rotation", text)
            except PolicyError as error:
                errors["policy_value"] = error.line(lang)
    if not (text or forbids or pins) and not errors:
        errors["policy_key"] = ("请至少改一个政策值，或禁止、指定一名教师" if zh
                                else "change a policy value, or forbid or pin a teacher")
    if errors:
        return _page(request, viewer, cluster_id, school_year, term, form=form, errors=errors, status_code=422)
    try:
        with tempfile.TemporaryDirectory(prefix="xuequ-web-whatif-") as folder:
            policy_file = None
            if text is not None:
                # the file's name is what the comparison shows of the scenario's policy: say what changed
                change = re.sub(r"[^\w.=\-]", "_", f"{form['policy_key']}={form.get('policy_value', '')}")[:80]
                policy_file = Path(folder) / f"{change}.toml"  # never a separator: the file stays in `folder`
                policy_file.write_text(text, encoding="utf-8")
            ran = run_rotation_scenario(form.get("name", ""), school_year, term, cluster_id,
                                        policy_file=str(policy_file) if policy_file else None, pins=pins or None,
                                        forbids=forbids or None, url=url, lang=lang, time_limit_s=time_limit(request),
                                        actor=viewer.name)
    except UserError as error:
        return _page(request, viewer, cluster_id, school_year, term, form=form, errors={"name": error.line(lang)},
                     status_code=422)
    return _page(request, viewer, cluster_id, school_year, term, ran=ran)


@router.post("/term/{cluster_id}/{school_year}/{term}/whatif/adopt")
async def adopt(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    url = request.app.state.url
    planner_of(url, viewer, cluster_id)
    raw = (await request.form()).get("name")
    name = raw if isinstance(raw, str) else ""
    try:
        adopted = adopt_scenario("rotation", name, plan_scope(school_year, term, cluster_id), actor=viewer.name,
                                 url=url)
    except UserError as error:
        return _page(request, viewer, cluster_id, school_year, term, errors={"adopt": error.line(page_lang(request, viewer))},
                     status_code=422)
    request.session["planned"] = {"version": adopted.version, "what": "adopt", "scenario": adopted.name,
                                  "violations": 0}
    return see_other(roster_url(cluster_id, school_year, term))
