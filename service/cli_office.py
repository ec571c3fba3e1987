"""`xuequ meeting …` (联席会议: new, agenda-item, agenda, minutes, decision, list) and `xuequ ledger`
(督导台账). Refusals print one line and exit 2 (app.errors.UserError through SafeGroup)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from service.options import DbOption, LangOption, use_db

meeting_app = typer.Typer(help="Joint meetings (联席会议): schedule, agenda items, agenda, minutes, decisions.",
                          no_args_is_help=True)


def _actor() -> str:
    return os.environ.get("USER", "cli")


def _bundle_refused(error, lang: str) -> None:  # noqa: ANN001 - a BundleError
    typer.echo(("决议文件有问题，未记录任何决议：" if lang == "zh" else "The file has problems; nothing was recorded:"),
               err=True)
    typer.echo(error.render(lang, limit=50), err=True)
    raise typer.Exit(2)


@meeting_app.command("new")
def meeting_new(cluster: str = typer.Option(..., "--cluster", help="Cluster id."),
                kind: str = typer.Option("principals", "--kind", help="principals (校长联席会议), teaching "
                                         "(教学工作例会) or monthly (学区管理例会)."),
                date: str = typer.Option(..., "--date", help="YYYY-MM-DD."),
                title: str = typer.Option("", "--title", help="Title (default: cluster, kind, month)."),
                meeting_id: str | None = typer.Option(None, "--id", help="Meeting id (default: CLUSTER-DATE-KIND)."),
                db: DbOption = None, lang: LangOption = "zh") -> None:
    """Schedule a meeting of a cluster."""
    from app.meetings import new_meeting

    use_db(db)
    m = new_meeting(cluster, kind, date, actor=_actor(), title=title, meeting_id=meeting_id)
    typer.echo(f"已安排会议 {m.meeting_id}：{m.title}" if lang == "zh" else f"scheduled meeting {m.meeting_id}: {m.title}")


@meeting_app.command("agenda-item")
def meeting_agenda_item(meeting: str = typer.Option(..., "--meeting", help="Meeting id."),
                        text: str = typer.Option(..., "--text", help="The item (议题)."),
                        school: str | None = typer.Option(None, "--school", help="The school proposing it."),
                        db: DbOption = None, lang: LangOption = "zh") -> None:
    """A school submits an agenda item in advance (议题提前报送)."""
    from app.meetings import add_agenda_item

    use_db(db)
    add_agenda_item(meeting, text, actor=_actor(), school_id=school)
    typer.echo(f"已报送议题：{text}" if lang == "zh" else f"agenda item added: {text}")


@meeting_app.command("agenda")
def meeting_agenda(meeting: str = typer.Option(..., "--meeting", help="Meeting id."),
                   out: Path | None = typer.Option(None, "--out", help="Also write the agenda to this file (.md)."),
                   db: DbOption = None, lang: LangOption = "zh") -> None:
    """The agenda: the earlier decisions and their state first, then the items submitted."""
    from app.meetings import agenda

    use_db(db)
    text = agenda(meeting).text(lang)
    typer.echo(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


@meeting_app.command("minutes")
def meeting_minutes(meeting: str = typer.Option(..., "--meeting", help="Meeting id."),
                    decisions: Path = typer.Option(..., "--decisions", help="decisions.csv of the minutes."),
                    db: DbOption = None, lang: LangOption = "zh") -> None:
    """Record the minutes' decisions (decisions.csv); the meeting is then held."""
    from app.meetings import record_minutes
    from bundle.problems import BundleError

    use_db(db)
    try:
        rows = record_minutes(meeting, decisions, actor=_actor())
    except BundleError as error:
        _bundle_refused(error, lang)
        return
    typer.echo(f"已记录 {len(rows)} 项决议（会议 {meeting}）" if lang == "zh" else
               f"recorded {len(rows)} decisions of meeting {meeting}")


@meeting_app.command("decision")
def meeting_decision(decision_id: str = typer.Option(..., "--id", help="Decision id."),
                     state: str = typer.Option(..., "--state", help="done or late (late needs --reason)."),
                     reason: str | None = typer.Option(None, "--reason", help="Why it is late (说明原因)."),
                     db: DbOption = None, lang: LangOption = "zh") -> None:
    """Update a decision: done, or late with its reason."""
    from app.meetings import set_decision_state
    from domain.labels import label

    use_db(db)
    d = set_decision_state(decision_id, state, actor=_actor(), reason=reason)
    typer.echo(f"决议 {d.decision_id}：{label('decision_status', d.status, lang)}" + (f"（{d.reason}）" if d.reason else "")
               if lang == "zh" else f"decision {d.decision_id}: {d.status}" + (f" ({d.reason})" if d.reason else ""))


@meeting_app.command("list")
def meeting_list(cluster: str = typer.Option(..., "--cluster", help="Cluster id."), db: DbOption = None,
                 lang: LangOption = "zh") -> None:
    """The cluster's meetings, latest first, with their decisions' states."""
    from app.meetings import cluster_meetings
    from domain.labels import label

    use_db(db)
    for view in cluster_meetings(cluster):
        m = view.meeting
        states = ", ".join(f"{d.decision_id} {label('decision_status', d.status, lang)}" for d in view.decisions)
        typer.echo(f"{m.meeting_id}  {m.date}  {m.title}  {label('meeting_status', m.status, lang)}  {states}")


def ledger(year: int = typer.Option(..., "--year", help="School year (2026 = 2026–2027)."),
           out: Path = typer.Option(Path("out/ledger"), "--out", help="Folder for ledger.csv, ledger.xlsx, "
                                    "dossiers.csv and ledger_summary.md."),
           cluster: str | None = typer.Option(None, "--cluster", help="One cluster (default: every cluster)."),
           log: Annotated[Path | None, typer.Option("--log", help="Import exchange_log.csv first.")] = None,
           quality: bool = typer.Option(True, "--quality/--no-quality", help="Bundled score from the year's exams."),
           db: DbOption = None, lang: LangOption = "zh") -> None:
    """The attainment ledger (督导台账): per rule, school and term, target, achieved and source; and the
    exchange teachers' dossiers ranked for the 先进交流教师 award."""
    from app.ledger import build_ledger, import_exchange_log, write_ledger
    from bundle.problems import BundleError

    use_db(db)
    if log is not None:
        try:
            stored = import_exchange_log(log)
        except BundleError as error:
            _bundle_refused(error, lang)
            return
        typer.echo(f"已导入交流记录 {stored} 行" if lang == "zh" else f"imported {stored} exchange log rows")
    result = build_ledger(year, cluster, quality=quality)
    paths = write_ledger(result, out, lang)
    typer.echo(result.summary(lang))
    typer.echo(("已写入：" if lang == "zh" else "written: ") + ", ".join(str(p) for p in paths))
