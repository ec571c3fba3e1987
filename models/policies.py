"""Policy versions (政策版本) as stored: the repository every reader and writer of PolicySet goes through.

A stored policy belongs to a scope (a cluster id, or `district`), a school year and a term (None:
the whole year). Rotation policies are filed under the scope itself (as since the first release);
the other areas under `scope/area`. A saved version is never changed: an edit or an undo adds the
next version, and the audit log keeps who, when and the diff.
"""
from __future__ import annotations

import difflib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.audit import record
from models.plans import PolicySet

DISTRICT = "district"


def scope_key(area: str, scope: str) -> str:
    """The stored scope of `area`'s policy for a cluster id or `district`."""
    return scope if area == "rotation" else f"{scope}/{area}"


def stored_policy(session: Session, area: str, scope: str, school_year: int, term: int | None,
                  version: int | None = None) -> PolicySet | None:
    """The latest (or the given) version of `area`'s policy for scope, year and term; None if none."""
    query = select(PolicySet).where(PolicySet.scope == scope_key(area, scope), PolicySet.school_year == school_year,
                                    PolicySet.term.is_(None) if term is None else PolicySet.term == term)
    if version is not None:
        query = query.where(PolicySet.version == version)
    return session.scalars(query.order_by(PolicySet.version.desc()).limit(1)).first()


def policy_versions(session: Session, area: str, scope: str, school_year: int, term: int | None) -> list[PolicySet]:
    """Every stored version, oldest first."""
    return list(session.scalars(select(PolicySet).where(
        PolicySet.scope == scope_key(area, scope), PolicySet.school_year == school_year,
        PolicySet.term.is_(None) if term is None else PolicySet.term == term).order_by(PolicySet.version)))


def policy_diff(old: str, new: str, old_name: str = "before", new_name: str = "after") -> str:
    return "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm=""))


def save_policy(session: Session, area: str, scope: str, school_year: int, term: int | None, text: str, *,
                previous_text: str, comment: str | None = None) -> PolicySet:
    """Store `text` as the next version (the caller has validated it); the audit log gets the diff
    against `previous_text` (the version in force before: stored, the repository file or the defaults)."""
    key = scope_key(area, scope)
    version = (session.scalar(select(func.max(PolicySet.version)).where(
        PolicySet.scope == key, PolicySet.school_year == school_year,
        PolicySet.term.is_(None) if term is None else PolicySet.term == term)) or 0) + 1
    row = PolicySet(scope=key, school_year=school_year, term=term, version=version, content=text,
                    created_by=session.info.get("actor", "system"), comment=comment or None)
    session.add(row)
    session.flush()
    record(session, "edit", "policy_set", f"{key}:{school_year}-{term}:v{version}",
           {"area": area, "diff": policy_diff(previous_text, text, "in force", f"v{version}")}, note=comment)
    return row
