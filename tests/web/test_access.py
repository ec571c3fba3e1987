"""The access rules, enforced on the server for pages and JSON alike (a plain HTTP client, no
browser), on SQLite and PostgreSQL; CSRF on every form; the audit of the console's changes."""
from __future__ import annotations

import re

from sqlalchemy import select

from models import AuditEntry, User
from models.db import session_scope
from models.users import verify_password
from tests.web.conftest import PASSWORD, csrf_of


def h1(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.DOTALL).group(1)


def test_a_school_user_sees_its_school_and_gets_403_elsewhere_on_pages_and_json(client_for):
    school = client_for("实验小学教务处")
    assert school.get("/", follow_redirects=False).headers["location"] == "/district/schools/S1"
    own = school.get("/district/schools/S1")
    assert own.status_code == 200 and h1(own.text) == "实验小学" and "王芳" in own.text
    for path in ("/district/schools/S2", "/district/schools/S4", "/district/clusters/C1", "/district/teachers?school=S2",
                 "/term/C2/2026/1", "/district/schools/NO-SUCH-SCHOOL"):
        refused = school.get(path)
        assert refused.status_code == 403, path
        assert "您无权查看此页面" in refused.text and "刘洋" not in refused.text  # S2's teacher never shown
    for path in ("/api/console/schools/S2", "/api/console/schools/S4"):
        assert school.get(path).status_code == 403
        assert school.get(path).json() == {"detail": "forbidden"}
    data = school.get("/api/console/schools/S1").json()
    assert data["school"]["name"] == "实验小学" and {t["name"] for t in data["teachers"]} == {"王芳", "李强", "张伟"}
    teachers = school.get("/district/teachers").text  # no school chosen: its own only
    assert "王芳" in teachers and "刘洋" not in teachers
    assert school.get("/district", follow_redirects=False).headers["location"] == "/district/schools/S1"


def test_a_school_reads_its_clusters_roster_only_as_it_concerns_the_school(client_for):
    rows = client_for("二小教务处").get("/api/console/term/C1/2026/1").json()["rows"]
    assert rows and all("S2" in (r["from_school_id"], r["to_school_id"]) for r in rows)
    everything = client_for("城关学区办").get("/api/console/term/C1/2026/1").json()["rows"]
    assert len(everything) > len(rows)
    assert any("S2" not in (r["from_school_id"], r["to_school_id"]) for r in everything)


def test_a_cluster_office_sees_its_cluster_only_and_a_marker_no_district_page(client_for):
    office = client_for("城关学区办")
    assert office.get("/district/clusters/C1").status_code == 200
    assert office.get("/district/schools/S2").status_code == 200
    for path in ("/district/clusters/C2", "/district/schools/S4", "/exams/E1/season", "/api/console/exams/E1/season"):
        assert office.get(path).status_code == 403, path  # E1 is C2's exam
    marker = client_for("阅卷老师")
    for path in ("/district/schools/S1", "/exams", "/term", "/api/console/schools/S1"):
        assert marker.get(path).status_code == 403, path
    assert marker.get("/marking").status_code == 200


def test_signed_out_pages_send_to_sign_in_and_json_answers_401(client_for):
    anonymous = client_for()
    response = anonymous.get("/exams/E1/season", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fexams%2FE1%2Fseason"
    assert anonymous.get("/api/console/schools/S1").status_code == 401
    bureau = client_for()
    token = csrf_of(bureau.get("/login").text)
    signed = bureau.post("/login", data={"name": "局长", "password": PASSWORD, "csrf_token": token,
                                         "next": "/exams/E1/season"}, follow_redirects=False)
    assert signed.headers["location"] == "/exams/E1/season"  # back where the person was going


def test_every_post_needs_the_sessions_csrf_token(client_for, district_db):
    anonymous = client_for()
    assert anonymous.post("/login", data={"name": "局长", "password": PASSWORD}).status_code == 403
    assert anonymous.post("/logout").status_code == 403
    # the marker API, mounted as it is, answers its bearer tokens (no cookie, so no CSRF token to ask for)
    assert anonymous.post("/api/marking/api/v1/login", json={"token": "no-such-token"}).status_code == 401
    school = client_for("实验小学教务处")
    change = {"current": PASSWORD, "new": "stolen-password-1"}
    refused = school.post("/account/password", data=change)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert school.post("/account/password", data=change | {"csrf_token": "forged"}).status_code == 403
    other = client_for("局长")  # another person's token does not do either
    token_of_other = csrf_of(other.get("/account").text)
    assert school.post("/account/password", data=change | {"csrf_token": token_of_other}).status_code == 403
    with session_scope(district_db) as session:
        assert verify_password(session.scalars(select(User).where(User.name == "实验小学教务处")).one().password_hash,
                               PASSWORD)
    token = csrf_of(school.get("/account").text)
    done = school.post("/account/password", data=change | {"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account?done=password"
    with session_scope(district_db) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "users", AuditEntry.action == "password"))
        assert [(e.actor, e.entity_id) for e in entries] == [("实验小学教务处", "实验小学教务处")]


def test_a_wrong_password_is_refused_with_a_message_and_a_one_time_password_leads_to_the_account_page(client_for,
                                                                                                       district_db):
    client = client_for()
    token = csrf_of(client.get("/login").text)
    refused = client.post("/login", data={"name": "局长", "password": "nope-nope", "csrf_token": token})
    assert refused.status_code == 401 and "登录名或密码不对" in refused.text
    with session_scope(district_db) as session:
        session.scalars(select(User).where(User.name == "局长")).one().must_change_password = True
    signed = client.post("/login", data={"name": "局长", "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)
    assert signed.headers["location"] == "/account"
    assert client.get("/district", follow_redirects=False).headers["location"] == "/account"
    assert "一次性密码" in client.get("/account").text


def test_the_season_lists_every_stage_in_pipeline_order_in_chinese_and_english(client_for):
    bureau = client_for("局长")
    page = bureau.get("/exams/E1/season").text
    names = re.findall(r'<span class="stage-name">(.*?)</span>', page)
    assert names == ["命题组卷", "审题", "监考与阅卷安排", "答卷导入", "阅卷", "定分", "成绩分析"]
    assert re.findall(r'<span class="stage-status">(.*?)</span>', page)[:2] == ["完成", "未开始"]
    assert "2026学年第一学期八年级期中联考" in page and "河口学区" in page  # names, not E1 / C2
    english = bureau.get("/exams/E1/season?lang=en").text
    assert re.findall(r'<span class="stage-name">(.*?)</span>', english)[:2] == ["question setting", "paper review"]
    assert "Exam season" in bureau.get("/exams").text  # ?lang=en holds for the session
    data = bureau.get("/api/console/exams/E1/season").json()
    assert [s["stage"] for s in data["stages"]][:3] == ["setting", "approval", "logistics"]
    assert data["next_stage"] == "approval"
