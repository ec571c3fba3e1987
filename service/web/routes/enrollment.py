"""Enrollment in the console (招生录取, the bureau's page): upload applications and capacities, publish
the commitment, draw with the seed, read each school's cut-offs, download admissions and the pool list.

Every step goes through `app.enrollment` (the same rule and files as `xuequ enrollment run`) and is
audited with who and when. The seed is typed twice: once to publish its commitment (the seed is not
stored then), once at the draw, when it must match the commitment; only then is it kept and
published with the results. Only the bureau (教育局) runs enrollment.
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from admission.io import APPLICATIONS, CAPACITIES
from admission.lottery import MIN_SEED_LENGTH, new_seed
from app import enrollment
from app.errors import UserError
from bundle.problems import BundleError
from domain.labels import label
from service.web.auth import Viewer, forbidden, page_lang, signed_in
from service.web.i18n import add_texts
from service.web.pages import render
from service.web.routes.account import see_other
from service.web.routes.district_data import MAX_PROBLEMS_SHOWN, ProblemRow

router = APIRouter()
UPLOAD_PATH = "/enrollment/runs"

ENROLLMENT_TEXTS: dict[str, tuple[str, str]] = {
    "enrollment": ("招生录取", "Enrollment"),
    "enrollment_intro": ("大学区招生：按第一、第二、第三志愿及积分高低依次录取（报读原地段学校加 10 分），超额的派位学校电脑随机派位，"
                         "均未录取者纳入全区统筹调剂。派位前公布承诺值，派位后公布种子，任何人都可复核。",
                         "Shared-zone enrollment: by 1st, 2nd and 3rd choice, then points (+10 at one's own catchment "
                         "school); an oversubscribed lottery school draws; whoever is placed nowhere goes to the "
                         "district pool. The commitment is published before the draw and the seed after it, so anyone "
                         "can check the draw."),
    "new_run": ("新建录取", "New enrollment run"),
    "applications_file": ("报名表 applications（.csv 或 .xlsx）", "Applications (.csv or .xlsx)"),
    "capacities_file": ("招生计划 capacities（.csv 或 .xlsx）", "Capacities (.csv or .xlsx)"),
    "zone_field": ("招生片区（文件只含一个片区时可留空）", "Zone (may be left empty when the files hold one)"),
    "check_and_keep": ("校验并保存", "Check and keep"),
    "files_refused": ("输入文件有 {n} 个问题，未保存。", "The files have {n} problem(s); nothing was kept."),
    "choose_both": ("请同时选择报名表和招生计划两个文件。", "Choose both files: applications and capacities."),
    "runs": ("录取记录", "Runs"),
    "no_runs": ("暂无录取记录。", "No run yet."),
    "run_of": ("招生录取：片区 {zone}（第 {run} 次）", "Enrollment: zone {zone} (run {run})"),
    "zone": ("片区", "Zone"),
    "applicants": ("报名户数", "Families"),
    "seats": ("学位", "Seats"),
    "school_count": ("学校数", "Schools"),
    "run_status": ("状态", "Status"),
    "created": ("上传", "Uploaded"),
    "open_run": ("查看", "Open"),
    "step_commit": ("第一步：公布承诺值", "Step 1: publish the commitment"),
    "commit_help": ("下面是随机生成的种子（也可改填至少 {n} 个字符的其他种子）。请复制并妥善保管，派位前不得泄露；"
                    "系统只保存它的 SHA-256 承诺值，派位时需再次输入同一种子。",
                    "A fresh random seed is filled in (or type another of at least {n} characters). Copy it and keep it "
                    "secret until the draw; only its SHA-256 commitment is kept, and the draw needs the same seed again."),
    "seed": ("种子", "Seed"),
    "publish_commitment": ("生成并公布承诺值", "Make and publish the commitment"),
    "commitment": ("承诺值（SHA-256）", "Commitment (SHA-256)"),
    "commitment_published": ("承诺值已于 {when} 由 {who} 公布：", "Commitment published on {when} by {who}:"),
    "publish_it": ("请在派位前将此承诺值向社会公布（网站、公告栏）。派位后公布种子，任何人可用 verify_draw.py 复核。",
                   "Publish this commitment before the draw (website, notice board). After the draw the seed is "
                   "published, and anyone can check it with verify_draw.py."),
    "step_draw": ("第二步：派位并录取", "Step 2: draw and admit"),
    "draw_help": ("输入公布承诺值时的种子；与承诺值不符将被拒绝。", "Type the seed of the published commitment; "
                  "any other seed is refused."),
    "draw": ("开始派位并录取", "Draw and admit"),
    "drawn_by": ("{who} 于 {when} 完成派位。", "Drawn by {who} on {when}."),
    "seed_published": ("种子（派位后公布）", "Seed (published after the draw)"),
    "outcome_counts": ("录取结果", "Outcome"),
    "pool_count": ("纳入全区统筹调剂 {n} 户", "{n} families to the district pool"),
    "schools_cutoffs": ("各校录取情况与录取线", "Schools and cut-offs"),
    "admits_by": ("录取方式", "Admits by"),
    "round_1": ("第一志愿轮", "1st choices"),
    "round_2": ("第二志愿轮", "2nd choices"),
    "round_3": ("第三志愿轮", "3rd choices"),
    "round_count": ("{what} {n} 户，", "{what}: {n}; "),
    "admitted_total": ("录取", "Admitted"),
    "applied_admitted": ("{admitted}/{applied} 人", "{admitted}/{applied}"),
    "cutoff_points": ("录取至 {p} 分", "down to {p} points"),
    "cutoff_number": ("派位至第 {n} 号", "lottery up to no. {n}"),
    "tie_at_cutoff": ("同分按派位号至第 {n} 号", "ties by the draw up to no. {n}"),
    "downloads": ("下载（可公布的文件）", "Downloads (the files to publish)"),
    "dl_admissions_csv": ("录取结果 admissions.csv（每户一行，含录取说明）", "admissions.csv (one row per family, with the reason)"),
    "dl_admissions_xlsx": ("录取结果工作簿 admissions.xlsx（录取结果、各校录取情况、统筹调剂名单、派位记录）",
                           "admissions.xlsx (admissions, schools, district pool, the draw)"),
    "dl_pool": ("全区统筹调剂名单 pool.csv（报教育局）", "District pool list pool.csv (for the bureau)"),
    "dl_cutoffs": ("各校各轮录取情况 cutoffs.csv", "Each school and round: cutoffs.csv"),
    "dl_lottery": ("派位记录 lottery.json（承诺值、种子、各派位学校的顺序）", "lottery.json (commitment, seed, each draw's order)"),
    "dl_verify": ("复核脚本 verify_draw.py（只用 Python 标准库：python3 verify_draw.py 文件夹）",
                  "verify_draw.py (Python standard library only: python3 verify_draw.py FOLDER)"),
    "dl_whatif": ("延迟接受算法对比 whatif_da.csv", "Deferred-acceptance what-if whatif_da.csv"),
    "enrollment_whatif": ("对比：学生提出的延迟接受算法（仅供参考，录取仍按现行规则）",
               "What-if: student-proposing deferred acceptance (for comparison; admission stays by the seeds' rule)"),
    "family_lookup": ("查询一户的录取结果与说明", "One family's outcome and reason"),
    "applicant_id": ("报名编号", "Application id"),
    "lookup": ("查询", "Look up"),
    "no_such_family": ("没有报名编号为 {id} 的报名。", "No application {id}."),
    "admitted_school": ("录取学校", "School"),
    "admitted_round": ("录取方式", "Admitted by"),
    "reason": ("录取说明", "Reason"),
    "lottery_school": ("电脑随机派位", "computer lottery"),
    "points_school": ("积分", "points"),
}
add_texts(ENROLLMENT_TEXTS, "enrollment pages (service/web/routes/enrollment.py)")

FILE_NAMES = {"applications": APPLICATIONS, "capacities": CAPACITIES}
MEDIA = {".csv": "text/csv; charset=utf-8", ".json": "application/json",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".py": "text/x-python"}


def bureau(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    if viewer.role != "bureau":
        raise forbidden()
    return viewer


Bureau = Annotated[Viewer, Depends(bureau)]


def _problem_rows(error: BundleError, lang: str, uploaded: dict[str, str]) -> list[ProblemRow]:
    """Each problem as the page lists it; in Chinese a column with its Chinese header. `uploaded`: file name → spec."""
    specs = {"applications": APPLICATIONS, "capacities": CAPACITIES}
    rows = []
    for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
        column = problem.column or ""
        spec = specs.get(uploaded.get(problem.file.partition(":")[0], ""))
        if lang == "zh" and spec is not None and column in spec.column_names:
            column = f"{column}（{spec.column(column).zh}）"
        rows.append(ProblemRow(problem.file, problem.row, column,
                               problem.message_zh if lang == "zh" else problem.message_en))
    return rows


def _index(request: Request, viewer: Viewer, status_code: int = 200, **outcome):
    context = {"problems": None, "problem_count": 0, "refusal": None} | outcome
    lang = page_lang(request, viewer)
    return render(request, "enrollment/index.html", viewer, status_code=status_code,
                  runs=enrollment.list_runs(request.app.state.url),
                  lab=lambda kind, code: label(kind, code, lang), **context)


@router.get("/enrollment")
def enrollment_page(request: Request, viewer: Bureau):
    return _index(request, viewer)


@router.post(UPLOAD_PATH)
async def upload(request: Request, viewer: Bureau):
    form = await request.form()
    files = {name: form.get(name) for name in FILE_NAMES}
    lang = page_lang(request, viewer)
    if not all(isinstance(f, UploadFile) and f.filename for f in files.values()):
        return _index(request, viewer, status_code=400, refusal=ENROLLMENT_TEXTS["choose_both"][1 if lang == "en" else 0])
    contents = {}
    for name, upload_file in files.items():
        assert isinstance(upload_file, UploadFile)
        contents[name] = (upload_file.filename or name, await upload_file.read())
    zone = str(form.get("zone") or "").strip() or None
    try:
        run_id = await run_in_threadpool(enrollment.upload_run, request.app.state.url, viewer.name,
                                         contents["applications"], contents["capacities"], zone)
    except BundleError as error:
        uploaded = {enrollment.upload_name(contents[name][0]): name for name in FILE_NAMES}
        return _index(request, viewer, status_code=400, problems=_problem_rows(error, lang, uploaded),
                      problem_count=len(error.problems))
    return see_other(f"/enrollment/runs/{run_id}")


def _run_page(request: Request, viewer: Viewer, run_id: int, status_code: int = 200, refusal: str | None = None):
    url = request.app.state.url
    lang = page_lang(request, viewer)
    run = enrollment.get_run_view(url, run_id)
    asked = request.query_params.get("applicant", "").strip()
    family = enrollment.family_outcome(url, run_id, asked) if asked and run.status == "drawn" else None
    names = {s["school_id"]: s["name"] for s in (run.summary or {}).get("schools", [])}
    return render(request, "enrollment/run.html", viewer, status_code=status_code, run=run, refusal=refusal,
                  suggested_seed=new_seed(), min_seed=MIN_SEED_LENGTH, asked=asked, family=family,
                  school_names=names, lab=lambda kind, code: label(kind, code, lang),
                  comparison=_comparison_lines(run, lang))


def _comparison_lines(run: enrollment.RunView, lang: str) -> list[str]:
    from admission.deferred_acceptance import Comparison

    data = (run.summary or {}).get("comparison")
    return Comparison(**data).lines(lang) if data else []


@router.get("/enrollment/runs/{run_id}")
def run_page(request: Request, viewer: Bureau, run_id: int):
    return _run_page(request, viewer, run_id)


async def _seed(request: Request) -> str:
    return str((await request.form()).get("seed") or "")


@router.post("/enrollment/runs/{run_id}/commit")
async def commit(request: Request, viewer: Bureau, run_id: int):
    seed = await _seed(request)
    try:
        await run_in_threadpool(enrollment.commit_run, request.app.state.url, viewer.name, run_id, seed)
    except UserError as error:
        return _run_page(request, viewer, run_id, 400, error.line(page_lang(request, viewer)))
    return see_other(f"/enrollment/runs/{run_id}")


@router.post("/enrollment/runs/{run_id}/draw")
async def draw(request: Request, viewer: Bureau, run_id: int):
    seed = await _seed(request)
    lang = page_lang(request, viewer)
    try:
        await run_in_threadpool(enrollment.draw_run, request.app.state.url, viewer.name, run_id, seed, lang)
    except UserError as error:
        return _run_page(request, viewer, run_id, 400, error.line(lang))
    return see_other(f"/enrollment/runs/{run_id}")


@router.get("/enrollment/runs/{run_id}/files/{name}")
def download(request: Request, viewer: Bureau, run_id: int, name: str):
    data = enrollment.run_file(request.app.state.url, run_id, name)
    run = enrollment.get_run_view(request.app.state.url, run_id)
    stem, _, suffix = name.rpartition(".")
    filename = f"{stem}_{run.zone_id}_{run_id}.{suffix}" if name != "verify_draw.py" else name
    disposition = f"attachment; filename=\"{quote(filename)}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=MEDIA.get("." + suffix, "application/octet-stream"),
                    headers={"content-disposition": disposition})
