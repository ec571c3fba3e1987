"""marking at district scale: one lease per marker and group, token expiry, fast progress

- `marking_task`: a unique partial index allows one leased task per marker and item group (leases
  a marker held beyond the first are handed back to the queue first).
- `marking_marker.expires_at`: the end of the marking window; the token stops working then.
- `marking_mark`: the script's group (subject, item_group) and, on the two regular marks of a
  double-marked script, whether they agree and the deviation from the partner; indexes by marker
  and by group, and `marking_script` by group: progress reads one marker's or one group's rows.

Revision ID: 0006
Revises: 0011
Create Date: 2026-12-08 09:00:00
"""
from __future__ import annotations

import json

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0011'
branch_labels = None
depends_on = None

LEASED = "state = 'leased'"
EPS = 1e-9  # as marking/rules.py compares scores with tolerances


def _loads(value):  # noqa: ANN001, ANN202
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _backfill_pairs(bind) -> None:  # noqa: ANN001
    """Agreement and deviation of the two regular marks of every script that has exactly two."""
    tolerances = {}
    for exam_id, subject, item_group, items in bind.execute(sa.text(
            "SELECT exam_id, subject, item_group, items FROM marking_group")):
        tolerances[(exam_id, subject, item_group)] = [(d["item_id"], float(d["tolerance"])) for d in _loads(items)]
    marks: dict[int, list] = {}
    for mark_id, script_id, exam_id, subject, item_group, scores, total in bind.execute(sa.text(
            "SELECT mark_id, script_id, exam_id, subject, item_group, scores, total FROM marking_mark "
            "WHERE kind IN ('first', 'second') ORDER BY mark_id")):
        marks.setdefault(script_id, []).append((mark_id, (exam_id, subject, item_group), _loads(scores), total))
    update = sa.text("UPDATE marking_mark SET pair_agreed = :agreed, pair_deviation = :deviation "
                     "WHERE mark_id = :mark")
    rows = []
    for pair in marks.values():
        if len(pair) != 2:
            continue
        (a_id, group, a, a_total), (b_id, _, b, b_total) = pair
        agreed = all(abs(float(a[i]) - float(b[i])) <= tol + EPS for i, tol in tolerances.get(group, []))
        rows += [{"mark": a_id, "agreed": agreed, "deviation": a_total - b_total},
                 {"mark": b_id, "agreed": agreed, "deviation": b_total - a_total}]
    for start in range(0, len(rows), 5000):
        bind.execute(update, rows[start:start + 5000])


def upgrade() -> None:
    bind = op.get_bind()
    # Leases beyond a marker's first in a group (the bug this index prevents) go back to the queue.
    bind.execute(sa.text(
        "UPDATE marking_task SET state = 'waiting', marker_id = NULL, lease_expires_at = NULL "
        "WHERE state = 'leased' AND task_id NOT IN (SELECT min(task_id) FROM marking_task WHERE state = 'leased' "
        "GROUP BY exam_id, subject, item_group, marker_id)"))
    with op.batch_alter_table('marking_task', schema=None) as batch_op:
        batch_op.create_index('uq_marking_task_one_lease', ['exam_id', 'subject', 'item_group', 'marker_id'],
                              unique=True, postgresql_where=sa.text(LEASED), sqlite_where=sa.text(LEASED))
    with op.batch_alter_table('marking_marker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.Float(), nullable=True))
    with op.batch_alter_table('marking_mark', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('item_group', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('pair_agreed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('pair_deviation', sa.Float(), nullable=True))
    bind.execute(sa.text(
        "UPDATE marking_mark SET "
        "subject = (SELECT s.subject FROM marking_script AS s WHERE s.script_id = marking_mark.script_id), "
        "item_group = (SELECT s.item_group FROM marking_script AS s WHERE s.script_id = marking_mark.script_id)"))
    _backfill_pairs(bind)
    with op.batch_alter_table('marking_mark', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('item_group', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index('ix_marking_mark_marker', ['exam_id', 'marker_id'], unique=False)
        batch_op.create_index('ix_marking_mark_group', ['exam_id', 'subject', 'item_group'], unique=False)
    with op.batch_alter_table('marking_script', schema=None) as batch_op:
        batch_op.create_index('ix_marking_script_group', ['exam_id', 'subject', 'item_group'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('marking_script', schema=None) as batch_op:
        batch_op.drop_index('ix_marking_script_group')
    with op.batch_alter_table('marking_mark', schema=None) as batch_op:
        batch_op.drop_index('ix_marking_mark_group')
        batch_op.drop_index('ix_marking_mark_marker')
        batch_op.drop_column('pair_deviation')
        batch_op.drop_column('pair_agreed')
        batch_op.drop_column('item_group')
        batch_op.drop_column('subject')
    with op.batch_alter_table('marking_marker', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('marking_task', schema=None) as batch_op:
        batch_op.drop_index('uq_marking_task_one_lease', postgresql_where=sa.text(LEASED),
                            sqlite_where=sa.text(LEASED))
