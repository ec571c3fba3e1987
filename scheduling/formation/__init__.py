"""Cluster formation (学区划分): propose the district's clusters as 003 part 4 directs, compare them with
today's, explain what cannot hold. `propose_clusters` is the one button; see README.md in this folder.
"""
from .explain import explain_plan
from .inputs import FormationInput, FormationSchool, LeadPin, Together, TodayCluster, formation_input_from_tables, \
    parse_together
from .measures import ComparisonRow, Measures, comparison, measure, plan_groups, today_groups
from .policy import DEFAULT_POLICY_PATH, FormationPolicy, load_formation_policy
from .results import FormationPlan, FormationResult, ProposedCluster
from .solve import propose_clusters
from .validate import Violation, unexplained_violations, validate_formation, validate_partition
from .writers import (SUMMARY_FILE, SUMMARY_FILE_EN, clusters_frame, comparison_frame, proposal_tables,
                      summary_markdown)

__all__ = [
    "DEFAULT_POLICY_PATH", "SUMMARY_FILE", "SUMMARY_FILE_EN", "ComparisonRow", "FormationInput", "FormationPlan",
    "FormationPolicy", "FormationResult", "FormationSchool", "LeadPin", "Measures", "ProposedCluster", "Together",
    "TodayCluster", "Violation", "clusters_frame", "comparison", "comparison_frame", "explain_plan",
    "formation_input_from_tables", "load_formation_policy", "measure", "parse_together", "plan_groups",
    "propose_clusters", "proposal_tables", "summary_markdown", "today_groups", "unexplained_violations",
    "validate_formation", "validate_partition",
]
