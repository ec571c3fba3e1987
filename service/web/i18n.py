"""The console's words in Chinese (default) and English: one table, looked up by key.

A key without an entry reads as itself, so a missing word shows up rather than hiding the text.
"""
from __future__ import annotations

from collections.abc import Callable

from domain.labels import label
from models.users import ROLES as USER_ROLES
from service.web.i18n_office import OFFICE_TEXTS
from service.web.i18n_term import TERM_TEXTS

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app_name": ("学区管理平台", "xuequ console"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "user_name": ("登录名", "Name"),
    "password": ("密码", "Password"),
    "wrong_password": ("登录名或密码不对，请重试。", "Wrong name or password; try again."),
    "signed_in_as": ("当前用户", "Signed in as"),
    "district": ("学区概况", "District"),
    "exams": ("考试季", "Exam seasons"),
    "rosters": ("交流轮岗名单", "Rotation rosters"),
    "account": ("我的账户", "My account"),
    "api_docs": ("接口说明", "API"),
    "clusters": ("大学区", "Clusters"),
    "cluster": ("学区", "Cluster"),
    "lead_school": ("学区长学校", "Lead school"),
    "schools": ("学校", "Schools"),
    "school": ("学校", "School"),
    "teachers": ("教师", "Teachers"),
    "teacher": ("教师", "Teacher"),
    "classes": ("班级数", "Classes"),
    "stage": ("学段", "Stage"),
    "locality": ("城乡", "Locality"),
    "tier": ("办学水平", "Tier"),
    "hardship": ("艰苦程度", "Hardship"),
    "lead": ("学区长学校", "lead school"),
    "subject": ("学科", "Subject"),
    "grades": ("任教年级", "Grades"),
    "role": ("职务", "Role"),
    "backbone": ("骨干", "Backbone"),
    "famous": ("名师", "Famous"),
    "teaching_years": ("教龄", "Years teaching"),
    "search": ("查找", "Search"),
    "search_name": ("姓名包含", "Name contains"),
    "all": ("全部", "all"),
    "filter": ("筛选", "Filter"),
    "found_teachers": ("共 {n} 名教师", "{n} teachers"),
    "shown_first": ("（仅显示前 {n} 名，请缩小范围）", " (the first {n} shown; narrow the search)"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "exam": ("考试", "Exam"),
    "grade": ("年级", "Grade"),
    "grade_n": ("{n}年级", "grade {n}"),
    "term_of": ("{year}学年第{term}学期", "{year}–{next} term {term}"),
    "school_year_of": ("{year}学年", "school year {year}–{next}"),
    "district_wide": ("全区", "district-wide"),
    "dates": ("考试日期", "Dates"),
    "season_of": ("考试季：{name}", "Exam season: {name}"),
    "stage_col": ("阶段", "Stage"),
    "status": ("状态", "Status"),
    "updated": ("更新时间", "Updated"),
    "message": ("说明", "Message"),
    "next_step": ("下一步：{stage}（xuequ season run --exam {exam}）", "next: {stage} (xuequ season run --exam {exam})"),
    "season_finished": ("本考试季各阶段均已完成。", "Every stage of this season is done."),
    "no_exams": ("暂无可查看的考试。", "No exam to show."),
    "roster_of": ("交流轮岗名单：{cluster} {term}", "Rotation roster: {cluster}, {term}"),
    "no_rosters": ("暂无已保存的轮岗名单（xuequ rotation plan 生成）。",
                   "No stored roster yet (xuequ rotation plan makes one)."),
    "no_roster": ("该学区本学期还没有保存的轮岗名单。", "No roster is stored for this cluster and term."),
    "version_by": ("第 {version} 版，{who} 于 {when} 生成；求解状态：{status}",
                   "version {version}, made by {who} on {when}; solver: {status}"),
    "best_effort": ("尽力方案：政策不能全部满足，以下为未满足之处及修改建议",
                    "Best-effort roster: the policy cannot be met in full; what falls short and what would change it"),
    "best_effort_status": ("尽力方案", "best effort"),
    "stored_in_chinese": ("", "(as stored, in Chinese)"),
    "from_school": ("派出学校", "From"),
    "to_school": ("接收学校", "To"),
    "kind": ("类型", "Kind"),
    "direction": ("方向", "Direction"),
    "km": ("距离（公里）", "km"),
    "subsidy": ("补贴（元/月）", "Subsidy (yuan/month)"),
    "period": ("时段", "Period"),
    "weekday": ("到岗日", "Weekday"),
    "total_subsidy": ("合计每月补贴 {total} 元，{n} 人次", "{n} rows, subsidies {total} yuan a month in all"),
    "only_your_school": ("仅显示与本校（{school}）有关的行。", "Only rows concerning your school ({school}) are shown."),
    "open": ("查看", "Open"),
    "term": ("学期", "Term"),
    "language": ("界面语言", "Language"),
    "save": ("保存", "Save"),
    "change_password": ("修改密码", "Change password"),
    "current_password": ("当前密码", "Current password"),
    "new_password": ("新密码", "New password"),
    "must_change_password": ("您正在使用一次性密码，请先设置新密码。",
                             "You signed in with a one-time password: choose a new one first."),
    "password_changed": ("密码已修改。", "Password changed."),
    "language_saved": ("界面语言已保存。", "Language saved."),
    "your_scope": ("可查看范围", "What you may see"),
    "scope_district": ("全区", "the whole district"),
    "forbidden": ("您无权查看此页面。", "You may not open this page."),
    "not_found": ("没有找到此页面或记录。", "There is no such page or record."),
    "csrf_refused": ("表单已过期或来源不明（CSRF 校验失败），未做任何修改。请刷新页面后重试。",
                     "The form is stale or came from elsewhere (CSRF check failed); nothing was changed. Reload the page and retry."),
    "error": ("出错了", "Something went wrong"),
    "status_400": ("请求未能完成", "Request refused"),
    "status_401": ("请先登录", "Sign in first"),
    "status_403": ("无权访问", "Forbidden"),
    "status_404": ("未找到", "Not found"),
    "status_503": ("数据库尚未就绪", "The database is not ready"),
    "back_home": ("返回首页", "Back to the start page"),
    "marking_nav": ("阅卷", "Marking"),
    "api_intro": ("本平台和阅卷接口的 HTTP 接口一览（离线可用，不依赖外部网络）。",
                  "The HTTP endpoints of the console and the marker API (served locally, works offline)."),
    "method": ("方法", "Method"),
    "path": ("路径", "Path"),
    "summary": ("说明", "Summary"),
    "console_api": ("平台接口（需登录）", "Console API (signed in)"),
    "marker_api": ("阅卷接口（令牌）", "Marker API (token)"),
    "members": ("成员学校", "Member schools"),
}

