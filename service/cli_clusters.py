"""`xuequ clusters propose`: the district's clusters as the policy directs (学区划分方案), as a bundle to import."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from service.terminal import terminal
from service.options import DbOption, LangOption, use_db

console = terminal(soft_wrap=True)  # a path or a sentence is never cut across lines
err_console = terminal(stderr=True)

app = typer.Typer(help="Cluster formation (学区划分): propose the district's clusters, compared with today's.",
                  no_args_is_help=True)


@app.command("propose")
def propose(
    out: Path = typer.Option(..., "--out", help="Output folder: the bundle (clusters.csv, schools.csv as proposed, "
                             "every other file as it is), the summary and the comparison."),
    bundle: Optional[Path] = typer.Option(None, "--bundle", help="Propose for this bundle (folder or .xlsx) "
                                          "instead of the database."),
    year: Optional[int] = typer.Option(None, "--year", help="School year whose stored district formation policy applies "
                                      "(default: the current one; without a stored one: policies/formation.toml)."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Formation policy TOML for this run "
                                          "(default: the district's stored one, else policies/formation.toml)."),
    together: list[str] = typer.Option([], "--together", help="S1,S2,…: these schools in one cluster (repeatable)."),
    lead: list[str] = typer.Option([], "--lead", help="A school that must lead its cluster (repeatable)."),
    clusters: Optional[int] = typer.Option(None, "--clusters", help="Number of clusters (default: the policy's, "
                                           "else today's)."),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Solver seconds (2 workers)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Propose the clusters (at most 10 schools, urban with rural, strong with weak, close), with one lead each;
    compare with today's; write a bundle `xuequ import` accepts. Nothing is written to the database."""
    from app.cluster_formation import propose_formation, write_proposal
    from bundle.problems import BundleError
    from scheduling.formation import load_formation_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_formation_policy, policy, lang)  # a bad file: one line, before any work
    if bundle is None:
        use_db(db)
    zh = lang == "zh"
    try:
        outcome = propose_formation(bundle=bundle, school_year=year, policy_file=policy, together=together, leads=lead,
                                    clusters=clusters, time_limit_s=time_limit, lang=lang)
        files = write_proposal(outcome, out, bundle=bundle)
    except BundleError as error:
        err_console.print(("数据包有问题，未生成方案：" if zh else "The bundle has problems; no proposal was made:"),
                          markup=False)
        err_console.print(error.render(lang, limit=50), markup=False, highlight=False)
        raise typer.Exit(code=2) from None
    result = outcome.result
    console.print(outcome.summary.split("\n\n")[1], markup=False, highlight=False)  # the facts line
    console.print(outcome.policy.describe(lang), markup=False, highlight=False)
    table = Table(title="与现有学区比较" if zh else "Beside today's clusters")
    for column in (("指标", "现有学区", "方案") if zh else ("measure", "today", "proposal")):
        table.add_column(column)
    for row in outcome.comparison:
        mark = " ✓" if row.better == "proposal" else ""
        table.add_row(row.label(lang), row.today, row.proposal + mark)
    console.print(table)
    if result.explanations:
        console.print("未能满足的规则及原因：" if zh else "Rules the proposal cannot keep, and why:", markup=False)
        for e in result.explanations:
            key = f"（{e.policy_key}）" if zh and e.policy_key else (f" ({e.policy_key})" if e.policy_key else "")
            console.print(f"• {e.text(lang)}{key}", markup=False, highlight=False)
    else:
        console.print("政策的各项规则全部满足。" if zh else "The proposal keeps every rule of the policy.", markup=False)
    console.print((f"已写出 {len(files)} 个文件到 {out}；采纳方案：xuequ import {out}" if zh else
                   f"wrote {len(files)} file(s) to {out}; to adopt it: xuequ import {out}"), markup=False,
                  highlight=False)
    if outcome.unexplained:
        console.print("[red]validator:[/] " + "; ".join(str(v) for v in outcome.unexplained))
        raise typer.Exit(code=1)
