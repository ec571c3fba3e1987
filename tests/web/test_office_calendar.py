"""The activity calendar page, its downloads and feeds, and meetings from the page, over plain HTTP
(FastAPI's TestClient) on one SQLite district for the module: the mini bundle with C1's roster, the
calendar planned once from the page with a 2 s limit. (The feeds' store is tested on PostgreSQL too
in tests/integration/service/test_calendar_cli.py.)"""
from __future__ import annotations

import html
import re
import warnings

import icalendar
import pytest

from tests.web.conftest import SECRET, build_district, csrf_of, sign_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

YEAR, TERM = 2026, 1
PAGE = f"/office/C1/calendar?year={YEAR}&term={TERM}"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    from models.db import dispose_engines
    from service.web.app import create_app

    work = tmp_path_factory.mktemp("office-calendar")
    url = f"sqlite:///{work / 'console.db'}"
    build_district(url, work)
    app = create_app(url, secret_key=SECRET)
    app.state.calendar_time_limit_s = 2.0
    clients: dict[str, TestClient] = {}

    def client(name: str | None = None) -> TestClient:
        if name not in clients:
            clients[name or ""] = made = TestClient(app)
            if name:
                assert sign_in(made, name).status_code == 303
        return clients[name or ""]

    office = client("城关学区办")
    before = office.get(PAGE)
    assert before.status_code == 200 and "本学期尚未排出学区活动" in before.text
    planned = office.post("/office/C1/calendar/plan", data={"csrf_token": csrf_of(before.text), "year": YEAR,
                                                               "term": TERM})
    assert planned.status_code == 200, planned.text  # followed to the page
    yield app, client, planned.text
    for made in clients.values():
        made.close()
    dispose_engines(url)


def text_of(page: str) -> str:
    """What a person reads in <main>: tags, attributes and scripts left out."""
    main = page[page.index("<main>"):]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def activity_ids(page: str) -> list[str]:
    return re.findall(r'<tr id="a-([^"]+)" class="activity status-(\w+)"', page)


def test_the_office_plans_the_term_and_reads_it_by_month_with_names_and_reasons(console):
    _app, client, page = console
    words = text_of(page)
    assert "已排出第 1 版" in words and "求解状态" in words
    assert "2026年9月" in words and "2026年12月" in words  # by month, then by week
    assert "集体备课" in words and "小学数学集体备课（9 月）" in words and "示范课：小学语文（王芳" in words
    assert "实验小学" in words and "李庄乡中心小学" in words and "下午" in words
    assert not re.search(r"\b(T0\d|S\d)\b", words)  # names, not ids, wherever a person reads
    # the best-effort plan's reasons, in the planner's words with numbers and the policy key
    shortfalls = re.search(r'<ul id="shortfalls">(.*?)</ul>', page, re.S).group(1)
    assert "demo_lesson.presenter_scope" in shortfalls and "（1 节）" in html.unescape(shortfalls)
    assert re.search(r"帮扶学校示范课 4 2", words)  # asked 4, planned 2
    english = text_of(client("城关学区办").get(PAGE + "&lang=en").text)
    assert "activity calendar" in english and "Plan this term's activities again" in english
    client("城关学区办").get(PAGE + "&lang=zh")


def test_plan_button_and_record_buttons_for_the_planning_roles_only(console):
    _app, client, page = console
    school = client("实验小学教务处")
    own = school.get(PAGE).text
    assert 'id="plan-calendar"' not in own and "记为已举行" not in own
    assert "仅显示与本校（实验小学）有关的活动" in own and 'id="shortfalls"' not in own
    first, _status = activity_ids(page)[0]
    token = csrf_of(own)
    assert school.post("/office/C1/calendar/plan", data={"csrf_token": token, "year": YEAR, "term": TERM}).status_code == 403
    assert school.post("/office/C1/calendar/record", data={"csrf_token": token, "activity_id": first, "status": "held",
                                                           "year": YEAR, "term": TERM}).status_code == 403
    assert client("城关学区办").get("/office/C2/calendar").status_code == 403


