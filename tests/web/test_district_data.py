"""The district's data over plain HTTP, on SQLite and PostgreSQL: who may upload and download, CSRF on
the upload, a bad bundle listed problem by problem with nothing written, a good one listed table by
table, zips that reach outside the bundle refused, the size limit, and downloads that re-import
with no change. The unpacking rules themselves are tested without a server at the end."""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from models import AuditEntry, Teacher
from models.bundles import TABLE_OF_FILE
from models.db import session_scope
from service.web import bundle_upload
from service.web.bundle_upload import UploadRefused, safe_upload_name, unpack
from tests.web.conftest import FIXTURES, SECRET, csrf_of

IMPORT = "/district/data/import"
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # where the database kind changes nothing

# A teachers.csv row naming a school no schools.csv lists, and one with its name left blank.
BAD_TEACHERS = ["T98,赵六,S99,math,3,teacher,0,0,1,1,1990,0,,,", "T97,,S1,math,3,teacher,0,0,1,1,1990,0,,,"]
NEW_SCHOOL = "S9,桃园小学,C1,0,primary,rural,ordinary,34.9000,113.7000,1"
NEW_TEACHER = "T99,欧阳明,S9,math,3,teacher,0,0,1,5,1995,0,,,"


@pytest.fixture
def web_app(accounts_db):
    """The console on the district and its accounts, without the roster the other pages plan (faster)."""
    from service.web.app import create_app

    return create_app(accounts_db, secret_key=SECRET)


# --- bundles made for the tests ---

def mini_bundle_copy(tmp_path: Path, name: str = "bundle") -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURES / "mini_bundle", folder)
    return folder


def append_lines(file: Path, *lines: str) -> None:
    text = file.read_text(encoding="utf-8-sig")
    file.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def zipped(folder: Path, prefix: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(folder.glob("*.csv")):
            archive.write(file, prefix + file.name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bad_bundle(tmp_path: Path) -> bytes:
    folder = mini_bundle_copy(tmp_path, "bad")
    append_lines(folder / "teachers.csv", *BAD_TEACHERS)
    return zipped(folder)


def good_bundle(tmp_path: Path) -> bytes:
    """The mini district with a new school, 桃园小学, and its teacher 欧阳明."""
    folder = mini_bundle_copy(tmp_path, "good")
    append_lines(folder / "schools.csv", NEW_SCHOOL)
    append_lines(folder / "teachers.csv", NEW_TEACHER)
    return zipped(folder)


def row_counts(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return {name: session.scalar(select(func.count()).select_from(model)) or 0
                for name, model in TABLE_OF_FILE.items()}


def upload(client, data: bytes, name: str = "district.zip", *, token: str | None = "page", lang: str = "",
           **fields: str):
    """POST a bundle as the page's form does (its CSRF token unless told otherwise)."""
    form = dict(fields)
    if token == "page":
        token = csrf_of(client.get("/district/data").text)
    if token is not None:
        form["csrf_token"] = token
    return client.post(IMPORT + (f"?lang={lang}" if lang else ""), data=form,
                       files={"bundle": (name, data, "application/octet-stream")}, follow_redirects=True)


def table_rows(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table class="grid" id="{table}">.*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert body, f"no table {table}"
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.DOTALL)]


def audit_of(url: str) -> list[tuple[str, str, str]]:
    with session_scope(url) as session:
        return [(e.actor, e.action, e.entity_id) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "bundle").order_by(AuditEntry.audit_id))]


# --- who may ---

