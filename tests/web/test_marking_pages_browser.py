"""The marking pages in Chromium, offline (tests/web/conftest.py `offline_page`: any request to another
host fails the test), on the small marking exam of test_marking_pages.py with every Q7 script waiting
for arbitration:

- a console marker account marks by keyboard only on a 1366×768 laptop, then on a tablet;
- a marker signs in with the printed token on `xuequ marking serve`'s page, and a leader arbitrates;
- the quality-control parts of the contract (problem scripts, pausing a marker, trial marking) are
  tested against mkqc's endpoints, skipped while the marker API lacks them.

With XUEQU_SCREENSHOT_DIR=docs/screenshots the screenshots are copied there (docs/screenshots/marking_*.png).
"""
from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import SECRET, offline_page, serve_app
from tests.web.test_browser import sign_in
from tests.web.test_marking_pages import ANSWER_5, LEADER, MARKER, OTHER_MARKER, RUBRIC_5, MarkingData, build_marking

expect = pytest.importorskip("playwright.sync_api").expect
ONE_PIXEL_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def _marker_api_has(method: str, path: str) -> bool:
    """Whether the marker API in this checkout has the endpoint (its OpenAPI schema; path parameters by shape)."""
    from service.marker_api import create_app

    def shape(text: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", text)

    paths = {shape(p): methods for p, methods in create_app("sqlite://").openapi()["paths"].items()}
    return method.lower() in paths.get(shape("/api/v1" + path), {})


def needs(*endpoints: tuple[str, str]):
    return pytest.mark.skipif(not all(_marker_api_has(m, p) for m, p in endpoints), reason="needs mkqc's endpoints")


@dataclass(frozen=True)
class LiveMarking:
    data: MarkingData
    console: str  # the web console (pages at /mark, API at /api/marking)
    site: str  # `xuequ marking serve`'s app (pages at /, API at /api/v1)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveMarking]:
    from models.db import dispose_engines
    from service.marker_site import create_site
    from service.web.app import create_app

    from marking.policy import MarkingPolicy

    folder = tmp_path_factory.mktemp("marking-live")
    url = f"sqlite:///{folder / 'marking.db'}"
    data = build_marking(url, arbitrations=True)
    scan_root = write_scans(url, folder / "scans")
    flag_early = MarkingPolicy.from_dict({"progress": {"min_paired_marks": 1}})  # the site's leader sees flags
    before = os.environ.get("XUEQU_SCAN_ROOT")
    os.environ["XUEQU_SCAN_ROOT"] = str(scan_root)  # the console's marker API reads it per request
    try:
        with serve_app(create_app(url, secret_key=SECRET)) as console, \
                serve_app(create_site(url, policy=flag_early)) as site:
            yield LiveMarking(data, console, site)
    finally:
        if before is None:
            os.environ.pop("XUEQU_SCAN_ROOT", None)
        else:
            os.environ["XUEQU_SCAN_ROOT"] = before
        dispose_engines(url)


def write_scans(url: str, root: Path) -> Path:
    """A scanned answer sheet (a handwritten-looking image) for every response that names one."""
    from PIL import Image, ImageDraw, ImageFont
    from sqlalchemy import select

    from analysis.pdf_font import FontUnavailable, find_font
    from marking.scans import is_scan
    from models.db import session_scope
    from models.exams import Response

    try:
        source = find_font()
        font = ImageFont.truetype(str(source.path), 30, index=source.face)
    except (FontUnavailable, OSError):
        font = ImageFont.load_default()
    lines = ["6. 解：由题意得 2x + 3 = 11，", "    2x = 8，", "    x = 4。", "答：x 的值为 4。"]
    with session_scope(url) as session:
        refs = [r for r in session.scalars(select(Response.answer)) if is_scan(r)]
    for ref in refs:
        image = Image.new("RGB", (900, 260), "#fbfaf5")
        draw = ImageDraw.Draw(image)
        for k, line in enumerate(lines):
            draw.text((30, 24 + 56 * k), line, fill="#1d2a6b", font=font)
        path = root / ref
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
    return root


@pytest.fixture
def shoot(tmp_path):
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")

    def take(page, name: str, *, full_page: bool = False) -> None:
        path = tmp_path / f"marking_{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)

    return take


def marks_of(url: str, teacher_id: str) -> list[dict[str, float]]:
    from sqlalchemy import select

    from models.db import session_scope
    from models.marking import MarkingMark

    with session_scope(url) as session:
        return [dict(m.scores) for m in session.scalars(select(MarkingMark).where(MarkingMark.marker_id == teacher_id)
                                                        .order_by(MarkingMark.mark_id))]


def leased_by(url: str, teacher_id: str) -> int:
    from sqlalchemy import func, select

    from models.db import session_scope
    from models.marking import MarkingTask

    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(MarkingTask).where(
            MarkingTask.marker_id == teacher_id, MarkingTask.state == "leased"))


