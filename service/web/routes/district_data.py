"""The district's data (学区数据包) in the browser: upload a bundle, download the template and the district.

An upload goes through exactly what `xuequ import` runs: `bundle.validate.load_bundle` reads and
checks every file, `models.bundles.import_tables` upserts in one transaction behind the mass-delete
guard (the "allow deletes" box is `--allow-deletes`). Any problem and nothing is written; the page
lists every problem with its file, row and column. Only the bureau (教育局) uploads: the import
replaces the whole district's files (rows a file no longer lists are deleted), and it has no way to
touch one cluster's rows only, so a cluster office's upload would reach the other clusters.
The bureau and a district-wide planner download; every import, refusal and export is audited
with who, when and which file.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bundle.guard import DEFAULT_MAX_DELETE_SHARE, DeletePolicy
from bundle.io import write_bundle
from bundle.problems import BundleError, Problem
from bundle.spec import INPUT_BY_NAME
from bundle.template import write_template
from bundle.validate import load_bundle
from models.audit import record
from models.bundles import ImportReport, export_tables, import_tables
from models.db import session_scope
from service.web import reads_district_data as reads
from service.web.auth import Viewer, forbidden, page_lang, signed_in, viewer_or_none
from service.web.bundle_upload import MAX_UPLOAD_BYTES, UploadRefused, safe_upload_name, unpack
from service.web.i18n import TEXTS, add_texts
from service.web.pages import render
from service.web.routes.account import see_other

router = APIRouter()
IMPORT_PATH = "/district/data/import"
MAX_PROBLEMS_SHOWN = 1000  # the page stays readable; the count says how many more
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DATA_TEXTS: dict[str, tuple[str, str]] = {
    "district_data": ("数据包导入与导出", "District data: import and export"),
    "download": ("下载", "Download"),
    "template_xlsx": ("空白模板（Excel 工作簿，含填写说明）", "Empty template (Excel workbook, with notes)"),
    "district_zip": ("当前学区数据（CSV 文件压缩包）", "The district as it is (zip of CSV files)"),
    "district_xlsx": ("当前学区数据（Excel 工作簿）", "The district as it is (Excel workbook)"),
    "formula_safe": ("以 = + - @ 开头的文字前加 ' 写出，在 Excel 中不会被当作公式执行；导入时自动去掉。",
                     "Text starting with = + - @ is written with a leading ', so a spreadsheet never runs it "
                     "as a formula; the import takes it off again."),
    "upload": ("上传数据包", "Upload a bundle"),
    "upload_file": ("数据包文件（.zip 或 .xlsx）", "Bundle file (.zip or .xlsx)"),
    "upload_rules": ("先整体校验全部文件；只要有一个问题，就不写入任何数据。上限 {mb} MB。文件中已不再列出的行会从数据库删除。",
                     "Every file is checked first; if anything is wrong, nothing is written. At most {mb} MB. "
                     "Rows a file no longer lists are deleted from the database."),
    "allow_deletes": ("允许大量删除（同意删除超过 {share} 的行）", "Allow mass deletes (more than {share} of a table)"),
    "check_and_import": ("校验并导入", "Check and import"),
    "bureau_only": ("只有教育局账户可以导入数据包：导入会替换全区的文件，无法只改一个学区的行。",
                    "Only the bureau imports bundles: an import replaces the whole district's files and cannot "
                    "touch one cluster's rows only."),
    "import_refused": ("数据包有 {n} 个问题，未导入任何数据。", "The bundle has {n} problem(s); nothing was imported."),
    "more_problems": ("另有 {n} 个问题未列出。", "{n} more problem(s) not listed."),
    "allow_deletes_hint": ("如确需删除这些行，请勾选“允许大量删除”后重新上传。",
                           "To delete those rows, tick “Allow mass deletes” and upload again."),
    "upload_refused": ("未导入：", "Not imported: "),
    "imported": ("已导入 {file}：共 {n} 行有变化。", "Imported {file}: {n} row(s) changed."),
    "nothing_changed": ("已导入 {file}：数据与数据库完全一致，没有任何变化。",
                        "Imported {file}: it matches the database; nothing changed."),
    "file": ("文件", "File"),
    "row": ("行", "Row"),
    "column": ("列", "Column"),
    "problem": ("问题", "Problem"),
    "rows_inserted": ("新增", "Inserted"),
    "rows_updated": ("更新", "Updated"),
    "rows_deleted": ("删除", "Deleted"),
    "recent_bundle_events": ("最近的导入与导出", "Recent imports and exports"),
    "when": ("时间", "When"),
    "event_who": ("操作人", "Who"),
    "action": ("操作", "Action"),
    "rows_changed": ("变化行数 / 问题数", "Rows changed / problems"),
    "event_import": ("导入", "import"),
    "event_refused": ("导入被拒绝", "import refused"),
    "event_export": ("导出", "export"),
    "status_413": ("文件过大", "Upload too large"),
    "upload_too_large": ("上传的文件超过 {mb} MB 的上限，未导入任何数据。请拆分数据包或压缩后再上传。",
                         "The upload is larger than {mb} MB; nothing was imported. Split or zip the bundle."),
    "class": ("班级", "Class"),
    "class_size": ("班额", "Size"),
    "students_on_file": ("在册学生", "Students on file"),
    "class_teachers": ("任课教师", "Teachers"),
    "no_classes": ("暂无班级（classes.csv）。", "No class yet (classes.csv)."),
}
add_texts(DATA_TEXTS, "district data page (service/web/routes/district_data.py)")


def data_keeper(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    """The whole district's data is for those who see the whole district (the bureau, a district planner)."""
    if not viewer.scope.district_wide:
        raise forbidden()
    return viewer