def add_texts(words: dict[str, tuple[str, str]], owner: str) -> None:
    """A page's own words join the console's one table; a key that would change another page's word is refused."""
    clash = sorted(k for k in words if k in TEXTS and TEXTS[k] != words[k])
    if clash:
        raise ValueError(f"{owner}: these words would replace the console's: {', '.join(clash)}")
    TEXTS.update(words)


add_texts(TERM_TEXTS, "term planning pages (service/web/i18n_term.py)")
add_texts(OFFICE_TEXTS, "cluster office pages (service/web/i18n_office.py)")

WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def translator(lang: str) -> Callable[..., str]:
    index = 1 if lang == "en" else 0

    def t(key: str, **values) -> str:
        pair = TEXTS.get(key)
        text = key if pair is None else pair[index]
        return text.format(**values) if values else text

    return t


def vocab(kind: str, code: str | None, lang: str) -> str:
    """A code of the district's vocabulary as a person reads it (subjects, stages, roles…)."""
    if code is None or code == "":
        return "–"
    if kind == "user_role":
        pair = USER_ROLES.get(code)
        return code if pair is None else pair[0 if lang == "zh" else 1]
    registry = {"kind": "posting_kind", "direction": "direction", "subject": "subject", "stage": "school_stage",
                "locality": "locality", "tier": "tier", "teacher_role": "staff_role"}[kind]
    return label(registry, code, lang)  # the one label registry (domain/labels.py)


def weekday(day: int | None, lang: str) -> str:
    """Weekday 1 = Monday … 5 = Friday, as rotation.csv stores it (FORMATS.md)."""
    if day is None or not 1 <= day <= 7:
        return "–" if day is None else str(day)
    names = WEEKDAYS["en" if lang == "en" else "zh"]
    return ("周" + names[day - 1]) if lang != "en" else names[day - 1]


def term_label(school_year: int, term: int | None, lang: str) -> str:
    t = translator(lang)
    if term is None:
        return t("school_year_of", year=school_year, next=school_year + 1)
    return t("term_of", year=school_year, next=school_year + 1, term=("一" if term == 1 else "二") if lang == "zh" else term)