def fits(page) -> None:
    """No horizontal scroll, and the submit button on screen without scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.locator("#mk-submit").bounding_box()
    size = page.viewport_size
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= size["height"], (box, size)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]


def token_sign_in(page, token: str) -> None:
    page.get_by_label("阅卷令牌").fill(token)
    page.keyboard.press("Enter")


def test_a_console_marker_marks_by_keyboard_on_a_laptop_and_on_a_tablet(browser, live, shoot):
    with offline_page(browser, live.console, width=1366, height=768) as page:
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and urlsplit(r.url).path.endswith("/marks")
                else None)
        sign_in(page, "王老师")  # the console's account: no token typed
        page.wait_for_url("**/mark")
        code = page.locator("#mk-code")
        expect(code).not_to_be_empty()
        assert page.locator("#mk-signin").is_hidden()
        expect(page.locator("#mk-who")).to_contain_text("数学")  # 数学 题组 G1, or the API's group label
        expect(page.locator("#mk-who")).to_contain_text("阅卷员")
        first = code.inner_text()
        body = page.locator("body").inner_text()
        assert "合并同类项得 5x = 50，" in body and RUBRIC_5 in body  # the text answer and the marking standard
        # 密封: no student or school, not even in a scan's path (the sample's teachers are named by their ids,
        # and a marker may see their own name)
        assert "ST0" not in body and "SCH" not in body.replace(MARKER, "")
        expect(page.locator("#mk-timer")).to_contain_text("本卷用时 0:")

        page.reload()  # the same script again, not a second one
        expect(code).to_have_text(first)
        expect(page.locator("#score-S-I05")).to_be_focused()

        page.keyboard.type("7")
        page.keyboard.press("Tab")
        page.keyboard.type("2.3")  # 第6题 goes in steps of 0.5
        page.keyboard.press("Enter")
        expect(page.locator("#err-S-I06")).to_have_text("第6题：分数须为 0.5 的整数倍，可给 2 或 2.5")
        expect(page.locator("#mk-form-error")).to_have_text("未提交：请改正第6题的分数后再按 Enter。")
        expect(page.locator("#score-S-I06")).to_be_focused()
        page.keyboard.type("11")  # the wrong score was selected: typing replaces it
        expect(page.locator("#err-S-I06")).to_have_text("第6题：超过满分 6")
        page.keyboard.press("Enter")
        assert posted == [] and code.inner_text() == first  # nothing sent while a box is wrong

        page.keyboard.press("Control+a")
        page.keyboard.type("2.5")
        expect(page.locator("#mk-total")).to_have_text("9.5")
        page.keyboard.press("Enter")  # submitted, and the next script loads
        expect(code).not_to_have_text(first)
        expect(page.locator("#mk-mine")).to_contain_text("我已评 1 份")
        second = code.inner_text()
        page.keyboard.type("8")
        page.keyboard.press("ArrowDown")
        page.keyboard.type("3")
        page.keyboard.press("Enter")
        expect(code).not_to_have_text(second)
        expect(page.locator("#mk-mine")).to_contain_text("我已评 2 份")
        third = code.inner_text()
        page.keyboard.press("ArrowDown")
        page.keyboard.type("6")
        page.keyboard.press("ArrowUp")
        page.keyboard.type("10")
        fits(page)
        shoot(page, "marker")
        page.keyboard.press("Enter")
        expect(code).not_to_have_text(third)
        expect(page.locator("#mk-mine")).to_contain_text("我已评 3 份")
        assert len(posted) == 3
        assert marks_of(live.data.url, MARKER) == [{"S-I05": 7, "S-I06": 2.5}, {"S-I05": 8, "S-I06": 3},
                                                    {"S-I05": 10, "S-I06": 6}]

        held = code.inner_text()  # put it back: the script returns to the queue, the page waits for Enter
        page.get_by_role("button", name="放回队列").click()
        expect(page.locator("#mk-wait-text")).to_contain_text(f"密号 {held} 已放回队列")
        expect(page.get_by_role("button", name="继续阅卷")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#score-S-I05")).to_be_focused()

        page.set_viewport_size({"width": 768, "height": 1024})  # a tablet, upright
        page.keyboard.type("6")
        fits(page)
        shoot(page, "marker_tablet")
        page.get_by_role("button", name="退出").click()  # gives the script back and signs out of the console
        page.wait_for_url("**/login")
        assert page.evaluate("sessionStorage.length") == 0
    assert leased_by(live.data.url, MARKER) == 0


def with_a_scan_and_samples(route) -> None:
    """POST /next as the contract's TaskView will have it (mkcore): 第6题 a scan, a standard with samples."""
    reply = route.fetch()
    body = reply.json()
    if body.get("task"):
        body["task"]["answers"]["S-I06"] = None
        body["task"]["scans"] = {"S-I06": "scans/k9f3a"}
        body["task"]["standard"] = {"S-I06": {"rubric": "公式 3 分，代入 2 分，结果 1 分。",
                                              "samples": [{"score": 3, "answer": "只写出公式"}]}}
    route.fulfill(response=reply, json=body)