def importer(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    if viewer.role != "bureau":
        raise forbidden()
    return viewer


Keeper = Annotated[Viewer, Depends(data_keeper)]
Importer = Annotated[Viewer, Depends(importer)]


@dataclass(frozen=True)
class ProblemRow:
    file: str
    row: int | None
    column: str
    message: str


def problem_rows(problems: list[Problem], lang: str) -> list[ProblemRow]:
    """Each problem as the page's table shows it; a column by its contract name and, in Chinese, its Chinese one."""
    rows = []
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        sheet = problem.file.rsplit(":", 1)[-1].removesuffix(".csv")
        spec = INPUT_BY_NAME.get(sheet)
        column = problem.column or ""
        if lang == "zh" and spec is not None and column in spec.column_names:
            column = f"{column}（{spec.column(column).zh}）"
        rows.append(ProblemRow(problem.file, problem.row, column,
                               problem.message_zh if lang == "zh" else problem.message_en))
    return rows


def _page(request: Request, viewer: Viewer, status_code: int = 200, **outcome):
    context = {"problems": None, "problem_count": 0, "refusal": None, "delete_hint": False, "last": None} | outcome
    return render(request, "district_data/index.html", viewer, status_code=status_code,
                  events=reads.recent_bundle_events(request.app.state.url), may_import=viewer.role == "bureau",
                  max_mb=MAX_UPLOAD_BYTES // (1024 * 1024), delete_share=f"{DEFAULT_MAX_DELETE_SHARE:.0%}",
                  max_shown=MAX_PROBLEMS_SHOWN, file_names={name: spec.zh for name, spec in INPUT_BY_NAME.items()},
                  **context)


@router.get("/district/data")
def data_page(request: Request, viewer: Keeper):
    return _page(request, viewer, last=request.session.pop("last_import", None))


# --- the upload ---

@dataclass(frozen=True)
class ImportOutcome:
    report: ImportReport | None = None
    problems: tuple[Problem, ...] = ()
    refusal: UploadRefused | None = None


def run_import(url: str, data: bytes, upload_name: str, actor: str, allow_deletes: bool) -> ImportOutcome:
    """Unpack, validate and import the upload, all or nothing; a refusal is audited in a transaction of its own."""
    name = safe_upload_name(upload_name)
    source = f"web:{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="xuequ-upload-") as folder:
            unpacked = unpack(data, name, Path(folder))
            tables = load_bundle(unpacked.path)
            district_id = reads.district_id(url)
            with session_scope(url) as session:
                session.info["actor"] = actor
                report = import_tables(session, tables, district_id=district_id, source=source,
                                       deletes=DeletePolicy(allow=allow_deletes))
        return ImportOutcome(report=report)
    except UploadRefused as refusal:
        _audit_refusal(url, actor, source, {"problems": 1, "reason": refusal.en})
        return ImportOutcome(refusal=refusal)
    except BundleError as error:
        _audit_refusal(url, actor, source, {"problems": len(error.problems), "allow_deletes": allow_deletes})
        return ImportOutcome(problems=tuple(error.problems))


def _audit_refusal(url: str, actor: str, source: str, detail: dict) -> None:
    with session_scope(url) as session:
        session.info["actor"] = actor
        record(session, "refused", "bundle", source, detail)


@router.post(IMPORT_PATH)
async def import_upload(request: Request, viewer: Importer):
    form = await request.form()
    upload = form.get("bundle")
    allow_deletes = form.get("allow_deletes") == "1"
    if not isinstance(upload, UploadFile) or not upload.filename:
        refusal = UploadRefused("choose the bundle's .zip or .xlsx file first", "请先选择数据包的 .zip 或 .xlsx 文件")
        return _page(request, viewer, status_code=400, refusal=refusal.line(page_lang(request, viewer)))
    data = await upload.read()
    outcome = await run_in_threadpool(run_import, request.app.state.url, data, upload.filename, viewer.name,
                                      allow_deletes)
    lang = page_lang(request, viewer)
    if outcome.refusal is not None:
        return _page(request, viewer, status_code=400, refusal=outcome.refusal.line(lang))
    if outcome.report is None:
        problems = list(outcome.problems)
        return _page(request, viewer, status_code=400, problems=problem_rows(problems, lang),
                     problem_count=len(problems), delete_hint=any("--allow-deletes" in p.message_en for p in problems))
    frame = outcome.report.to_frame()
    request.session["last_import"] = {  # shown once by the page the browser is sent to (no re-post on reload)
        "file": safe_upload_name(upload.filename), "changed": outcome.report.changed,
        "tables": [[row.file, int(row.inserted), int(row.updated), int(row.deleted)]
                   for row in frame.itertuples(index=False)]}
    return see_other("/district/data")


# --- the downloads ---

def _attachment(data: bytes, media_type: str, ascii_name: str, chinese_name: str) -> Response:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"
    return Response(data, media_type=media_type, headers={"content-disposition": disposition})


@router.get("/district/data/template.xlsx")
def template_download(viewer: Keeper):
    with tempfile.TemporaryDirectory(prefix="xuequ-template-") as folder:
        data = write_template(Path(folder) / "xuequ_template.xlsx").read_bytes()
    return _attachment(data, XLSX, "xuequ_template.xlsx", "学区数据包模板.xlsx")


def export_district(url: str, actor: str, kind: str) -> tuple[bytes, str]:
    """The district as a bundle (zip of CSVs or one workbook), audited as an export; and its file name."""
    today = dt.date.today().isoformat()
    name = f"xuequ_district_{today}.{kind}"
    with session_scope(url) as session, tempfile.TemporaryDirectory(prefix="xuequ-export-") as folder:
        session.info["actor"] = actor
        tables = export_tables(session)
        if kind == "xlsx":
            data = write_bundle(tables, Path(folder) / name)[0].read_bytes()
        else:
            files = write_bundle(tables, Path(folder) / "bundle")
            buffer = BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in files:
                    archive.write(file, arcname=file.name)
            data = buffer.getvalue()
        record(session, "export", "bundle", f"web:{name}", {"files": len(tables)})
    return data, name


@router.get("/district/data/bundle.zip")
def district_zip(request: Request, viewer: Keeper):
    data, name = export_district(request.app.state.url, viewer.name, "zip")
    return _attachment(data, "application/zip", name, name)


@router.get("/district/data/bundle.xlsx")
def district_xlsx(request: Request, viewer: Keeper):
    data, name = export_district(request.app.state.url, viewer.name, "xlsx")
    return _attachment(data, XLSX, name, name)


# --- the size limit, applied while the body arrives ---

class UploadTooLarge(Exception):
    pass


class UploadLimit:
    """Refuses an upload larger than MAX_UPLOAD_BYTES with 413 before it is read in full: at once when
    its Content-Length says so, else as soon as the bytes that arrive pass the limit. (The CSRF check
    reads the form before any handler runs, so the limit must sit in front of the app.)"""

    def __init__(self, app, max_bytes: int = MAX_UPLOAD_BYTES, paths: tuple[str, ...] = (IMPORT_PATH,)):
        self.app, self.max_bytes, self.paths = app, max_bytes, paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in self.paths:
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(scope, receive, send)
        received, started = 0, False

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise UploadTooLarge()
            return message

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except UploadTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send):
        request = Request(scope, receive)
        text = TEXTS["upload_too_large"][1 if page_lang(request) == "en" else 0].format(
            mb=self.max_bytes // (1024 * 1024))
        response = render(request, "error.html", viewer_or_none(request), status_code=413, key=None, text=text,
                          status=413, known=set(TEXTS))
        response.headers["connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)
