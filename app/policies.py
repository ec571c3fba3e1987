"""Which policy is in force (生效的政策), one resolution for every area, and the planner's edits.

For a cluster, school year and term, the policy of an area is, in this order:

1. the file given with `--policy FILE` for one run (override);
2. the cluster's stored version for the term, else for the whole school year;
3. the district's stored version for the term, else for the whole school year;
4. the repository file (`policies/<area>.toml`);
5. the built-in defaults.

Every plan and report records which one produced it (`ResolvedPolicy.record()`), and `season run`,
the deployments and the interactive commands all come through here.
"""
from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from domain.labels import label
from domain.policy import PolicyError
from models.db import session_scope
from models.policies import DISTRICT, policy_diff, save_policy, stored_policy

POLICY_DIR = Path(__file__).resolve().parents[1] / "policies"


@dataclass(frozen=True)
class PolicyArea:
    name: str
    zh: str
    module: str
    class_name: str

    @property
    def policy_class(self) -> Any:
        return getattr(importlib.import_module(self.module), self.class_name)

    @property
    def file(self) -> Path:
        return POLICY_DIR / f"{self.name}.toml"


AREAS: dict[str, PolicyArea] = {a.name: a for a in (
    PolicyArea("rotation", "交流轮岗", "scheduling.rotation.policy", "RotationPolicy"),
    PolicyArea("exam_logistics", "监考与阅卷安排", "scheduling.exam_logistics.policy", "ExamLogisticsPolicy"),
    PolicyArea("question_setting", "命题组卷", "scheduling.question_setting.policy", "QuestionSettingPolicy"),
    PolicyArea("marking", "阅卷", "marking.policy", "MarkingPolicy"),
    PolicyArea("analysis", "考试分析", "analysis.policy", "AnalysisPolicy"),
    PolicyArea("formation", "学区划分", "scheduling.formation.policy", "FormationPolicy"),  # district scope only
    PolicyArea("ledger", "督导台账", "cluster_office.policy", "LedgerPolicy"),
    PolicyArea("calendar", "学区活动日历", "scheduling.calendar.policy", "CalendarPolicy"),
)}



def area_of(name: str) -> PolicyArea:
    try:
        return AREAS[name]
    except KeyError:
        raise PolicyError(f"unknown policy area {name!r}; one of {', '.join(AREAS)}",
                          zh=f"未知的政策类别 {name!r}；可选 {', '.join(AREAS)}") from None


def parse_policy(area: str, text: str, *, file: str | None = None) -> Any:
    """The policy object of `area` from TOML text; a PolicyError (naming `file` if given) otherwise."""
    try:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise PolicyError(f"is not valid TOML: {error}", zh=f"不是有效的 TOML：{error}") from None
        try:
            return area_of(area).policy_class.from_dict(data)
        except PolicyError:
            raise
        except (TypeError, ValueError) as error:  # a rule a section checks without PolicyError
            raise PolicyError(str(error)) from None
    except PolicyError as error:
        raise error.in_file(file) if file else error from None


@dataclass(frozen=True)
class ResolvedPolicy:
    """The policy in force for one run, and where it came from."""

    area: str
    policy: Any
    text: str
    source: str  # override, cluster, district, file, builtin
    scope: str | None = None  # the stored version's cluster id or "district"
    school_year: int | None = None
    term: int | None = None
    version: int | None = None
    policy_set_id: int | None = None
    path: str | None = None

    def describe(self, lang: str = "zh") -> str:
        """第 3 版（C01 2026 学年第 1 学期） / policies/rotation.toml."""
        if self.source in ("cluster", "district"):
            when = (f"{self.school_year} 学年" + (f"第 {self.term} 学期" if self.term else "全年")) if lang == "zh" \
                else f"{self.school_year}-{self.term or 'year'}"
            return (f"{AREAS[self.area].zh}政策 {self.scope} {when} 第 {self.version} 版" if lang == "zh"
                    else f"{self.area} policy {self.scope} {when} v{self.version}")
        where = label("policy_source", self.source, lang) + (f" {self.path}" if self.path else "")
        return f"{AREAS[self.area].zh}政策：{where}" if lang == "zh" else f"{self.area} policy: {where}"

    def record(self) -> dict[str, Any]:
        """What a stored plan or report keeps of it (JSON)."""
        return {"area": self.area, "source": self.source, "scope": self.scope, "school_year": self.school_year,
                "term": self.term, "version": self.version, "policy_set_id": self.policy_set_id, "path": self.path}