def test_a_marker_signs_in_with_the_token_where_the_api_serves_and_a_leader_arbitrates(browser, live, shoot):
    with offline_page(browser, live.site) as page:
        scan_requests: list[str | None] = []
        page.route(re.compile(r"/api/v1/next(\?|$)"), with_a_scan_and_samples)
        page.route("**/api/v1/scans/k9f3a", lambda route: (scan_requests.append(route.request.headers.get("authorization")),
                                                           route.fulfill(body=ONE_PIXEL_PNG, content_type="image/png")))
        page.goto("/")
        token_sign_in(page, "not-a-token")
        expect(page.locator("#mk-signin-message")).to_have_text("令牌不对或已失效，请核对后重试。")
        token_sign_in(page, live.data.tokens[OTHER_MARKER])
        expect(page.locator("#mk-code")).not_to_be_empty()
        expect(page.locator("img.mk-scan")).to_have_attribute("src", re.compile("^blob:"))  # fetched with the token
        page.wait_for_function("document.querySelector('img.mk-scan').naturalWidth > 0")
        assert scan_requests == [f"Bearer {live.data.tokens[OTHER_MARKER]}"]
        expect(page.locator(".mk-standard-item[data-item=S-I06]")).to_contain_text("样例 3 分只写出公式")
        page.keyboard.type("5")
        page.keyboard.press("Tab")
        page.keyboard.type("1")
        page.keyboard.press("Enter")
        expect(page.locator("#mk-mine")).to_contain_text("我已评 1 份")
        assert marks_of(live.data.url, OTHER_MARKER) == [{"S-I05": 5, "S-I06": 1}]

    with offline_page(browser, live.site, width=1366, height=768) as page:
        page.goto("/leader")
        token_sign_in(page, live.data.tokens[LEADER])
        rows = page.locator("#ld-arb-table tbody tr")
        expect(rows).to_have_count(6)
        expect(page.locator("#ld-arb-count")).to_have_text("6 份待处理")
        assert page.locator("#ld-arb-table tbody tr", has_text="回避").count() == 2  # two of its school's
        assert [c.strip() for c in rows.first.locator("td").all_inner_texts()[2:5]] == ["1", "9", "5"]
        markers = page.locator("#ld-marker-table tbody tr")
        expect(markers).to_have_count(8)  # the group's markers and leaders
        if not _marker_api_has("GET", "/group/markers"):  # today's figures: 1, 9 and 5 never agree
            flagged = page.locator("#ld-marker-table tbody tr.alert")
            expect(flagged.first).to_contain_text("双评一致率 0%，低于 70%")
            assert flagged.count() == 6 and markers.filter(has_text="题组长").locator("td.alert-cell").count() == 0
        if not _marker_api_has("GET", "/problems"):
            assert page.locator("#ld-problems").is_hidden() and page.locator("#ld-scripts").is_hidden()
        shoot(page, "leader", full_page=True)

        page.get_by_role("button", name="开始仲裁").click()
        earlier = page.locator("#mk-earlier tbody tr")
        expect(earlier).to_have_count(3)
        assert earlier.locator("td:first-child").all_inner_texts() == ["一评", "二评", "三评"]
        arbitrated = page.locator("#mk-code").inner_text()
        shoot(page, "leader_arbitration")
        page.keyboard.type("4")
        page.keyboard.press("Enter")
        expect(page.locator("#mk-toast")).to_have_text(f"密号 {arbitrated} 已仲裁定分。")
        expect(page.locator("#mk-code")).not_to_have_text(arbitrated)  # the next arbitration
        page.get_by_role("button", name="返回列表").click()  # gives that one back
        expect(rows).to_have_count(5)  # (the group's figures may be cached a few seconds by the API)
    from sqlalchemy import select

    from models.db import session_scope
    from models.marking import MarkingScript

    with session_scope(live.data.url) as session:
        script = session.scalars(select(MarkingScript).where(MarkingScript.code == arbitrated)).one()
        assert script.status == "final" and script.final_scores == {"S-I07": 4.0} and script.source == "arbitration"