def test_only_the_bureau_uploads_and_only_the_whole_district_downloads(client_for, accounts_db, tmp_path):
    good = good_bundle(tmp_path)
    before = row_counts(accounts_db)
    for name in ("实验小学教务处", "城关学区办"):
        client = client_for(name)
        token = csrf_of(client.get("/account").text)  # a valid token of their own: the role is what refuses
        refused = upload(client, good, token=token)
        assert refused.status_code == 403, name
        assert "您无权查看此页面" in refused.text
        for path in ("/district/data", "/district/data/bundle.zip", "/district/data/bundle.xlsx",
                     "/district/data/template.xlsx"):
            assert client.get(path).status_code == 403, (name, path)
    marker = client_for("阅卷老师")
    assert upload(marker, good, token=csrf_of(marker.get("/account").text)).status_code == 403
    assert row_counts(accounts_db) == before
    anonymous = client_for()
    token = csrf_of(anonymous.get("/login").text)
    response = anonymous.post(IMPORT, data={"csrf_token": token}, files={"bundle": ("d.zip", good)},
                              follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert row_counts(accounts_db) == before and audit_of(accounts_db)[1:] == []  # only the CLI's own import


def test_an_upload_without_the_sessions_csrf_token_is_refused_and_writes_nothing(client_for, accounts_db, tmp_path):
    bureau = client_for("局长")
    before = row_counts(accounts_db)
    for token in (None, "forged-token"):
        refused = upload(bureau, good_bundle(tmp_path / str(token)), token=token)
        assert refused.status_code == 403 and "CSRF 校验失败" in refused.text
    assert row_counts(accounts_db) == before


# --- what an upload does ---

def test_a_bad_bundle_lists_every_problem_with_file_row_and_column_and_writes_nothing(client_for, accounts_db,
                                                                                       tmp_path):
    bureau = client_for("局长")
    before = row_counts(accounts_db)
    refused = upload(bureau, bad_bundle(tmp_path), "坏数据.zip")
    assert refused.status_code == 400
    assert re.search(r"数据包有 \d+ 个问题，未导入任何数据", refused.text)
    rows = table_rows(refused.text, "problems")
    mini_teachers = len((FIXTURES / "mini_bundle" / "teachers.csv").read_text(encoding="utf-8-sig").splitlines())
    unknown_school = [r for r in rows if r[:3] == ["teachers.csv", str(mini_teachers + 1), "school_id（学校编号）"]]
    blank_name = [r for r in rows if r[:3] == ["teachers.csv", str(mini_teachers + 2), "name（姓名）"]]
    assert unknown_school and "S99" in unknown_school[0][3], rows
    assert blank_name, rows
    assert row_counts(accounts_db) == before
    assert audit_of(accounts_db)[-1] == ("局长", "refused", "web:坏数据.zip")

    english_page = upload(bureau, bad_bundle(tmp_path / "en"), lang="en").text
    assert re.search(r"The bundle has \d+ problem\(s\); nothing was imported", english_page)
    english = table_rows(english_page, "problems")
    assert ["teachers.csv", str(mini_teachers + 1), "school_id"] in [r[:3] for r in english]
    assert ["teachers.csv", str(mini_teachers + 2), "name"] in [r[:3] for r in english]
    assert not any(re.search(r"[\u4e00-\u9fff]", r[3].replace("赵六", "")) for r in english)  # English words


def test_a_good_bundle_is_imported_and_listed_table_by_table_then_the_school_reads_by_name(client_for, accounts_db,
                                                                                             tmp_path):
    bureau = client_for("局长")
    before = row_counts(accounts_db)
    done = upload(bureau, good_bundle(tmp_path), "桃园.zip")
    assert done.status_code == 200 and done.url.path == "/district/data"  # redirected after the POST
    assert "已导入 桃园.zip：共 2 行有变化。" in done.text
    changes = {r[0]: r[1:] for r in table_rows(done.text, "changes")}
    assert changes["schools.csv（学校）"] == ["1", "0", "0"] and changes["teachers.csv（教师）"] == ["1", "0", "0"]
    assert row_counts(accounts_db) == before | {"schools": before["schools"] + 1, "teachers": before["teachers"] + 1}
    assert "已导入" not in bureau.get("/district/data").text  # said once, not on every visit
    assert audit_of(accounts_db)[-1] == ("局长", "import", "web:桃园.zip")
    school = bureau.get("/district/schools/S9").text
    assert "<h1>桃园小学</h1>" in school and "欧阳明" in school
    assert "桃园小学" in bureau.get("/district/clusters/C1").text


def test_a_mass_delete_needs_the_allow_deletes_box(client_for, accounts_db, tmp_path):
    folder = mini_bundle_copy(tmp_path)
    students = folder / "students.csv"
    students.write_text(students.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")
    bureau = client_for("局长")
    before = row_counts(accounts_db)
    refused = upload(bureau, zipped(folder))
    assert refused.status_code == 400 and "勾选“允许大量删除”" in refused.text
    assert any(r[0] == "students.csv" for r in table_rows(refused.text, "problems"))
    assert row_counts(accounts_db) == before
    done = upload(bureau, zipped(folder), allow_deletes="1")
    assert done.status_code == 200
    assert {r[0]: r[1:] for r in table_rows(done.text, "changes")}["students.csv（学生）"] == \
        ["0", "0", str(before["students"])]
    assert row_counts(accounts_db)["students"] == 0


@SQLITE_ONLY
def test_zips_reaching_outside_the_bundle_or_holding_other_files_are_refused_in_words(client_for, accounts_db,
                                                                                       tmp_path):
    folder = mini_bundle_copy(tmp_path)
    bureau = client_for("局长")
    before = row_counts(accounts_db)
    cases = {
        "slip.zip": (zipped(folder, extra={"../../schools.csv": b"school_id\n"}), "指向数据包之外"),
        "absolute.zip": (zipped(folder, extra={"/etc/cron.d/teachers.csv": b"x"}), "指向数据包之外"),
        "notes.zip": (zipped(folder, extra={"readme.txt": b"hello"}), "不属于数据包的文件（readme.txt）"),
        "not-a-zip.zip": (b"just some text", "不是可以读取的 zip 压缩包"),
        "district.exe": (b"MZ...", "请上传数据包 CSV 文件的 .zip 压缩包，或一个 .xlsx 工作簿"),
        "fake.xlsx": (b"not a workbook", "不是 Excel 工作簿"),
    }
    for name, (data, words) in cases.items():
        refused = upload(bureau, data, name)
        assert refused.status_code == 400, name
        assert words in re.search(r'<p class="problem" id="refusal"[^>]*>(.*?)</p>', refused.text).group(1), name
    assert "pointing outside the bundle" in upload(bureau, cases["slip.zip"][0], "slip.zip", lang="en").text
    assert row_counts(accounts_db) == before
    assert [a for _, a, _ in audit_of(accounts_db)[1:]] == ["refused"] * (len(cases) + 1)


@SQLITE_ONLY
def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(client_for, accounts_db):
    bureau = client_for("局长")
    token = csrf_of(bureau.get("/district/data").text)
    too_big = b"0" * (bundle_upload.MAX_UPLOAD_BYTES + 1)
    declared = bureau.post(IMPORT, data={"csrf_token": token}, files={"bundle": ("big.zip", too_big)})
    assert declared.status_code == 413 and "超过 20 MB 的上限" in declared.text

    def streamed():  # no Content-Length: counted as it arrives
        boundary = "xuequ-test"
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n--{boundary}\r\n'
               'Content-Disposition: form-data; name="bundle"; filename="big.zip"\r\n\r\n').encode()
        for _ in range(bundle_upload.MAX_UPLOAD_BYTES // (1 << 20) + 1):
            yield b"0" * (1 << 20)
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = bureau.post(IMPORT, content=streamed(), headers={"content-type": "multipart/form-data; boundary=xuequ-test"})
    assert chunked.request.headers.get("content-length") is None
    assert chunked.status_code == 413 and "未导入任何数据" in chunked.text
    assert audit_of(accounts_db)[1:] == []


# --- downloads ---

def test_the_district_downloaded_as_a_zip_or_a_workbook_reimports_with_no_change(client_for, accounts_db):
    bureau = client_for("局长")
    before = row_counts(accounts_db)
    download = bureau.get("/district/data/bundle.zip")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].startswith('attachment; filename="xuequ_district_')
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert {"schools.csv", "teachers.csv", "students.csv"} <= set(names) and all("/" not in n for n in names)
    again = upload(bureau, download.content, "export.zip")
    assert again.status_code == 200 and "已导入 export.zip：数据与数据库完全一致，没有任何变化。" in again.text
    assert all(r[1:] == ["0", "0", "0"] for r in table_rows(again.text, "changes"))
    workbook = bureau.get("/district/data/bundle.xlsx")
    assert workbook.status_code == 200
    assert "没有任何变化" in upload(bureau, workbook.content, "export.xlsx").text
    assert row_counts(accounts_db) == before
    assert [a for _, a, _ in audit_of(accounts_db)[1:]] == ["export", "import", "export", "import"]


def test_cells_that_a_spreadsheet_would_run_are_written_with_a_guard_and_read_back_as_typed(client_for, accounts_db):
    with session_scope(accounts_db) as session:
        session.get(Teacher, "T01").name = "=HYPERLINK(\"http://x\")"
    bureau = client_for("局长")
    teachers = zipfile.ZipFile(io.BytesIO(bureau.get("/district/data/bundle.zip").content)).read("teachers.csv")
    assert "'=HYPERLINK" in teachers.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(bureau.get("/district/data/bundle.xlsx").content))["teachers"]
    assert "'=HYPERLINK(\"http://x\")" in [cell.value for cell in sheet["B"]]
    assert "没有任何变化" in upload(bureau, bureau.get("/district/data/bundle.zip").content).text


