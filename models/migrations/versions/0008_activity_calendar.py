"""the cluster's activity calendar (学区活动日历): shared facilities, term plans of use, activities, bookings

Revision ID: 0008
Revises: 0009
Create Date: 2026-12-02 13:07:37
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_activity',
    sa.Column('cluster_id', sa.String(length=64), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=200), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('rule', sa.String(length=24), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('band', sa.String(length=16), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('half', sa.String(length=4), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('end', sa.String(length=5), nullable=False),
    sa.Column('host_school_id', sa.String(length=64), nullable=False),
    sa.Column('facility_id', sa.String(length=64), nullable=True),
    sa.Column('teacher_ids', sa.JSON(), nullable=False),
    sa.Column('presenter_id', sa.String(length=64), nullable=True),
    sa.Column('travel_km', sa.Float(), nullable=False),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('quota_key', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.plan_id'], name=op.f('fk_calendar_activity_plan_id_plan'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('cluster_id', 'school_year', 'term', 'activity_id', name=op.f('pk_calendar_activity'))
    )
    with op.batch_alter_table('calendar_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_activity_date'), ['date'], unique=False)

    op.create_table('facility_booking',
    sa.Column('cluster_id', sa.String(length=64), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.String(length=64), nullable=False),
    sa.Column('facility_id', sa.String(length=64), nullable=False),
    sa.Column('facility_school_id', sa.String(length=64), nullable=False),
    sa.Column('half', sa.String(length=4), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('end', sa.String(length=5), nullable=False),
    sa.Column('dates', sa.JSON(), nullable=False),
    sa.Column('km', sa.Float(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.plan_id'], name=op.f('fk_facility_booking_plan_id_plan'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('cluster_id', 'school_year', 'term', 'request_id', 'weekday', name=op.f('pk_facility_booking'))
    )
    op.create_table('facility',
    sa.Column('facility_id', sa.String(length=64), nullable=False),
    sa.Column('school_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('open_from', sa.String(length=5), nullable=True),
    sa.Column('open_until', sa.String(length=5), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['school.school_id'], name=op.f('fk_facility_school_id_school')),
    sa.PrimaryKeyConstraint('facility_id', name=op.f('pk_facility'))
    )
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_school_id'), ['school_id'], unique=False)

    op.create_table('facility_request',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('school_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('class_id', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('per_week', sa.Integer(), nullable=False),
    sa.Column('teacher_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['school.school_id'], name=op.f('fk_facility_request_school_id_school')),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_facility_request'))
    )
    with op.batch_alter_table('facility_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_request_school_id'), ['school_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('facility_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_request_school_id'))

    op.drop_table('facility_request')
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_school_id'))

    op.drop_table('facility')
    op.drop_table('facility_booking')
    with op.batch_alter_table('calendar_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_activity_date'))

    op.drop_table('calendar_activity')
