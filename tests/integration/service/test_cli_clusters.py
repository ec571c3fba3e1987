"""`xuequ clusters propose`: a proposal the bureau imports (the round trip on SQLite and PostgreSQL), and
refusals in one line."""
from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from bundle.validate import load_bundle
from models.bundles import export_tables
from models.db import session_scope
from scheduling.formation import FormationPolicy, formation_input_from_tables, validate_formation
from scheduling.formation.results import FormationPlan, ProposedCluster
from service.cli import app

runner = CliRunner()


def test_a_proposal_imports_back_and_the_database_then_holds_it(mini_bundle, tmp_path, db_url):
    assert runner.invoke(app, ["import", str(mini_bundle), "--db", db_url]).exit_code == 0
    one = tmp_path / "one_cluster.toml"
    one.write_text("[size]\nclusters = 1\n", encoding="utf-8")  # the district's stored policy: one cluster
    stored = runner.invoke(app, ["policy", "edit", "--area", "formation", "--scope", "district", "--year", "2026",
                                 "--file", str(one), "--db", db_url])
    assert stored.exit_code == 0, stored.output
    out = tmp_path / "proposal"
    proposed = runner.invoke(app, ["clusters", "propose", "--out", str(out), "--db", db_url, "--year", "2026",
                                   "--time-limit", "5"])
    assert proposed.exit_code == 0, proposed.output
    assert "学区数" in proposed.output and f"xuequ import {out}" in proposed.output
    assert "学区划分政策 district 2026 学年全年 第 1 版" in proposed.output  # the stored version was in force
    summary = (out / "学区划分方案说明.md").read_text(encoding="utf-8")
    assert "第一初级中学" in summary and "河口学区" in summary  # names, not ids; the retired cluster by name

    tables = load_bundle(out)  # what `xuequ import` reads: every file valid
    schools = tables["schools"]
    assert set(schools["cluster_id"]) == {"C1"}  # one cluster, continuing C1 (three of its schools)
    assert schools.loc[schools["is_lead"], "school_id"].tolist() == ["S4"]  # the quality urban junior school leads
    assert tables["clusters"]["cluster_id"].tolist() == ["C1", "C2"]  # C2 kept: exam E1 still names it

    imported = runner.invoke(app, ["import", str(out), "--db", db_url])
    assert imported.exit_code == 0, imported.output
    with session_scope(db_url) as session:
        after = export_tables(session, ["clusters", "schools", "exams"])
    assert set(after["schools"]["cluster_id"]) == {"C1"}
    assert after["schools"].loc[after["schools"]["is_lead"].astype(bool), "school_id"].tolist() == ["S4"]
    assert after["exams"]["cluster_id"].tolist() == ["C2"]
    data = formation_input_from_tables(after)
    plan = FormationPlan((ProposedCluster("C1", "城关第一学区", "S4", tuple(sorted(data.by_id()))),))
    assert validate_formation(data, FormationPolicy(), plan) == []  # one cluster of five keeps every rule


def test_a_bundle_without_a_database_and_pins(mini_bundle, tmp_path):
    out = tmp_path / "p"
    result = runner.invoke(app, ["clusters", "propose", "--bundle", str(mini_bundle), "--out", str(out),
                                 "--together", "S3,S4", "--lead", "S1", "--time-limit", "5", "--lang", "en"])
    assert result.exit_code == 0, result.output
    schools = pd.read_csv(out / "schools.csv", dtype=str, encoding="utf-8-sig")
    cluster = dict(zip(schools["school_id"], schools["cluster_id"]))
    assert cluster["S3"] == cluster["S4"]
    assert set(schools.loc[schools["is_lead"] == "1", "school_id"]) == {"S1", "S4"}
    assert (out / "formation_summary.md").exists() and "Beside today's clusters" in result.output


def test_unknown_pinned_schools_and_a_bad_policy_are_one_line(mini_bundle, tmp_path):
    result = runner.invoke(app, ["clusters", "propose", "--bundle", str(mini_bundle), "--out", str(tmp_path / "p"),
                                 "--lead", "S99"])
    assert result.exit_code == 2 and "全区没有学校 S99" in result.output and "Traceback" not in result.output
    bad = tmp_path / "formation.toml"
    bad.write_text("[size]\nmax_schools = 0\n", encoding="utf-8")
    result = runner.invoke(app, ["clusters", "propose", "--bundle", str(mini_bundle), "--out", str(tmp_path / "p"),
                                 "--policy", str(bad)])
    assert result.exit_code == 2 and "max_schools" in result.output and not (tmp_path / "p").exists()
