"""Cluster formation (学区划分) for the bureau: propose the district's clusters, compare them with today's,
and hand them back as a bundle `xuequ import` accepts.

    propose_formation: the district (the database, or a bundle folder or workbook) → the formation policy
                       in force for the district → solve → the independent check → the comparison → the
                       summary
    proposal_bundle:   the district's tables with clusters.csv and schools.csv as proposed (every other
                       file as exported), ready for `bundle.io.write_bundle`
    write_proposal:    the bundle, the summary (Chinese by default) and the comparison into a folder

Called alike by `xuequ clusters propose` and the console's formation page. Nothing is written to the
database: the bureau imports the bundle when it adopts the proposal.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from app.errors import UserError
from app.policies import ResolvedPolicy, resolve_in
from bundle.cells import safe_frame
from models.db import session_scope
from scheduling.formation import (SUMMARY_FILE, SUMMARY_FILE_EN, ComparisonRow, FormationInput, FormationResult,
                                  LeadPin, Measures, Violation, clusters_frame, comparison, comparison_frame,
                                  formation_input_from_tables, measure, parse_together, plan_groups, propose_clusters,
                                  proposal_tables, summary_markdown, today_groups, unexplained_violations,
                                  validate_formation)

FORMATION_TABLES = ["clusters", "schools", "classes", "distances"]  # what the proposal reads
NUM_WORKERS = 2  # CP-SAT workers: the machines we run on have 2 cores
COMPARISON_FILE = "formation_comparison.csv"


@dataclass
class FormationOutcome:
    result: FormationResult
    data: FormationInput
    policy: ResolvedPolicy
    today: Measures
    proposal: Measures
    comparison: list[ComparisonRow]
    clusters: pd.DataFrame  # one row per proposed cluster, by name
    violations: list[Violation]  # the independent check (each one a reported shortfall, or a defect)
    unexplained: list[Violation]  # violations the result does not report: a defect, never expected
    summary: str
    lang: str = "zh"
    source: str = "database"
    files: list[str] = field(default_factory=list)


def current_school_year(today: dt.date | None = None) -> int:
    """The school year under way (学年, named by its first calendar year): from September on, this year's."""
    today = today or dt.date.today()
    return today.year if today.month >= 9 else today.year - 1


def _district_tables(url: str | None, bundle: Path | None, names: Sequence[str] | None) -> dict[str, pd.DataFrame]:
    if bundle is not None:
        from bundle.validate import load_bundle

        return load_bundle(bundle)  # BundleError: every problem with file, row and column
    from models.bundles import export_tables

    with session_scope(url) as session:
        return export_tables(session, list(names) if names is not None else None)


def _pins(data_ids: set[str], together: Sequence[str], leads: Sequence[str]):
    groups = parse_together(together)
    lead_pins = tuple(LeadPin(s.strip()) for s in leads if s.strip())
    unknown = sorted({s for g in groups for s in g.school_ids if s not in data_ids}
                     | {p.school_id for p in lead_pins if p.school_id not in data_ids})
    if unknown:
        raise UserError(f"no school {', '.join(unknown)} in the district: check the ids of --together and --lead",
                        f"全区没有学校 {'、'.join(unknown)}：请检查 --together、--lead 中的学校编号")
    return groups, lead_pins


def propose_formation(*, url: str | None = None, bundle: Path | None = None, school_year: int | None = None,
                      policy_file: str | Path | None = None, together: Sequence[str] = (), leads: Sequence[str] = (),
                      clusters: int | None = None, time_limit_s: float = 30.0, num_workers: int = NUM_WORKERS,
                      lang: str = "zh") -> FormationOutcome:
    """The proposal for the district in the database at `url` (or the bundle at `bundle`).

    `together`: "S1,S2" groups pinned into one cluster; `leads`: schools pinned as leads; `clusters`:
    the number of clusters for this run (else the policy's, else today's). The policy is the district's
    stored formation policy for `school_year` (default: the current school year), else
    policies/formation.toml; `policy_file` overrides it."""
    tables = _district_tables(url, bundle, FORMATION_TABLES)
    if "schools" not in tables or not len(tables["schools"]):
        raise UserError("the district has no school yet: import a bundle first (xuequ import)",
                        "全区还没有学校：请先导入数据包（xuequ import）")
    ids = set(tables["schools"]["school_id"].astype(str))
    groups, lead_pins = _pins(ids, together, leads)
    if clusters is not None and clusters < 1:
        raise UserError("the number of clusters must be at least 1", "学区个数至少为 1")
    if bundle is not None or policy_file is not None:
        resolved = resolve_in(None, "formation", school_year=school_year, override=policy_file)
    else:
        with session_scope(url) as session:
            resolved = resolve_in(session, "formation", cluster_id=None,
                                  school_year=school_year or current_school_year())
    policy = resolved.policy
    data = formation_input_from_tables(tables, together=groups, leads=lead_pins, clusters_wanted=clusters)
    result = propose_clusters(data, policy, time_limit_s=time_limit_s, num_workers=num_workers, lang=lang)
    violations = validate_formation(data, policy, result.plan)
    today = measure(data, today_groups(data), policy)
    proposed = measure(data, plan_groups(result.plan), policy)
    rows = comparison(today, proposed)
    table = clusters_frame(result.plan, data, proposed, lang=lang)
    summary = summary_markdown(result, data, rows, table, policy=resolved.describe(lang), lang=lang)
    return FormationOutcome(result=result, data=data, policy=resolved, today=today, proposal=proposed,
                            comparison=rows, clusters=table, violations=violations,
                            unexplained=unexplained_violations(result, violations), summary=summary, lang=lang,
                            source=str(bundle) if bundle is not None else "database")


def proposal_bundle(outcome: FormationOutcome, *, url: str | None = None, bundle: Path | None = None
                    ) -> dict[str, pd.DataFrame]:
    """Every table of the district (the database's, or the bundle's) with the proposal's clusters and schools."""
    tables = _district_tables(url, bundle, None)
    known = set(tables["schools"]["school_id"].astype(str))
    proposed = set(outcome.result.plan.cluster_of())
    if known != proposed:  # the district changed since the proposal: its bundle would lose or invent schools
        raise UserError("the district's schools changed since the proposal: propose again",
                        "提出方案之后全区学校名单有变：请重新生成方案")
    return proposal_tables(tables, outcome.result.plan)


def write_proposal(outcome: FormationOutcome, out_dir: str | Path, *, url: str | None = None,
                   bundle: Path | None = None) -> list[Path]:
    """The importable bundle (a CSV folder), the summary and the comparison, into `out_dir`."""
    from bundle.io import write_bundle

    out = Path(out_dir)
    files = write_bundle(proposal_bundle(outcome, url=url, bundle=bundle), out)
    summary = out / (SUMMARY_FILE if outcome.lang == "zh" else SUMMARY_FILE_EN)
    summary.write_text(outcome.summary, encoding="utf-8")
    compared = out / COMPARISON_FILE
    safe_frame(comparison_frame(outcome.comparison, lang=outcome.lang)).to_csv(compared, index=False,
                                                                              encoding="utf-8-sig")
    outcome.files = [str(p) for p in (*files, summary, compared)]
    return [*files, summary, compared]
