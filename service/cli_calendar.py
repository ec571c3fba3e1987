"""`xuequ calendar plan|held`: the cluster's activity calendar (学区活动日历)."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Optional

import typer

from domain.labels import label
from service.terminal import terminal
from service.options import DbOption, LangOption, use_db

console = terminal()
app = typer.Typer(help="The cluster's activity calendar (学区活动日历): plan a term, record what was held.",
                  no_args_is_help=True)


def _pin(value: str) -> dict:
    """ACTIVITY=YYYY-MM-DD[:am|pm][@SCHOOL] or ACTIVITY=@SCHOOL."""
    activity_id, _, rest = value.partition("=")
    when, _, host = rest.partition("@")
    day, _, half = when.partition(":")
    try:
        date = dt.date.fromisoformat(day).isoformat() if day else None
    except ValueError:
        raise typer.BadParameter(f"--pin {value}: the date must be YYYY-MM-DD") from None
    if half and half not in ("am", "pm"):
        raise typer.BadParameter(f"--pin {value}: the half day must be am or pm")
    if not activity_id or not (date or host):
        raise typer.BadParameter(f"--pin {value}: write ACTIVITY=YYYY-MM-DD[:am|pm][@SCHOOL]")
    return {"activity_id": activity_id, "date": date, "half": half or None, "host_school_id": host or None}


@app.command("plan")
def calendar_plan(
    cluster: str = typer.Option(..., "--cluster", help="Cluster id."),
    year: int = typer.Option(..., "--year", help="School year (its first calendar year, 2026 = 2026–2027)."),
    term: int = typer.Option(..., "--term", min=1, max=2, help="Term 1 or 2."),
    out: Path = typer.Option(Path("out/calendar"), "--out", help="Output folder: calendar.csv, .ics feeds, notices."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Calendar policy TOML (default: the policy in force, "
                                          "else policies/calendar.toml)."),
    pin: list[str] = typer.Option([], "--pin", help="ACTIVITY=YYYY-MM-DD[:am|pm][@SCHOOL], repeatable."),
    start_from: Optional[str] = typer.Option(None, "--from", help="Re-planning mid-term: nothing new before YYYY-MM-DD."),
    time_limit: float = typer.Option(20.0, help="Solver seconds (2 workers)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Plan the cluster's activities of a term (a new version; held and cancelled activities stay as recorded)."""
    from app.activity_calendar import plan_activity_calendar
    from scheduling.calendar.policy import load_calendar_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_calendar_policy, policy, lang)
    pins = [_pin(p) for p in pin]
    try:
        not_before = dt.date.fromisoformat(start_from) if start_from else None
    except ValueError:
        raise typer.BadParameter(f"--from {start_from}: write YYYY-MM-DD") from None
    use_db(db)
    result = plan_activity_calendar(year, term, cluster, policy_file=str(policy) if policy else None, out_dir=out,
                                    lang=lang, time_limit_s=time_limit, pins=pins, not_before=not_before,
                                    actor=os.environ.get("USER", "cli"))
    console.print(result.summary, markup=False, highlight=False, soft_wrap=True)
    zh = lang == "zh"
    console.print((f"日历 {result.scope} 第 {result.version} 版：{label('solver_status', result.status, lang)}；"
                   f"{result.activities} 项活动，设施每周 {result.bookings} 个时段；文件在 {out}；{result.policy}") if zh else
                  (f"calendar {result.scope} v{result.version}: {result.status}; {result.activities} activities, "
                   f"{result.bookings} weekly facility bookings; files in {out}; {result.policy}"),
                  markup=False, highlight=False, soft_wrap=True)
    if result.relaxed:
        console.print("政策不能全部满足：已写出尽力方案，原因和修改建议见 calendar_explanations.txt" if zh else
                      "the policy cannot be met in full: a best-effort calendar is written; why, and what to change, "
                      "is in calendar_explanations.txt", markup=False, highlight=False)
    if result.violations:
        console.print("[red]validator:[/] " + "; ".join(result.violations[:20]))
        raise typer.Exit(code=1)


@app.command("held")
def calendar_held(
    activity: list[str] = typer.Option(..., "--activity", help="Activity id (calendar.csv), repeatable."),
    cancel: bool = typer.Option(False, "--cancel", help="Record it as cancelled instead (a re-plan asks it again)."),
    undo: bool = typer.Option(False, "--undo", help="Back to planned."),
    note: Optional[str] = typer.Option(None, "--note", help="A remark kept with the record."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Record activities as held (已开展), or cancelled; the ledger counts them."""
    from app.activity_calendar import record_activity

    use_db(db)
    status = "planned" if undo else "cancelled" if cancel else "held"
    for activity_id in activity:
        done = record_activity(activity_id, status=status, actor=os.environ.get("USER", "cli"), note=note)
        console.print((f"{done.title}（{done.date}）：{label('activity_status', done.previous, lang)} → "
                       f"{label('activity_status', done.status, lang)}") if lang == "zh" else
                      f"{done.activity_id} ({done.date}): {done.previous} → {done.status}",
                      markup=False, highlight=False, soft_wrap=True)


@app.command("feed")
def calendar_feed(
    school: Optional[str] = typer.Option(None, "--school", help="School id: its feed (what it hosts, its teachers attend)."),
    teacher: Optional[str] = typer.Option(None, "--teacher", help="Teacher id: their own feed."),
    reissue: bool = typer.Option(False, "--reissue", help="A new address; the old one stops working (it leaked)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Where phones reach the console "
                                           "(default: XUEQU_WEB_BASE_URL, else http://127.0.0.1:8000)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """The subscription address (.ics feed) of a school or a teacher, for a phone's calendar."""
    from app.calendar_feeds import base_url as console_base_url
    from app.calendar_feeds import feed_link

    if (school is None) == (teacher is None):
        raise typer.BadParameter("give one of --school S or --teacher T" if lang != "zh" else
                                 "请给出 --school 学校编号 或 --teacher 教师编号（二选一）")
    use_db(db)
    kind, owner = ("school", school) if school is not None else ("teacher", teacher)
    assert owner is not None
    link = feed_link(kind, owner, actor=os.environ.get("USER", "cli"), reissue=reissue)
    base = console_base_url(base_url)
    zh = lang == "zh"
    console.print((f"{link.owner_name}的日历订阅地址" + ("（已重新生成，旧地址已失效）" if reissue else "") + "：")
                  if zh else f"{link.owner_name}'s calendar feed" + (" (new; the old address no longer works)"
                                                                      if reissue else "") + ":",
                  markup=False, highlight=False)
    console.print(link.webcal(base), markup=False, highlight=False, soft_wrap=True)
    console.print(link.https(base), markup=False, highlight=False, soft_wrap=True)
