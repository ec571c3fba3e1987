"""Cluster formation (学区划分) in the console: the bureau proposes the district's clusters, reads them on
a map and a table beside today's, and downloads the proposal as a bundle to import.

The proposal runs `app.cluster_formation.propose_formation` (the same use case as `xuequ clusters
propose`) under the district's formation policy in force; nothing is written to the database. The
latest proposals are kept in this server process (`app.state.formations`, at most MAX_KEPT), each under
a random token in its address, so a reload shows the same proposal and a restart forgets it. The
bundle download holds only bundle files (clusters.csv, schools.csv as proposed, every other file as in
the database), so the district data page accepts it as it is; the summary is a download of its own.
Those who see the whole district (the bureau, a district planner) may propose: only the bureau imports.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
import tempfile
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from app.cluster_formation import FormationOutcome, propose_formation, proposal_bundle
from app.errors import UserError
from bundle.io import write_bundle
from domain.labels import label
from models.audit import record
from models.db import session_scope
from service.web import reads
from service.web.auth import Viewer, forbidden, not_found, page_lang, signed_in
from service.web.formation_view import formation_view
from service.web.i18n import add_texts
from service.web.pages import render
from service.web.routes.account import see_other
from service.web.routes.district_data import _attachment

router = APIRouter()
PAGE = "/district/formation"
MAX_KEPT = 8  # proposals kept in memory (each holds the district's schools and the solver's result)
TIME_LIMITS = (10, 30, 60)  # seconds the page offers
DEFAULT_TIME_LIMIT = 30
MAX_PIN_TEXT = 2000  # characters of the pin fields read

FORMATION_TEXTS: dict[str, tuple[str, str]] = {
    "formation": ("学区划分", "Cluster formation"),
    "formation_intro": ("按“城乡统筹、强弱搭配、相对就近”提出全区的学区划分方案：每个学区不超过规定的学校数，"
                        "学区长学校为本区最强的学校；方案与现有学区按同样的指标比较。方案只是建议，下载后在"
                        "“数据包导入与导出”页面导入才会生效。",
                        "Proposes the district's clusters: urban with rural, strong with weak, relatively close; "
                        "at most the policy's schools a cluster, each led by its strongest school; compared with "
                        "today's clusters on the same measures. A proposal changes nothing until its bundle is "
                        "imported on the district data page."),
    "formation_policy": ("学区划分政策", "Formation policy"),
    "clusters_count": ("学区个数（留空为自动）", "Number of clusters (blank: automatic)"),
    "pin_together": ("指定同一学区（每行一组，学校名称或编号，用逗号或顿号分隔）",
                     "Pinned together (a group a line, school names or ids, separated by commas)"),
    "pin_lead": ("指定为学区长学校（学校名称或编号，用逗号或顿号分隔）", "Pinned leads (school names or ids, comma-separated)"),
    "time_limit": ("求解时限", "Solver time"),
    "seconds": ("{n} 秒", "{n} s"),
    "propose": ("生成方案", "Propose"),
    "proposal_of": ("方案：{n} 所学校分为 {k} 个学区", "Proposal: {n} schools in {k} clusters"),
    "proposal_facts": ("{status}，用时 {seconds} 秒；{policy}；{who} 于 {when} 生成", "{status} in {seconds} s; {policy}; "
                       "made by {who} at {when}"),
    "solved_in_regions": ("按地理分 {n} 片分别求解", "solved in {n} regions by geography"),
    "compared": ("与现有学区比较", "Beside today's clusters"),
    "measure": ("指标", "Measure"),
    "today": ("现有学区", "Today"),
    "proposal": ("方案", "Proposal"),
    "better": ("比较", "Better"),
    "better_proposal": ("方案更好", "proposal"),
    "better_today": ("现状更好", "today"),
    "better_same": ("相同", "same"),
    "better_none": ("–", "–"),
    "map_today": ("现有学区", "Today's clusters"),
    "map_proposal": ("方案", "The proposal"),
    "map_legend": ("圆点为学校，方块为学区长学校，连线指向所属学区长学校；同色为同一学区（沿用的学区颜色不变）。",
                   "A dot is a school, a square a lead; lines join members to their lead; one colour a cluster "
                   "(a continued cluster keeps its colour)."),
    "proposed_clusters": ("方案中的学区", "The proposed clusters"),
    "tiers": ("优质/一般/薄弱", "Quality/ordinary/weak"),
    "localities": ("城区/乡镇/农村", "Urban/township/rural"),
    "cluster_students": ("学生数", "Students"),
    "farthest_km": ("最远（公里）", "Farthest (km)"),
    "continues": ("沿用", "Continues"),
    "new_cluster": ("新设", "new"),
    "shortfalls": ("未能满足的规则及原因", "Rules the proposal cannot keep, and why"),
    "all_rules_kept": ("政策的各项规则全部满足。", "The proposal keeps every rule of the policy."),
    "policy_key_of": ("政策项 {name}", "policy key {name}"),
    "not_proved": ("未经计数证明", "not proved by a count"),
    "moved_schools": ("换学区的学校：{n} 所。", "Schools changing cluster: {n}."),
    "retired": ("现有学区 {names} 在方案中不再有学校；数据包保留其编号（联考、政策、账户可能引用）。",
                "Today's {names} keep(s) no school; the bundle keeps the id (exams, policies, accounts may name it)."),
    "download_bundle": ("下载方案数据包（zip，可在“数据包导入与导出”页面直接导入）",
                        "Download the proposal's bundle (zip, imports as it is on the district data page)"),
    "download_summary": ("下载方案说明（Markdown）", "Download the summary (Markdown)"),
    "import_hint": ("采纳方案：把数据包上传到“数据包导入与导出”页面（仅教育局账户）。",
                    "To adopt it, upload the bundle on the district data page (bureau accounts only)."),
    "proposal_gone": ("该方案已不在服务器上（服务重启或方案过多），请重新生成。",
                      "That proposal is no longer kept (a restart, or too many since): propose again."),
    "formation_refused": ("未生成方案：", "No proposal: "),
    "unknown_schools": ("全区没有这些学校：{names}", "No such school in the district: {names}"),
    "validator_defect": ("独立校验发现方案未说明的问题：{lines}", "The independent check found unreported problems: {lines}"),
}
add_texts(FORMATION_TEXTS, "formation page (service/web/routes/formation.py)")


def district_keeper(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    """The whole district's clusters are for those who see the whole district (the bureau, a district planner)."""
    if not viewer.scope.district_wide:
        raise forbidden()
    return viewer


