"""The marking pages over plain HTTP: where each server serves them and the API address they carry, the
console account that marks without a token (its teacher's marker API token, issued and kept), and the
pages' words. The browser journeys are in test_marking_pages_browser.py.

The data: a small marking exam (`marking.sample`, 3 schools × 2 students; group G1 = 第5题 (max 10, step 1,
a text answer and a marking standard) and 第6题 (max 6, step 0.5, a scan); group Q7 = 第7题), its queue
open with second marks right after first ones, the plan's markers registered, and two console accounts
linked to teachers: 王老师 (a G1 marker of school 1) and 赵组长 (the Q7 leader of school 2). With
`arbitrations`, every Q7 script is marked 1, 9 and then 5, so all six wait for arbitration.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, SECRET, csrf_of, sign_in

STATIC = Path(__file__).resolve().parents[2] / "service" / "web" / "static"
MARKER = "S-SCH1-G1-M1"  # 王老师
LEADER = "S-SCH2-Q7-L2"  # 赵组长
OTHER_MARKER = "S-SCH2-G1-M1"  # marks with the printed token
ANSWER_5 = "\n".join([  # long enough that the score boxes must stay on screen while it scrolls
    "（1）解：设甲每天做 x 个，则乙每天做 (x+5) 个。", "甲做 3 天，乙做 2 天，共做 60 个，", "由题意 3x + 2(x+5) = 60，",
    "去括号得 3x + 2x + 10 = 60，", "移项得 3x + 2x = 60 − 10，", "合并同类项得 5x = 50，", "系数化为 1 得 x = 10。",
    "检验：x = 10 时，3×10 + 2×15 = 30 + 30 = 60，符合题意。", "所以乙每天做 10 + 5 = 15 个。",
    "答：甲每天做 10 个，乙每天做 15 个。", "",
    "（2）解：设还需 y 天两人合做完成剩下的 90 个。", "两人每天共做 10 + 15 = 25 个，", "由题意 25y = 90，",
    "解得 y = 3.6。", "因为天数须为整数，所以至少还需 4 天。", "检验：4 天共做 25×4 = 100 ≥ 90，3 天只做 75 < 90。",
    "答：两人合做至少还需 4 天。", "", "（3）甲乙效率之比为 10 : 15 = 2 : 3，", "若按效率分配 90 个，",
    "甲分 90×2/5 = 36 个，乙分 90×3/5 = 54 个，", "两人都需 3.6 天，同时完成。"])
RUBRIC_5 = "设未知数 2 分，列方程 4 分，解方程 3 分，作答 1 分。"


@dataclass(frozen=True)
class MarkingData:
    url: str
    exam_id: str
    tokens: dict[str, str]  # teacher_id -> the token printed with the marking plan


def build_marking(url: str, *, arbitrations: bool = False) -> MarkingData:
    from sqlalchemy import update

    from marking.policy import MarkingPolicy
    from marking.queue import open_marking, register_markers
    from marking.sample import SampleItem, build_sample_exam
    from models.db import session_scope
    from models.exams import Item, Response
    from models.migrate import upgrade
    from models.users import add_user

    upgrade(url)
    items = (SampleItem(5, "subjective", 10, 1, item_group="G1"), SampleItem(6, "subjective", 6, 0.5, item_group="G1"),
             SampleItem(7, "subjective", 12, 1))
    with session_scope(url) as session:
        sample = build_sample_exam(session, students_per_school=2, items=items)
        session.get_one(Item, "S-I05").rubric = RUBRIC_5
        session.execute(update(Response).where(Response.item_id == "S-I05").values(answer=ANSWER_5))
        open_marking(session, sample.exam_id, policy=MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}}))
        tokens = register_markers(session, sample.exam_id, sample.plan)
    with session_scope(url) as session:
        session.info["actor"] = "test"
        add_user(session, "王老师", "marker", teacher_id=MARKER, password=PASSWORD)
        add_user(session, "赵组长", "marker", teacher_id=LEADER, password=PASSWORD)
        add_user(session, "未关联老师", "marker", password=PASSWORD)
        add_user(session, "局长", "bureau", password=PASSWORD)
    data = MarkingData(url, sample.exam_id, dict(zip(tokens["teacher_id"], tokens["token"])))
    if arbitrations:
        disagree_on_every_script(data, "Q7")
    return data


def disagree_on_every_script(data: MarkingData, group: str) -> None:
    """The group's markers mark every script 1, then 9, then 5 (third mark): each waits for arbitration."""
    from sqlalchemy.orm import sessionmaker

    from marking.queue import lease_next, markers, submit_mark
    from models.db import get_engine

    given = {"first": 1.0, "second": 9.0, "third": 5.0}
    with sessionmaker(get_engine(data.url), expire_on_commit=False)() as session:
        team = [m for m in markers(session, data.exam_id) if m.item_group == group and m.role == "marker"]
        moved = True
        while moved:
            moved = False
            for marker in team:
                lease = lease_next(session, marker, kinds=("first", "second", "third"))
                if lease is not None:
                    submit_mark(session, marker, lease.task_id, {i.item_id: given[lease.kind] for i in lease.items},
                                seconds=30)
                    moved = True