@SQLITE_ONLY
def test_the_template_downloads_with_a_sheet_per_file_and_imports_as_an_empty_bundle(client_for, accounts_db):
    bureau = client_for("局长")
    template = bureau.get("/district/data/template.xlsx")
    assert template.status_code == 200
    assert "filename*=UTF-8''%E5%AD%A6%E5%8C%BA" in template.headers["content-disposition"]  # 学区数据包模板.xlsx
    workbook = openpyxl.load_workbook(io.BytesIO(template.content))
    assert {"schools", "teachers", "students"} <= set(workbook.sheetnames)
    assert [c.value for c in workbook["schools"][1]][:3] == ["school_id", "name", "cluster_id"]
    refused = upload(bureau, template.content, "template.xlsx")  # empty: would delete the district
    assert refused.status_code == 400 and "勾选“允许大量删除”" in refused.text


@SQLITE_ONLY
def test_a_school_page_lists_its_classes_with_grade_students_and_teachers_by_name(client_for):
    page = client_for("实验小学教务处").get("/district/schools/S1").text
    rows = table_rows(page, "classes")
    assert [r[:4] for r in rows] == [["S1-3-1", "3年级", "45", "1"], ["S1-4-1", "4年级", "44", "0"]]
    assert rows[0][4] == "语文：王芳；数学：李强"