Keeper = Annotated[Viewer, Depends(district_keeper)]


@dataclass(frozen=True)
class Kept:
    outcome: FormationOutcome
    actor: str
    at: dt.datetime


def _kept(request: Request) -> OrderedDict[str, Kept]:
    if not hasattr(request.app.state, "formations"):
        request.app.state.formations = OrderedDict()
    return request.app.state.formations


def _split(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，、;；\s]+", text) if t.strip()]


def resolve_schools(schools: list[reads.SchoolRow], tokens: list[str]) -> tuple[list[str], list[str]]:
    """Names or ids → ids; the tokens that are neither."""
    by_name = {s.name: s.school_id for s in schools}
    ids = {s.school_id for s in schools}
    found, unknown = [], []
    for token in tokens:
        if token in ids:
            found.append(token)
        elif token in by_name:
            found.append(by_name[token])
        else:
            unknown.append(token)
    return found, unknown


def _page(request: Request, viewer: Viewer, status_code: int = 200, **context):
    url = request.app.state.url
    defaults = {"kept": None, "view": None, "token": None, "error": None,
                "form": {"clusters": "", "together": "", "leads": "", "time_limit": str(DEFAULT_TIME_LIMIT)}}
    return render(request, "district/formation.html", viewer, status_code=status_code,
                  district_name=reads.district_name(url), time_limits=TIME_LIMITS,
                  school_names=[s.name for s in reads.visible_schools(url, viewer.scope)], **(defaults | context))


