"""calendar feeds (日历订阅): a secret token per school and per teacher for /feeds/<token>.ics

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-02 18:00:00

Written on the h-cal2 branch after the chain's head 0007 (marking_quality; the files' numbers are not their order).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0007'  # the chain's head: 0005 → 0010 → 0011 → 0006 → 0009 → 0008 → 0007
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_feed',
    sa.Column('owner_kind', sa.String(length=8), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('owner_kind', 'owner_id', name=op.f('pk_calendar_feed'))
    )
    op.create_index(op.f('ix_calendar_feed_token'), 'calendar_feed', ['token'], unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_calendar_feed_token'), table_name='calendar_feed')
    op.drop_table('calendar_feed')
