"""The console in a real browser: Playwright drives the system Chromium (never `playwright install`)
against the console served by uvicorn on a SQLite district (tests/web/conftest.py `live_console`).

Each page visited is saved as a screenshot under the test's tmp folder; with
XUEQU_SCREENSHOT_DIR=docs/screenshots the main ones are copied there too (how the README's are made).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import PASSWORD, csrf_of, offline_page

MAIN_PAGES = {"district", "cluster", "teachers", "roster", "season", "school", "forbidden", "login-refused"}


@pytest.fixture
def page(browser, live_console):
    with offline_page(browser, live_console.base) as page:
        yield page


@pytest.fixture
def shoot(tmp_path):
    """shoot(page, name): a full-page screenshot in the test's tmp folder (and the docs folder when asked)."""
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")

    def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if keep and name in MAIN_PAGES:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take


def sign_in(page, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("登录名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def column(page, table: str, index: int = 0) -> list[str]:
    return [cell.strip() for cell in page.locator(f"table#{table} tbody tr td:nth-child({index + 1})").all_inner_texts()]


def test_the_bureau_signs_in_and_reads_the_district_by_name(page, shoot):
    sign_in(page, "局长")
    page.wait_for_url("**/district")
    assert page.locator("h1").inner_text() == "学区概况：示范县"
    assert column(page, "clusters") == ["城关第一学区", "河口学区"]
    assert column(page, "clusters", 1) == ["实验小学", "第一初级中学"]  # lead schools by name
    shoot(page, "district")

    page.get_by_role("link", name="城关第一学区").click()
    assert page.locator("h1").inner_text() == "城关第一学区"
    assert column(page, "schools")[0].startswith("实验小学")  # the lead school first, marked
    assert "小学" in column(page, "schools", 1)
    shoot(page, "cluster")

    page.goto("/district/teachers")
    page.get_by_label("学科").select_option(label="数学")  # the page's script submits the filter
    page.wait_for_url("**subject=math**")
    assert set(column(page, "teachers", 2)) == {"数学"}
    assert "李强" in column(page, "teachers")
    page.get_by_label("姓名包含").fill("李")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**q=**")
    assert column(page, "teachers") == ["李强"]
    shoot(page, "teachers")


def test_the_roster_and_the_season_read_in_chinese_with_names(page, shoot):
    sign_in(page, "局长")
    page.wait_for_url("**/district")
    page.get_by_role("link", name="交流轮岗名单").click()
    page.get_by_role("link", name="查看").click()
    assert page.locator("h1").inner_text() == "交流轮岗名单：城关第一学区 2026学年第一学期"
    teachers, kinds = set(column(page, "roster")), set(column(page, "roster", 4))
    assert {"张伟", "刘洋"} <= teachers and not any(t.startswith("T0") for t in teachers)
    assert set(column(page, "roster", 2)) <= {"实验小学", "城关镇第二小学", "李庄乡中心小学"}
    assert kinds <= {"中层干部", "校长", "教师", "跨校兼课"} and "中层干部" in kinds  # domain/labels.py posting_kind
    # the mini district cannot meet the default policy: the roster says it is a best effort, and why,
    # beside the numbers (the attainment table's 说明 column)
    assert "求解状态：尽力方案" in page.locator("p.facts").inner_text()
    assert "support.excellent_per_year" in page.locator("#attainment").inner_text()
    shoot(page, "roster")

    page.get_by_role("link", name="考试季").click()
    page.get_by_role("link", name="2026学年第一学期八年级期中联考").click()
    page.locator(".stage-name").first.wait_for()  # all_inner_texts does not wait for the page to arrive
    assert page.locator(".stage-name").all_inner_texts() == ["命题组卷", "审题", "监考与阅卷安排", "答卷导入", "阅卷", "定分",
                                                             "成绩分析"]
    assert page.locator(".stage-status").all_inner_texts() == ["完成", "未开始", "未开始", "未开始", "未开始", "未开始", "未开始"]
    assert "下一步：审题" in page.locator("p.notice").inner_text()
    shoot(page, "season")

    page.get_by_role("link", name="English").click()
    assert page.locator(".stage-name").first.inner_text() == "question setting"
    shoot(page, "season-en")
    page.goto("/docs")
    assert page.get_by_text("/api/marking/api/v1/next").count() == 1
    shoot(page, "docs")


def test_a_wrong_password_is_refused_with_a_message(page, shoot):
    sign_in(page, "局长", "not-the-password")
    assert page.get_by_role("alert").inner_text() == "登录名或密码不对，请重试。"
    assert page.url.endswith("/login")
    assert page.get_by_label("登录名").input_value() == "局长"  # the name stays, the password does not
    assert page.get_by_label("密码").input_value() == ""
    shoot(page, "login-refused")


def test_a_school_sees_only_its_school_and_gets_403_on_another(page, shoot, live_console):
    sign_in(page, "实验小学教务处")
    page.wait_for_url("**/district/schools/S1")
    assert page.locator("h1").inner_text() == "实验小学"
    assert {"王芳", "李强", "张伟"} == set(column(page, "teachers"))
    shoot(page, "school")

    response = page.goto("/district/schools/S2")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "403 · 无权访问"
    assert page.locator("p.problem").inner_text() == "您无权查看此页面。"
    assert page.get_by_text("刘洋").count() == 0
    shoot(page, "forbidden")
    assert page.goto("/api/console/schools/S2").status == 403

    page.goto("/term/C1/2026/1")  # its cluster's roster, only the rows about its school
    assert "仅显示与本校（实验小学）有关的行" in page.locator("p.notice").inner_text()
    assert all("实验小学" in (row[2], row[3]) for row in
               zip(*(column(page, "roster", i) for i in range(4))))
    assert page.locator("#shortfalls").count() == 0  # they name the cluster's other schools
    shoot(page, "school-roster")

    with httpx.Client(base_url=live_console.base) as plain:  # the same rules for a plain HTTP client
        token = csrf_of(plain.get("/login").text)
        assert plain.post("/login", data={"name": "实验小学教务处", "password": PASSWORD, "csrf_token": token}
                          ).status_code == 303
        assert plain.get("/district/schools/S1").status_code == 200
        assert plain.get("/district/schools/S2").status_code == 403
        assert plain.get("/api/console/schools/S4").status_code == 403


def test_a_form_posted_without_its_csrf_token_is_refused(page, shoot, live_console):
    sign_in(page, "二小教务处")
    page.wait_for_url("**/district/schools/S2")
    page.goto("/account")
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码").fill("taken-over-123")
    page.locator("form[action='/account/password'] input[name=csrf_token]").evaluate("field => field.remove()")
    page.locator("form[action='/account/password'] button").click()
    assert page.locator("h1").inner_text() == "403 · 无权访问"
    assert "CSRF 校验失败" in page.locator("p.problem").inner_text()
    shoot(page, "csrf-refused")
    with httpx.Client(base_url=live_console.base) as plain:  # the password did not change
        token = csrf_of(plain.get("/login").text)
        assert plain.post("/login", data={"name": "二小教务处", "password": PASSWORD, "csrf_token": token}
                          ).status_code == 303
