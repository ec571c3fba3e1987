"""marking quality control (阅卷质量监控): standard scripts, checks (试评, 回评, 标准卷), marker states,
problem scripts (问题卷) and set-aside marks

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-05 09:00:00

A check's id is the task id a marker client sees. On PostgreSQL checks draw their ids from the
marking task ids' sequence, so a check's task id never collides with a marking task's and reads
like any other (回评 and standard scripts come unannounced). SQLite has no shared sequences: its
check ids start at models.marking_quality.CHECK_ID_BASE.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0008'  # the lead re-chains this after the migrations merged before it
branch_labels = None
depends_on = None

CHECK_ID_BASE = 1_000_000_000  # models.marking_quality.CHECK_ID_BASE (a migration never imports models)


def upgrade() -> None:
    op.create_table('marking_standard',
    sa.Column('standard_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('exam_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('item_group', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('expert_scores', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.exam_id'], name=op.f('fk_marking_standard_exam_id_exam')),
    sa.PrimaryKeyConstraint('standard_id', name=op.f('pk_marking_standard')),
    sa.UniqueConstraint('exam_id', 'subject', 'item_group', 'name', name=op.f('uq_marking_standard_exam_id'))
    )
    op.create_table('marking_check',
    sa.Column('check_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('exam_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('item_group', sa.String(length=32), nullable=False),
    sa.Column('teacher_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('trial_round', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=True),
    sa.Column('script_id', sa.Integer(), nullable=True),
    sa.Column('original_mark_id', sa.Integer(), nullable=True),
    sa.Column('original_scores', sa.JSON(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('due_mark', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('leased_at', sa.Float(), nullable=True),
    sa.Column('lease_expires_at', sa.Float(), nullable=True),
    sa.Column('done_at', sa.Float(), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('check_id', name=op.f('pk_marking_check')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('marking_check', schema=None) as batch_op:
        batch_op.create_index('ix_marking_check_marker', ['exam_id', 'teacher_id', 'state'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # one id space with the marking tasks: the check column takes the task ids' sequence
        op.execute("ALTER TABLE marking_check ALTER COLUMN check_id "
                   "SET DEFAULT nextval(pg_get_serial_sequence('marking_task', 'task_id'))")
        op.execute("DROP SEQUENCE IF EXISTS marking_check_check_id_seq")
    elif bind.dialect.name == 'sqlite':
        op.execute(f"INSERT INTO sqlite_sequence (name, seq) VALUES ('marking_check', {CHECK_ID_BASE - 1})")

    op.create_table('marking_marker_state',
    sa.Column('exam_id', sa.String(length=64), nullable=False),
    sa.Column('teacher_id', sa.String(length=64), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('pause_reason', sa.Text(), nullable=True),
    sa.Column('paused_by', sa.String(length=64), nullable=True),
    sa.Column('paused_at', sa.Float(), nullable=True),
    sa.Column('trial_state', sa.String(length=12), nullable=False),
    sa.Column('trial_round', sa.Integer(), nullable=False),
    sa.Column('trial_decided_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('exam_id', 'teacher_id', name=op.f('pk_marking_marker_state'))
    )
    op.create_table('marking_problem',
    sa.Column('problem_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('exam_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('item_group', sa.String(length=32), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('check_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reported_by', sa.String(length=64), nullable=False),
    sa.Column('reported_at', sa.Float(), nullable=False),
    sa.Column('script_status', sa.String(length=16), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', sa.Float(), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('problem_id', name=op.f('pk_marking_problem'))
    )
    with op.batch_alter_table('marking_problem', schema=None) as batch_op:
        batch_op.create_index('ix_marking_problem_group', ['exam_id', 'subject', 'item_group', 'state'], unique=False)
    op.create_table('marking_set_aside',
    sa.Column('set_aside_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('mark_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.String(length=64), nullable=False),
    sa.Column('marker_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('marked_at', sa.Float(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('set_aside_by', sa.String(length=64), nullable=False),
    sa.Column('set_aside_at', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('set_aside_id', name=op.f('pk_marking_set_aside'))
    )


def downgrade() -> None:
    op.drop_table('marking_set_aside')
    with op.batch_alter_table('marking_problem', schema=None) as batch_op:
        batch_op.drop_index('ix_marking_problem_group')
    op.drop_table('marking_problem')
    op.drop_table('marking_marker_state')
    with op.batch_alter_table('marking_check', schema=None) as batch_op:
        batch_op.drop_index('ix_marking_check_marker')
    op.drop_table('marking_check')
    op.drop_table('marking_standard')