# --- the quality-control contract (mkqc): run once the marker API has the endpoints -------------------

G1_LEADER = "S-SCH1-G1-L1"


@needs(("POST", "/tasks/{task_id}/problem"), ("GET", "/problems"), ("POST", "/problems/{problem_id}/resolve"))
def test_a_marker_reports_a_problem_script_and_the_leader_sends_it_back(browser, live):
    with offline_page(browser, live.site) as page:
        page.goto("/")
        token_sign_in(page, live.data.tokens["S-SCH3-G1-M1"])
        code = page.locator("#mk-code")
        expect(code).not_to_be_empty()
        reported = code.inner_text()
        page.keyboard.press("p")  # 问题卷
        expect(page.locator("#mk-problem-dialog")).to_be_visible()
        page.keyboard.press("2")  # 字迹不清或扫描问题
        expect(page.locator("#reason-illegible")).to_be_checked()
        page.keyboard.press("Enter")
        expect(page.locator("#mk-toast")).to_have_text(f"密号 {reported} 已作为问题卷交给题组长。")
        expect(page.locator("#mk-problem-dialog")).to_be_hidden()
        expect(code).not_to_have_text(reported)  # it left this marker's queue
    with offline_page(browser, live.site) as page:
        page.goto("/leader")
        token_sign_in(page, live.data.tokens[G1_LEADER])
        row = page.locator("#ld-problem-table tbody tr", has_text=reported)
        expect(row).to_contain_text("字迹不清或扫描问题")
        row.get_by_role("button", name="退回重评").click()
        expect(page.locator("#mk-toast")).to_have_text(f"问题卷 {reported} 已退回队列重评。")


@needs(("GET", "/group/markers"), ("POST", "/group/markers/{teacher_id}/pause"),
       ("GET", "/group/markers/{teacher_id}/marks"), ("POST", "/group/scripts/{code}/return"))
