"""The district's data in a real browser, once on SQLite and once on PostgreSQL: the bureau uploads a
bad bundle and reads every problem by file, row and column while the database stays as it was, then
a good one, reads what changed, and finds the new school and teacher by name.

The console here is served on a district of its own (the session's `live_console` is shared with
the other journeys, which an import would change under them). Screenshots of the upload page go to
the test's tmp folder, and to XUEQU_SCREENSHOT_DIR when set (how docs/screenshots are made).
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import SECRET, LiveConsole, offline_page, serve_app
from tests.web.test_browser import column, sign_in
from tests.web.test_district_data import FIXTURES, bad_bundle, good_bundle, row_counts

DOC_PAGES = {"data-errors", "data-imported"}


@pytest.fixture
def data_console(accounts_db) -> Iterator[LiveConsole]:
    """The console served by uvicorn on a district with its accounts, on SQLite or PostgreSQL."""
    from models.db import dispose_engines
    from service.web.app import create_app

    with serve_app(create_app(accounts_db, secret_key=SECRET)) as base:
        yield LiveConsole(base, accounts_db)
    dispose_engines(accounts_db)


@pytest.fixture
def page(browser, data_console):
    with offline_page(browser, data_console.base) as page:
        yield page


def shoot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")
    if keep and name in DOC_PAGES:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def choose(page, name: str, data: bytes) -> None:
    page.get_by_label("数据包文件（.zip 或 .xlsx）").set_input_files(
        files=[{"name": name, "mimeType": "application/zip", "buffer": data}])


def test_the_bureau_uploads_a_bad_bundle_then_a_good_one_and_reads_the_new_school(page, data_console, tmp_path):
    sign_in(page, "局长")
    page.wait_for_url("**/district")
    page.get_by_role("link", name="数据包导入与导出").click()
    assert page.locator("h1").inner_text() == "数据包导入与导出"
    before = row_counts(data_console.url)

    choose(page, "教师名单有误.zip", bad_bundle(tmp_path))
    page.get_by_role("button", name="校验并导入").click()
    page.wait_for_selector("table#problems")
    assert "未导入任何数据" in page.locator("#problem-count").inner_text()
    where = list(zip(column(page, "problems"), column(page, "problems", 1), column(page, "problems", 2)))
    last_row = len((FIXTURES / "mini_bundle" / "teachers.csv").read_text(encoding="utf-8-sig").splitlines())
    assert ("teachers.csv", str(last_row + 1), "school_id（学校编号）") in where  # the unknown school S99
    assert ("teachers.csv", str(last_row + 2), "name（姓名）") in where  # the blank name
    assert row_counts(data_console.url) == before
    assert column(page, "events", 2)[0] == "导入被拒绝" and column(page, "events", 3)[0] == "web:教师名单有误.zip"
    shoot(page, tmp_path, "data-errors")

    choose(page, "新学校.zip", good_bundle(tmp_path))
    page.get_by_role("button", name="校验并导入").click()
    page.wait_for_selector("#imported")
    assert page.locator("#imported").inner_text() == "已导入 新学校.zip：共 2 行有变化。"
    changes = dict(zip(column(page, "changes"), column(page, "changes", 1)))
    assert changes["schools.csv（学校）"] == "1" and changes["teachers.csv（教师）"] == "1"
    assert page.locator("table#problems").count() == 0
    assert column(page, "events", 1)[0] == "局长" and column(page, "events", 2)[0] == "导入"
    shoot(page, tmp_path, "data-imported")

    page.get_by_role("link", name="学区概况").click()
    page.get_by_role("link", name="城关第一学区").click()
    page.get_by_role("link", name="桃园小学").click()
    assert page.locator("h1").inner_text() == "桃园小学"
    assert column(page, "teachers") == ["欧阳明"]
    assert row_counts(data_console.url)["schools"] == before["schools"] + 1