# --- the unpacking rules, without a server ---

def test_a_zipped_bundle_folder_is_accepted_and_system_litter_ignored(tmp_path):
    folder = mini_bundle_copy(tmp_path)
    data = zipped(folder, prefix="学区数据/", extra={"__MACOSX/学区数据/._schools.csv": b"\0", "学区数据/.DS_Store": b"\0"})
    into = tmp_path / "into"
    into.mkdir()
    unpacked = unpack(data, "学区数据.zip", into)
    assert unpacked.kind == "zip" and "schools.csv" in unpacked.files
    assert sorted(p.name for p in into.iterdir()) == sorted(p.name for p in folder.glob("*.csv"))


@pytest.mark.parametrize("entry", ["../teachers.csv", "a/../../teachers.csv", "/teachers.csv", "C:/teachers.csv",
                                   "..\\teachers.csv", "sub\\teachers.csv"])
def test_every_way_out_of_the_folder_is_refused(tmp_path, entry):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, "teacher_id\n")
    into = tmp_path / "into"
    into.mkdir()
    with pytest.raises(UploadRefused, match="outside the bundle"):
        unpack(buffer.getvalue(), "x.zip", into)
    assert list(into.iterdir()) == [] and not (tmp_path / "teachers.csv").exists()


def test_a_symbolic_link_in_a_zip_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("schools.csv")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(UploadRefused, match="outside the bundle"):
        unpack(buffer.getvalue(), "x.zip", tmp_path)


def test_a_zip_bomb_stops_at_the_cap_whatever_its_headers_say(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_upload, "MAX_UNPACKED_BYTES", 1 << 20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("students.csv", b"0" * (5 << 20))  # 5 MB of zeros, a few KB zipped
    assert len(buffer.getvalue()) < 50_000
    with pytest.raises(UploadRefused, match="unpacks to more than 1 MB"):
        unpack(buffer.getvalue(), "x.zip", tmp_path)


def test_an_uploaded_name_keeps_only_its_last_part_and_plain_characters():
    assert safe_upload_name("C:\\Users\\局长\\学区 数据.zip") == "学区 数据.zip"
    assert safe_upload_name("../../etc/passwd") == "passwd"
    assert safe_upload_name("<script>.xlsx") == "_script_.xlsx"
    assert safe_upload_name("") == "upload"


@SQLITE_ONLY
def test_the_data_page_loads_nothing_from_another_host(client_for, tmp_path):
    from tests.web.test_offline import Loads, local

    bureau = client_for("局长")
    for response in (bureau.get("/district/data"), upload(bureau, bad_bundle(tmp_path))):
        page = Loads()
        page.feed(response.text)
        assert page.urls and all(local(url) for url in page.urls)
        assert "default-src 'self'" in response.headers["content-security-policy"]