@router.get(PAGE)
def formation_page(request: Request, viewer: Keeper, proposal: str | None = None):
    if proposal is None:
        return _page(request, viewer)
    kept = _kept(request).get(proposal)
    if kept is None:
        return _page(request, viewer, status_code=404, error=FORMATION_TEXTS["proposal_gone"][
            1 if page_lang(request, viewer) == "en" else 0])
    lang = page_lang(request, viewer)
    result = kept.outcome.result
    status = label("plan_status", "greedy", lang) if result.status == "GREEDY" else \
        label("solver_status", result.status, lang)
    names = {c.cluster_id: c.name for c in kept.outcome.data.clusters}
    retired = ("、" if lang == "zh" else ", ").join(names.get(c, c) for c in result.plan.retired)
    return _page(request, viewer, kept=kept, view=formation_view(kept.outcome), token=proposal,
                 form=result.stats.get("form", {}), solver_status=status, retired_names=retired)


@router.post(PAGE)
async def propose(request: Request, viewer: Keeper):
    form = await request.form()
    lang = page_lang(request, viewer)
    fields = {k: str(form.get(k) or "")[:MAX_PIN_TEXT] for k in ("clusters", "together", "leads", "time_limit")}
    url = request.app.state.url
    schools = reads.visible_schools(url, viewer.scope)
    groups = [_split(line) for line in fields["together"].splitlines() if _split(line)]
    together: list[str] = []
    unknown: list[str] = []
    for group in groups:
        ids, missing = resolve_schools(schools, group)
        together.append(",".join(ids))
        unknown += missing
    lead_ids, missing = resolve_schools(schools, _split(fields["leads"]))
    leads, unknown = lead_ids, unknown + missing
    clusters = int(fields["clusters"]) if fields["clusters"].strip().isdigit() else None
    time_limit = int(fields["time_limit"]) if fields["time_limit"].isdigit() and int(fields["time_limit"]) in \
        TIME_LIMITS else DEFAULT_TIME_LIMIT
    if unknown:
        text = FORMATION_TEXTS["unknown_schools"][1 if lang == "en" else 0].format(
            names=("、" if lang == "zh" else ", ").join(unknown))
        return _page(request, viewer, status_code=400, error=text, form=fields)
    try:
        outcome = await run_in_threadpool(propose_formation, url=url, together=together, leads=leads,
                                          clusters=clusters or None, time_limit_s=float(time_limit), lang=lang)
    except UserError as error:
        return _page(request, viewer, status_code=400, error=error.line(lang), form=fields)
    outcome.result.stats["form"] = fields  # the page shows what was asked beside the proposal
    kept = _kept(request)
    token = secrets.token_urlsafe(12)
    kept[token] = Kept(outcome, viewer.name, dt.datetime.now())
    while len(kept) > MAX_KEPT:
        kept.popitem(last=False)
    return see_other(f"{PAGE}?proposal={token}")


def _outcome(request: Request, token: str) -> FormationOutcome:
    kept = _kept(request).get(token)
    if kept is None:
        raise not_found()
    return kept.outcome


@router.get(PAGE + "/{token}/bundle.zip")
def bundle_zip(request: Request, token: str, viewer: Keeper):
    outcome = _outcome(request, token)
    url = request.app.state.url
    name = f"xuequ_formation_{dt.date.today().isoformat()}.zip"
    tables = proposal_bundle(outcome, url=url)  # a UserError (the schools changed since) is a page of its own
    with tempfile.TemporaryDirectory(prefix="xuequ-formation-") as folder:
        files = write_bundle(tables, Path(folder) / "bundle")
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, arcname=file.name)
    with session_scope(url) as session:
        session.info["actor"] = viewer.name
        record(session, "export", "formation", f"web:{name}", {"clusters": len(outcome.result.plan.clusters)})
    return _attachment(buffer.getvalue(), "application/zip", name, "学区划分方案.zip")


@router.get(PAGE + "/{token}/summary.md")
def summary_md(request: Request, token: str, viewer: Keeper):
    outcome = _outcome(request, token)
    name = "formation_summary.md" if outcome.lang == "en" else "学区划分方案说明.md"
    return _attachment(outcome.summary.encode("utf-8"), "text/markdown; charset=utf-8", "formation_summary.md", name)