def test_an_activity_marked_held_then_cancelled_then_planned_again(console):
    _app, client, page = console
    office = client("城关学区办")
    chosen, status = activity_ids(page)[1]
    assert status == "planned"

    def record(target: str) -> str:
        return office.post("/office/C1/calendar/record", data={"csrf_token": csrf_of(office.get(PAGE).text),
                                                               "activity_id": chosen, "status": target,
                                                               "year": YEAR, "term": TERM}).text

    held = record("held")
    assert dict(activity_ids(held))[chosen] == "held"
    assert "计划 → 已开展" in text_of(held) and "城关学区办 记录" in text_of(held)
    assert dict(activity_ids(record("cancelled")))[chosen] == "cancelled"
    assert dict(activity_ids(record("planned")))[chosen] == "planned"
    refused = office.post("/office/C1/calendar/record", data={"csrf_token": csrf_of(held), "activity_id": "C2-nothing",
                                                              "status": "held", "year": YEAR, "term": TERM})
    assert refused.status_code == 200 and "本学区本学期没有活动 C2-nothing" in text_of(refused.text)


def unfolded(text: str) -> list[str]:
    """RFC 5545 content lines: CRLF line ends, folded lines ≤ 75 octets, unfolded here."""
    assert "\n" not in text.replace("\r\n", "") and text.endswith("\r\n")
    raw = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in raw)
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def events(text: str) -> list[dict[str, str]]:
    found, current = [], None
    for line in unfolded(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return found


def feed_addresses(page: str) -> dict[str, str]:
    """owner id → the https:// feed address shown on the page."""
    return dict(re.findall(r'<tr class="feed" data-owner="([^"]+)">.*?value="(http[^"]+)"', page, re.S))


def test_feeds_serve_the_stored_calendar_without_sign_in_and_reissue_revokes(console):
    _app, client, page = console
    office = client("城关学区办")
    addresses = feed_addresses(page)
    assert set(addresses) == {"S1", "S2", "S3"}
    assert re.search(r'value="webcal://testserver/feeds/[\w-]{32}\.ics"', page)
    assert feed_addresses(office.get(PAGE).text) == addresses  # the same address every time

    chosen, _ = activity_ids(client("实验小学教务处").get(PAGE).text)[2]  # an activity of 实验小学
    office.post("/office/C1/calendar/record", data={"csrf_token": csrf_of(page), "activity_id": chosen,
                                                    "status": "cancelled", "year": YEAR, "term": TERM})
    anonymous = client(None)
    served = anonymous.get(addresses["S1"].removeprefix("http://testserver"))
    assert served.status_code == 200 and served.headers["content-type"] == "text/calendar; charset=utf-8"
    found = events(served.text)
    by_uid = {e["UID"]: e for e in found}
    assert all(set(e) >= {"UID", "DTSTAMP", "DTSTART;TZID=Asia/Shanghai", "DTEND;TZID=Asia/Shanghai", "SUMMARY"}
               for e in found)
    assert all(re.fullmatch(r"\d{8}T\d{6}Z", e["DTSTAMP"]) for e in found)
    assert by_uid[f"{chosen}@xuequ"]["STATUS"] == "CANCELLED"  # a phone removes it
    assert {e["STATUS"] for e in found} == {"CONFIRMED", "CANCELLED"}
    assert "TZID:Asia/Shanghai" in served.text and "X-WR-CALNAME:实验小学" in served.text
    assert len(icalendar.Calendar.from_ical(served.content).walk("VEVENT")) == len(found)

    reissued = office.post("/office/C1/calendar/feed", data={"csrf_token": csrf_of(page), "kind": "school",
                                                             "owner_id": "S1", "year": YEAR, "term": TERM})
    assert "实验小学 的订阅地址已重新生成" in text_of(reissued.text)
    fresh = feed_addresses(reissued.text)["S1"]
    assert fresh != addresses["S1"]
    assert anonymous.get(addresses["S1"].removeprefix("http://testserver")).status_code == 404
    assert anonymous.get(fresh.removeprefix("http://testserver")).status_code == 200
    assert anonymous.get("/feeds/not-a-token.ics").status_code == 404


def test_a_teachers_feed_and_a_school_sees_only_its_own(console):
    _app, client, _page = console
    office = client("城关学区办")
    teacher = office.get(PAGE + "&teacher=T02").text  # 李强 (实验小学), a math teacher
    assert "李强（实验小学）" in text_of(teacher)
    address = feed_addresses(teacher)["T02"]
    mine = events(client(None).get(address.removeprefix("http://testserver")).text)
    assert mine and all("数学" in e["SUMMARY"] for e in mine)

    school = client("二小教务处")
    own = school.get(PAGE).text
    assert set(feed_addresses(own)) == {"S2"}  # its own school's feed only
    assert "王芳" not in re.search(r'<select name="teacher".*?</select>', own, re.S).group(0)  # S1's teacher
    assert school.get(PAGE + "&teacher=T01").status_code == 403
    assert school.get(f"/office/C1/calendar/school/S1.ics?year={YEAR}&term={TERM}").status_code == 403
    token = csrf_of(own)
    assert school.post("/office/C1/calendar/feed", data={"csrf_token": token, "kind": "school", "owner_id": "S1",
                                                         "year": YEAR, "term": TERM}).status_code == 403
    assert school.get(f"/office/C1/calendar/school/S2.ics?year={YEAR}&term={TERM}").status_code == 200


def test_downloads_csv_excel_and_a_schools_term_ics(console):
    _app, client, _page = console
    office = client("城关学区办")
    csv = office.get(f"/office/C1/calendar/calendar.csv?year={YEAR}&term={TERM}")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    header = csv.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("cluster_id,activity_id,kind,subject,grade,date,start,end,host_school_id,teacher_ids,title")
    notices = office.get(f"/office/C1/calendar/notices.xlsx?year={YEAR}&term={TERM}")
    assert notices.status_code == 200 and notices.content[:2] == b"PK"
    term_ics = office.get(f"/office/C1/calendar/school/S3.ics?year={YEAR}&term={TERM}")
    assert term_ics.headers["content-type"].startswith("text/calendar") and events(term_ics.text)
    school_csv = client("二小教务处").get(f"/office/C1/calendar/calendar.csv?year={YEAR}&term={TERM}").text
    assert len(school_csv.splitlines()) < len(csv.text.splitlines())  # what concerns the school only


def test_the_menu_leads_to_the_calendar(console):
    _app, client, _page = console
    office = client("城关学区办")
    assert 'href="/office/calendar"' in office.get("/office/ledger").text
    assert office.get("/office/calendar", follow_redirects=False).headers["location"] == "/office/C1/calendar"
    marker = client("阅卷老师")
    assert marker.get(PAGE).status_code == 403 and marker.get("/office/calendar").status_code == 403
    anonymous = client(None)
    assert anonymous.get(PAGE, follow_redirects=False).headers["location"].startswith("/login")
    assert anonymous.head(feed_addresses(office.get(PAGE).text)["S3"].removeprefix("http://testserver")).status_code == 200
    no_csrf = office.post("/office/C1/meetings/new", data={"kind": "teaching", "date": "2026-11-02"})
    assert no_csrf.status_code == 403 and "C1-2026-11-02-teaching" not in office.get("/office/C1/meetings").text
    bureau = client("局长").get("/office/calendar").text
    assert "城关第一学区" in bureau and "/office/C2/calendar" in bureau
    meetings = office.get("/office/C1/meetings").text
    assert 'href="/office/C1/calendar"' in meetings and '<a href="/office/calendar" class="here">' in meetings


def test_meetings_from_the_page_with_messages_for_bad_input(console):
    _app, client, _page = console
    office, school = client("城关学区办"), client("实验小学教务处")
    base = "/office/C1/meetings"
    token = csrf_of(office.get(base).text)
    bad = office.post(f"{base}/new", data={"csrf_token": token, "kind": "teaching", "date": "2026-13-40"})
    assert "'2026-13-40' 不是日期" in text_of(bad.text) and "2026-13-40" in bad.text  # the value kept
    made = office.post(f"{base}/new", data={"csrf_token": token, "kind": "teaching", "date": "2026-10-12",
                                            "title": ""})
    assert "已创建会议：城关第一学区教学工作例会（2026年10月）" in text_of(made.text)
    meeting = "C1-2026-10-12-teaching"
    long_title = office.post(f"{base}/new", data={"csrf_token": token, "kind": "monthly", "date": "2026-10-13",
                                                  "title": "长" * 201})
    assert "会议名称超过 200 个字" in text_of(long_title.text)
    again = office.post(f"{base}/new", data={"csrf_token": token, "kind": "teaching", "date": "2026-10-12"})
    assert f"会议 {meeting} 已存在" in text_of(again.text)
    school_token = csrf_of(school.get(base).text)
    assert school.post(f"{base}/new", data={"csrf_token": school_token, "kind": "teaching",
                                            "date": "2026-10-20"}).status_code == 403
    assert school.post(f"{base}/{meeting}/decision", data={"csrf_token": school_token, "text": "x",
                                                           "host_school_id": "S1", "due": "2026-10-30"}).status_code == 403

    item = school.post(f"{base}/{meeting}/agenda", data={"csrf_token": school_token, "text": "借用实验室的安排",
                                                         "school_id": "S2"})  # its own school, whatever it sends
    assert "议题已报送" in text_of(item.text) and "借用实验室的安排 （实验小学）" in text_of(item.text)
    empty = school.post(f"{base}/{meeting}/agenda", data={"csrf_token": school_token, "text": "  "})
    assert "议题为空" in text_of(empty.text)

    early = office.post(f"{base}/{meeting}/decision", data={"csrf_token": token, "text": "统一期中命题",
                                                            "host_school_id": "S1", "due": "2026-10-01"})
    assert "完成期限 2026-10-01 早于会议日期 2026-10-12" in text_of(early.text)
    assert 'value="统一期中命题"' in early.text  # the form keeps what was typed
    no_host = office.post(f"{base}/{meeting}/decision", data={"csrf_token": token, "text": "统一期中命题",
                                                              "due": "2026-10-30"})
    assert "每项决议须明确主办学校" in text_of(no_host.text)
    decided = office.post(f"{base}/{meeting}/decision",
                          data={"csrf_token": token, "text": "统一期中命题", "host_school_id": "S1",
                                "assisting_school_ids": ["S2", "S3"], "due": "2026-10-30"})
    words = text_of(decided.text)
    assert "决议已记录：统一期中命题" in words
    assert "统一期中命题 实验小学 城关镇第二小学、李庄乡中心小学 2026-10-30" in words

    state = f"/office/C1/decisions/{meeting}-1/state"
    late = office.post(state, data={"csrf_token": token, "status": "late", "reason": ""})
    assert "逾期：须说明原因" in text_of(late.text)
    late = office.post(state, data={"csrf_token": token, "status": "late", "reason": "命题教师外出培训"})
    assert "逾期：命题教师外出培训" in text_of(late.text)
    done = office.post(state, data={"csrf_token": token, "status": "done"})
    assert "决议“统一期中命题”：已完成" in text_of(done.text)
    reopen = office.post(state, data={"csrf_token": token, "status": "late", "reason": "x"})
    assert "已完成，不能重新打开" in text_of(reopen.text)

    refused = office.post(f"{base}/{meeting}/minutes", data={"csrf_token": token},
                          files={"decisions": ("decisions.csv", "text,host_school_id,due\n缺主办,,2026-10-30\n".encode())})
    words = text_of(refused.text)
    assert "decisions.csv 有 1 处问题，未做任何修改" in words and "第2行" in words and "每项决议须明确主办学校" in words
    assert "统一期中命题" in words  # the form's decision is still there: nothing was written
    assert office.post(f"{base}/C2-nothing/decision", data={"csrf_token": token, "text": "x", "host_school_id": "S1",
                                                            "due": "2026-10-30"}).status_code == 404
