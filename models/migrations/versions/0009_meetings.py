"""joint meetings (联席会议), agenda items, decisions and the exchange log (交流记录)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-10 09:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0006'  # the lead re-chains this after the migrations merged before it
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting',
    sa.Column('meeting_id', sa.String(length=64), nullable=False),
    sa.Column('cluster_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.cluster_id'], name=op.f('fk_meeting_cluster_id_cluster')),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting'))
    )
    op.create_index(op.f('ix_meeting_cluster_id'), 'meeting', ['cluster_id'], unique=False)
    op.create_table('agenda_item',
    sa.Column('item_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('meeting_id', sa.String(length=64), nullable=False),
    sa.Column('school_id', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('submitted_by', sa.String(length=100), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.meeting_id'], name=op.f('fk_agenda_item_meeting_id_meeting'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.school_id'], name=op.f('fk_agenda_item_school_id_school')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_agenda_item'))
    )
    op.create_index(op.f('ix_agenda_item_meeting_id'), 'agenda_item', ['meeting_id'], unique=False)
    op.create_table('meeting_decision',
    sa.Column('decision_id', sa.String(length=64), nullable=False),
    sa.Column('meeting_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('host_school_id', sa.String(length=64), nullable=False),
    sa.Column('assisting_school_ids', sa.JSON(), nullable=False),
    sa.Column('due', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['host_school_id'], ['school.school_id'],
                            name=op.f('fk_meeting_decision_host_school_id_school')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.meeting_id'],
                            name=op.f('fk_meeting_decision_meeting_id_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_meeting_decision'))
    )
    op.create_index(op.f('ix_meeting_decision_meeting_id'), 'meeting_decision', ['meeting_id'], unique=False)
    op.create_table('exchange_log',
    sa.Column('entry_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('teacher_id', sa.String(length=64), nullable=False),
    sa.Column('school_id', sa.String(length=64), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.school_id'], name=op.f('fk_exchange_log_school_id_school')),
    sa.ForeignKeyConstraint(['teacher_id'], ['teacher.teacher_id'], name=op.f('fk_exchange_log_teacher_id_teacher')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_exchange_log'))
    )
    op.create_index(op.f('ix_exchange_log_teacher_id'), 'exchange_log', ['teacher_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_exchange_log_teacher_id'), table_name='exchange_log')
    op.drop_table('exchange_log')
    op.drop_index(op.f('ix_meeting_decision_meeting_id'), table_name='meeting_decision')
    op.drop_table('meeting_decision')
    op.drop_index(op.f('ix_agenda_item_meeting_id'), table_name='agenda_item')
    op.drop_table('agenda_item')
    op.drop_index(op.f('ix_meeting_cluster_id'), table_name='meeting')
    op.drop_table('meeting')