def test_client(app):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app)


test_client.__test__ = False  # a helper, not a test


@pytest.fixture
def marking(db_url) -> MarkingData:
    """On SQLite and PostgreSQL: for what writes (a token issued)."""
    return build_marking(db_url)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> MarkingData:
    """On SQLite, once for the tests that only read (the pages and their addresses)."""
    from models.db import dispose_engines

    url = f"sqlite:///{tmp_path_factory.mktemp('marking') / 'marking.db'}"
    yield build_marking(url)
    dispose_engines(url)


def console_of(data: MarkingData):
    from service.web.app import create_app

    return create_app(data.url, secret_key=SECRET)


def data_api(html: str) -> str:
    return re.search(r'data-api="([^"]*)"', html).group(1)


def test_the_console_serves_the_pages_with_the_mounted_api_address(shared):
    console = console_of(shared)
    with test_client(console) as anonymous:
        page = anonymous.get("/mark")
        assert page.status_code == 200 and data_api(page.text) == "/api/marking/api/v1"
        assert "blob:" in page.headers["content-security-policy"]  # scans are fetched with the token
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "data-console-session" not in page.text  # nobody signed in: the token form
        assert '<label for="mk-token">阅卷令牌</label>' in page.text
        for path in ("/static/marking.js", "/static/marking_marker.js", "/static/marking_leader.js",
                     "/static/marking.css"):
            assert path in page.text or path.endswith("leader.js")
            assert anonymous.get(path).status_code == 200
        assert 'src="/static/marking_leader.js"' in anonymous.get("/mark/leader").text
        assert anonymous.get("/marking", follow_redirects=False).headers["location"] == "/mark"
        assert "Sign in to mark" in anonymous.get("/mark?lang=en").text
        assert "data-console-session" not in anonymous.get("/mark/leader").text
    with test_client(console) as teacher:
        signed = sign_in(teacher, "王老师")
        assert signed.headers["location"] == "/"
        assert teacher.get("/", follow_redirects=False).headers["location"] == "/mark"  # a marker's home
        page = teacher.get("/mark").text
        assert 'data-console-session="/api/console/marking/session"' in page
        assert re.search(r'data-csrf="[^"]+"', page)
    with test_client(console) as bureau:  # not a marker account: types a token, signs out of the console
        sign_in(bureau, "局长")
        page = bureau.get("/mark").text
        assert "data-console-session" not in page and 'data-logout="/logout"' in page