def test_a_leader_pauses_a_marker_and_returns_a_mark_and_the_markers_page_says_why(browser, live):
    paused = "S-SCH3-G1-M2"
    with offline_page(browser, live.site, width=1366, height=768) as page:
        page.goto("/leader")
        token_sign_in(page, live.data.tokens[G1_LEADER])
        row = page.locator(f"#ld-marker-table tbody tr[data-teacher='{paused}']")
        row.get_by_role("button", name="暂停阅卷").click()
        page.locator("#ld-pause-reason").fill("请先复习评分标准")
        page.keyboard.press("Enter")
        expect(row).to_contain_text("已暂停")

        # 退回重评: a marker's latest marks, one sent back for another mark
        [returned] = [m for m in marks_of(live.data.url, OTHER_MARKER)]  # the one mark of the token journey
        page.locator(f"#ld-marker-table tbody tr[data-teacher='{OTHER_MARKER}'] td[data-key=name] button").click()
        mark_row = page.locator("#ld-marks-table tbody tr")
        expect(mark_row).to_have_count(1)
        code = mark_row.first.get_attribute("data-code")
        mark_row.first.get_by_role("button", name="退回重评").click()
        expect(page.locator("#ld-marks-message")).to_have_text("请写明原因。")  # nothing sent without a reason
        page.locator("#ld-marks-reason").fill("第6题给分偏离评分标准")
        mark_row.first.get_by_role("button", name="退回重评").click()
        expect(page.locator("#ld-marks-message")).to_have_text(f"密号 {code} 已退回重评。")
        assert returned and marks_of(live.data.url, OTHER_MARKER) == []  # set aside: no longer counted
    with offline_page(browser, live.site) as page:
        page.goto("/")
        token_sign_in(page, live.data.tokens[paused])
        expect(page.locator("#mk-wait-text")).to_have_text("题组长已暂停你的评卷：请先复习评分标准。恢复后本页自动继续。")
        assert page.locator("#mk-work").is_hidden()


@needs(("GET", "/trial"))
def test_a_marker_marks_the_trial_scripts_first(browser, live, tmp_path):
    """With the group's standard scripts (标准卷) in, a marker marks them first (试评); far from the expert
    scores, the trial fails and the page shows each question's expert and given scores."""
    seed_standard_scripts(live.data, "G1", tmp_path)
    with offline_page(browser, live.site) as page:
        page.goto("/")
        token_sign_in(page, live.data.tokens["S-SCH1-G1-M2"])
        expect(page.locator("#mk-kind")).to_have_text("试评")
        expect(page.locator("#mk-trial")).to_have_text("试评卷 第 1/2 份：通过后开始正式阅卷")
        for n in (2, None):
            page.keyboard.type("0")
            page.keyboard.press("Tab")
            page.keyboard.type("0")
            page.keyboard.press("Enter")
            if n is not None:
                expect(page.locator("#mk-trial")).to_have_text(f"试评卷 第 {n}/2 份：通过后开始正式阅卷")
        expect(page.locator("#mk-wait-text")).to_contain_text("试评未通过")
        expect(page.locator("#mk-trial-table tbody tr")).to_have_count(4)
        assert page.locator("#mk-trial-table tbody tr.alert").count() >= 3  # 0 is far from 8, 4.5 and 3
        expect(page.get_by_role("button", name="重新试评")).to_be_visible()


def seed_standard_scripts(data: MarkingData, group: str, tmp: Path) -> None:
    """Two trial standard scripts for G1 (第5题 and 第6题), imported as `xuequ marking standards` does."""
    from marking.standards import import_standards  # mkqc
    from models.db import session_scope

    assert group == "G1"
    rows = ["standard_id,subject,question,answer,expert_score,purpose"]
    for name, scores in (("标准卷1", (8, 4.5)), ("标准卷2", (3, 2))):
        rows += [f"{name},math,5,{ANSWER_5.splitlines()[6]},{scores[0]},trial", f"{name},math,6,x = 10,{scores[1]},trial"]
    path = tmp / "standards.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with session_scope(data.url) as session:
        import_standards(session, data.exam_id, [path])
