"""Every change to policies and plans lands in the audit log, in the same transaction.

A `before_flush` hook sees each inserted, changed or deleted PolicySet and Plan, so no code path
can change them without a trace. The actor comes from `session.info["actor"]`.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from models.plans import AuditEntry, Plan, PolicySet

AUDITED = (PolicySet, Plan)


def _identity(obj: Any) -> str:
    if isinstance(obj, Plan):
        return f"{obj.kind}:{obj.scope}:v{obj.version}"
    if isinstance(obj, PolicySet):
        return f"{obj.scope}:{obj.school_year}-{obj.term}:v{obj.version}"
    return str(inspect(obj).identity)


def _changes(obj: Any) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for attribute in inspect(obj).attrs:
        history = attribute.load_history()
        if history.has_changes() and attribute.key not in ("rotations", "invigilations", "markings"):
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changed[attribute.key] = {"old": _plain(old), "new": _plain(new)}
    return changed


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


@event.listens_for(Session, "before_flush")
def _audit_before_flush(session: Session, _context, _instances) -> None:  # noqa: ANN001
    actor = session.info.get("actor", "system")
    entries = []
    for obj in session.new:
        if isinstance(obj, AUDITED):
            entries.append(AuditEntry(actor=actor, action="insert", entity=obj.__tablename__,
                                      entity_id=_identity(obj), detail={}))
    for obj in session.dirty:
        if isinstance(obj, AUDITED) and session.is_modified(obj, include_collections=False):
            entries.append(AuditEntry(actor=actor, action="update", entity=obj.__tablename__,
                                      entity_id=_identity(obj), detail=_changes(obj)))
    for obj in session.deleted:
        if isinstance(obj, AUDITED):
            entries.append(AuditEntry(actor=actor, action="delete", entity=obj.__tablename__,
                                      entity_id=_identity(obj), detail={}))
    session.add_all(entries)


def record(session: Session, action: str, entity: str, entity_id: str, detail: dict | None = None,
           note: str | None = None) -> None:
    """Log an event that is not a row change of an audited table (an import, an approval)."""
    session.add(AuditEntry(actor=session.info.get("actor", "system"), action=action, entity=entity,
                           entity_id=entity_id, detail=detail or {}, note=note))