def test_a_linked_marker_account_gets_its_teachers_token_and_keeps_it(marking):
    from marking.queue import token_hash
    from models.db import session_scope
    from models.marking import Marker

    console = console_of(marking)
    with test_client(console) as teacher:
        sign_in(teacher, "王老师")
        csrf = csrf_of(teacher.get("/account").text)
        assert teacher.post("/api/console/marking/session", json={}).status_code == 403  # no CSRF token
        issued = teacher.post("/api/console/marking/session", json={}, headers={"X-CSRF-Token": csrf})
        assert issued.status_code == 200, issued.text
        token = issued.json()["token"]
        assert issued.json()["exam_id"] == marking.exam_id
        me = teacher.get("/api/marking/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["teacher_id"] == MARKER and me["item_group"] == "G1" and me["role"] == "marker"
        again = teacher.post("/api/console/marking/session", json={}, headers={"X-CSRF-Token": csrf}).json()
        assert again["token"] == token  # a second tab or a reload: the same token, the first tab keeps working
        printed = teacher.post("/api/marking/api/v1/login", json={"token": marking.tokens[MARKER]})
        assert printed.status_code == 401  # one token per registration: the console's replaced the printed one

        with session_scope(marking.url) as session:  # a new token issued meanwhile: the kept one is stale
            session.get_one(Marker, (marking.exam_id, MARKER)).token_hash = token_hash("issued-elsewhere")
        fresh = teacher.post("/api/console/marking/session", json={}, headers={"X-CSRF-Token": csrf}).json()["token"]
        assert fresh != token
        assert teacher.get("/api/marking/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
        unknown = teacher.post("/api/console/marking/session", json={"exam_id": "NO-SUCH"},
                               headers={"X-CSRF-Token": csrf})
        assert unknown.status_code == 400 and "不在考试 NO-SUCH 的阅卷名单中" in unknown.json()["detail"]

    with test_client(console) as unlinked:
        sign_in(unlinked, "未关联老师")
        csrf = csrf_of(unlinked.get("/account").text)
        refused = unlinked.post("/api/console/marking/session", json={}, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 400 and "没有关联阅卷教师" in refused.json()["detail"]
    with test_client(console) as bureau:
        sign_in(bureau, "局长")
        csrf = csrf_of(bureau.get("/account").text)
        assert bureau.post("/api/console/marking/session", json={}, headers={"X-CSRF-Token": csrf}).status_code == 403
    with test_client(console) as anonymous:
        assert anonymous.post("/api/console/marking/session", json={},
                              headers={"X-CSRF-Token": "x"}).status_code in (401, 403)


def test_xuequ_marking_serve_serves_the_pages_beside_the_api(shared):
    from service.marker_site import create_site

    marking = shared
    site = create_site(marking.url)
    with test_client(site) as client:
        page = client.get("/")
        assert page.status_code == 200 and data_api(page.text) == "/api/v1"
        assert 'src="/static/marking_marker.js"' in page.text and "data-console-session" not in page.text
        assert data_api(client.get("/leader").text) == "/api/v1"
        assert client.get("/static/marking.js").status_code == 200
        assert client.post("/api/v1/login", json={"token": marking.tokens[OTHER_MARKER]}).json()["item_group"] == "G1"
        english = client.get("/?lang=en")
        assert "Sign in to mark" in english.text and english.cookies.get("xuequ_marking_lang") == "en"
        assert "Sign in to mark" in client.get("/leader").text  # the choice is kept
        for path in ("/docs", "/redoc"):  # FastAPI's would load Swagger UI / ReDoc from a CDN
            docs = client.get(path, params={"lang": "zh"}).text
            assert "阅卷接口说明" in docs and "/api/v1/tasks/{task_id}/marks" in docs and "cdn" not in docs.lower()
            assert not re.search(r'(src|href)="(https?:)?//', docs)
    from fastapi.testclient import TestClient

    with TestClient(site, root_path="/marking-room") as behind:  # behind a proxy at /marking-room: the prefix first
        page = behind.get("/marking-room/").text
        assert data_api(page) == "/marking-room/api/v1" and 'href="/marking-room/static/marking.css"' in page


def test_a_marker_account_is_linked_only_to_a_teacher_that_exists(shared):
    from typer.testing import CliRunner

    from service.cli import app as cli

    def add(name: str, *args: str):
        return CliRunner().invoke(cli, ["user", "add", name, *args, "--password", PASSWORD, "--db", shared.url])

    refused = add("新阅卷", "--role", "marker", "--teacher", "T-NOBODY")
    assert refused.exit_code == 2 and "没有教师 'T-NOBODY'" in refused.output
    school = add("新阅卷", "--role", "school", "--school", "S-SCH1", "--teacher", MARKER)
    assert school.exit_code == 2 and "只有阅卷教师账户可关联教师" in school.output
    done = add("新阅卷", "--role", "marker", "--teacher", OTHER_MARKER)
    assert done.exit_code == 0 and f"教师 {OTHER_MARKER}" in done.output


def test_every_word_the_scripts_use_is_in_the_table():
    from service.web.i18n_marking import MARKING_TEXTS, page_words

    used: set[str] = set()
    for script in STATIC.glob("marking*.js"):
        text = script.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([a-z_]+)"', text))
        used |= {f"col_{name}" for name in re.findall(r'"col_([a-z_]+)"', text)}
        used |= set(re.findall(r'"(fig_[a-z_]+)"', text))
    used |= {"arb_state_waiting", "arb_state_leased", "kind_problem", "kind_remark", "problem_scored",
             "problem_returned", "paused_done", "resumed_done", "sent", "sent_again", "flag_lenient", "flag_strict"}
    used -= {"col_", "arb_state_", "kind_", "flag_"}
    assert sorted(used - set(MARKING_TEXTS)) == []
    english = page_words("en")
    assert english["submit_next"] == "Submit, next" and english["labels"]["problem_reason"]["illegible"]
    assert page_words("zh")["labels"]["mark_kind"]["arbitration"] == "仲裁"
