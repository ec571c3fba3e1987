"""`xuequ enrollment commit|run|verify`: admissions of a shared zone (大学区招生) and its verifiable draw.

Files in, files out; no database. The order of a real enrollment:

    xuequ enrollment commit                      # a fresh seed and its commitment: publish the commitment
    xuequ enrollment run --applications applications.csv --capacities capacities.csv \\
          --zone Z1 --seed SEED --commitment HEX --out out/enrollment/Z1
    xuequ enrollment verify out/enrollment/Z1    # anyone: re-run the draw (or python3 verify_draw.py DIR)
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from service.terminal import terminal
from service.options import LangOption

app = typer.Typer(help="Enrollment (招生录取): publish the commitment, admit a zone by the seeds' rule with its "
                       "verifiable lottery, verify a published draw.", no_args_is_help=True)
console = terminal()
err_console = terminal(stderr=True)


@app.command("commit")
def commit(
    seed: Optional[str] = typer.Option(None, "--seed", help="The secret seed (at least 16 characters); without it "
                                                             "a random one is made and printed."),
    lang: LangOption = "zh",
) -> None:
    """Print the commitment (SHA-256 of the seed) to publish before the draw; keep the seed secret until then."""
    from admission.lottery import new_seed
    from app.enrollment import commit_seed

    made = seed is None
    text, commitment = commit_seed(new_seed() if seed is None else seed)
    zh = lang != "en"
    if made:
        typer.echo(f"种子（妥善保管，派位后公布）：{text}" if zh else f"seed (keep it secret until the draw): {text}")
    typer.echo(f"承诺值（派位前公布）：{commitment}" if zh else f"commitment (publish before the draw): {commitment}")


def _fail(error, lang: str) -> None:
    title = (f"输入文件有 {len(error.problems)} 个问题，未录取、未写出任何文件：" if lang == "zh"
             else f"The input files have {len(error.problems)} problem(s); nothing was admitted or written:")
    err_console.print(f"[bold red]{title}[/]")
    err_console.print(error.render(lang, limit=100), markup=False, highlight=False)
    raise typer.Exit(code=2)


@app.command("run")
def run(
    applications: Path = typer.Option(..., "--applications", help="applications.csv (or .xlsx): one row per family."),
    capacities: Path = typer.Option(..., "--capacities", help="capacities.csv (or .xlsx): seats per school and zone."),
    zone: str = typer.Option(..., "--zone", help="The zone (招生片区) to admit."),
    seed: str = typer.Option(..., "--seed", help="The seed of the draw, published after it (at least 16 characters)."),
    out: Path = typer.Option(..., "--out", help="Folder for admissions.csv, lottery.json and the lists."),
    commitment: Optional[str] = typer.Option(None, "--commitment", help="The commitment published before the draw: "
                                                                         "the seed must match it."),
    compare_da: bool = typer.Option(False, "--compare-da", help="Also compare student-proposing deferred acceptance "
                                                                "on the same applications (what-if, whatif_da.csv)."),
    bonus_first_choice_only: bool = typer.Option(False, "--bonus-first-choice-only",
                                                 help="Give the catchment bonus only where the catchment school is "
                                                      "the 1st choice (default: wherever the family applies to it)."),
    lang: LangOption = "zh",
) -> None:
    """Admit one zone: by choice order then points (+10 at one's own catchment school), lottery schools by the
    published draw; the unplaced go to the district pool."""
    from admission.inputs import RuleSettings
    from app.enrollment import run_enrollment
    from bundle.problems import BundleError
    from domain.labels import label

    started = time.perf_counter()
    try:
        outcome = run_enrollment(applications, capacities, zone, seed, out, compare_da=compare_da, lang=lang,
                                 settings=RuleSettings(bonus_first_choice_only=bonus_first_choice_only),
                                 expected_commitment=commitment)
    except BundleError as error:
        _fail(error, lang)
        return
    result = outcome.result
    zh = lang != "en"
    counts = outcome.counts
    parts = [f"{label('admission_round', r, lang)} {counts[r]}" for r in ("1", "2", "3", "lottery", "pool") if counts[r]]
    console.print((f"片区 {result.zone.zone_id}：{len(result.zone.applications)} 户报名，" if zh else
                   f"zone {result.zone.zone_id}: {len(result.zone.applications)} families; ")
                  + ("，".join(parts) if zh else ", ".join(parts)), highlight=False)
    table = Table(title="各校录取情况" if zh else "schools")
    for column in (("学校", "学位", "录取", "第一轮", "第二轮", "第三轮") if zh else
                   ("school", "seats", "admitted", "round 1", "round 2", "round 3")):
        table.add_column(column)
    for school in result.zone.schools:
        cells = []
        for number in (1, 2, 3):
            record = result.round_at(school.school_id, number)
            cells.append(_round_cell(record, lang))
        table.add_row(school.label, str(school.seats), str(result.admitted_at(school.school_id)), *cells)
    console.print(table)
    if outcome.comparison is not None:
        for line in outcome.comparison.lines(lang):
            console.print(("延迟接受对比：" if zh else "deferred acceptance what-if: ") + line, highlight=False)
    console.print((f"承诺值 {result.commitment}；写出 {len(outcome.files)} 个文件到 {out}（{time.perf_counter() - started:.1f} 秒）"
                   if zh else f"commitment {result.commitment}; {len(outcome.files)} files written to {out} "
                   f"({time.perf_counter() - started:.1f} s)"), highlight=False)


def _round_cell(record, lang: str) -> str:
    from admission.explain import points_text
    from domain.labels import label

    if record is None:
        return "–"
    text = f"{record.admitted}/{record.applicants} {label('admission_outcome', record.outcome, lang)}"
    if record.outcome == "points" and record.cutoff_points is not None:
        text += f" ≥{points_text(record.cutoff_points)}"
    if record.outcome == "lottery":
        text += f" ≤#{record.cutoff_number}"
    return text


@app.command("verify")
def verify(
    folder: Path = typer.Argument(..., help="A published folder: lottery.json and admissions.csv."),
    commitment: Optional[str] = typer.Option(None, "--commitment", help="The commitment announced before the draw."),
    applications: Optional[Path] = typer.Option(None, "--applications", help="With --capacities: also recompute "
                                                                                "every admission from the inputs."),
    capacities: Optional[Path] = typer.Option(None, "--capacities"),
    lang: LangOption = "zh",
) -> None:
    """Re-run a published draw (as verify_draw.py does) and, given the input files, every admission."""
    from app.enrollment import verify_published
    from bundle.problems import BundleError

    try:
        problems = verify_published(folder, applications=applications, capacities=capacities, announced=commitment)
    except BundleError as error:
        _fail(error, lang)
        return
    zh = lang != "en"
    for problem in problems:
        typer.echo(("不一致：" if zh else "mismatch: ") + problem)
    if problems:
        typer.echo(f"验证未通过：{len(problems)} 处不一致" if zh else f"verification failed: {len(problems)} mismatch(es)")
        raise typer.Exit(1)
    typer.echo("验证通过：派位结果可由公布的种子完全复现" + ("，录取结果与按规则重算一致" if applications else "") if zh
               else "verified: the draw re-runs exactly from the published seed"
               + (", and every admission matches the rule recomputed" if applications else ""))