def _chain(cluster_id: str | None, school_year: int, term: int | None) -> list[tuple[str, str, int | None]]:
    scopes = ([("cluster", cluster_id)] if cluster_id and cluster_id != DISTRICT else []) + [("district", DISTRICT)]
    terms = [term, None] if term is not None else [None]
    return [(source, scope, t) for source, scope in scopes for t in terms]


def resolve_in(session: Session | None, area: str, *, cluster_id: str | None = None, school_year: int | None = None,
               term: int | None = None, override: str | Path | None = None) -> ResolvedPolicy:
    """The policy of `area` in force (see the module's order); `session` may be None when no stored
    version can apply (no database)."""
    from domain.policy import read_toml

    spec = area_of(area)
    if override is not None:
        text = read_toml(override)[1]  # missing, GBK, not TOML: a PolicyError naming the file
        return ResolvedPolicy(area, parse_policy(area, text, file=str(override)), text, "override",
                              school_year=school_year, term=term, path=str(override))
    if session is not None and school_year is not None:
        for source, scope, t in _chain(cluster_id, school_year, term):
            row = stored_policy(session, area, scope, school_year, t)
            if row is not None:
                where = f"{scope} {school_year}-{t} v{row.version}"
                return ResolvedPolicy(area, parse_policy(area, row.content, file=where), row.content, source, scope,
                                      school_year, t, row.version, row.policy_set_id)
    if spec.file.exists():
        text = read_toml(spec.file)[1]
        return ResolvedPolicy(area, parse_policy(area, text, file=str(spec.file)), text, "file",
                              school_year=school_year, term=term, path=str(spec.file.relative_to(POLICY_DIR.parent)))
    return ResolvedPolicy(area, spec.policy_class.from_dict({}), "", "builtin", school_year=school_year, term=term)


def resolve_policy(area: str, *, cluster_id: str | None = None, school_year: int | None = None, term: int | None = None,
                   override: str | Path | None = None, url: str | None = None) -> ResolvedPolicy:
    """`resolve_in` with a session of its own (none is opened for an override or without a year)."""
    if override is not None or school_year is None:
        return resolve_in(None, area, cluster_id=cluster_id, school_year=school_year, term=term, override=override)
    with session_scope(url) as session:
        return resolve_in(session, area, cluster_id=cluster_id, school_year=school_year, term=term)


def resolve_exam_policy(area: str, exam_id: str, *, override: str | Path | None = None,
                        url: str | None = None) -> ResolvedPolicy:
    """The policy of `area` in force for an exam: its cluster's (or the district's), for its year and term.
    An exam the database does not know, or no database (a report from a scores file), gets the
    repository file; a file given for the run needs no database at all."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.errors import UnknownExam
    from app.exam_context import exam_context

    if override is not None:
        return resolve_in(None, area, override=override)
    try:
        return exam_context(url, exam_id).policy(area)
    except (UnknownExam, SQLAlchemyError):
        return resolve_in(None, area)


# --- the planner's edits (audited; an undo is the next version) ---

@dataclass(frozen=True)
class SavedPolicy:
    area: str
    scope: str
    school_year: int
    term: int | None
    version: int | None  # None: nothing changed, nothing saved
    diff: str


def in_force_text(session: Session, area: str, scope: str, school_year: int, term: int | None) -> str:
    """What applies at exactly this scope now: its stored version, else what it inherits."""
    return resolve_in(session, area, cluster_id=scope, school_year=school_year, term=term).text


def edit_policy(area: str, scope: str, school_year: int, term: int | None, text: str, *, actor: str,
                comment: str | None = None, file: str | None = None, url: str | None = None) -> SavedPolicy:
    """Validate `text` with the area's own rules and store it as the scope's next version (audited with
    the diff against what was in force). Raises PolicyError, naming `file` if given."""
    parse_policy(area, text, file=file)
    with session_scope(url) as session:
        session.info["actor"] = actor
        current = in_force_text(session, area, scope, school_year, term)
        if text == current:
            return SavedPolicy(area, scope, school_year, term, None, "")
        row = save_policy(session, area, scope, school_year, term, text, previous_text=current, comment=comment)
        return SavedPolicy(area, scope, school_year, term, row.version, policy_diff(current, text, "in force",
                                                                                   f"v{row.version}"))


def revert_policy(area: str, scope: str, school_year: int, term: int | None, to_version: int, *, actor: str,
                  url: str | None = None) -> SavedPolicy:
    """Undo (撤销): the content of an earlier version becomes the next version. KeyError if no such version."""
    with session_scope(url) as session:
        old = stored_policy(session, area, scope, school_year, term, to_version)
        if old is None:
            raise KeyError(to_version)
        text = old.content
    return edit_policy(area, scope, school_year, term, text, actor=actor, comment=f"revert to v{to_version}", url=url)
