"""part-time teaching (跨校兼课): hours per week on a rotation row

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 06:45:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rotation_assignment') as batch_op:
        batch_op.add_column(sa.Column('hours_per_week', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rotation_assignment') as batch_op:
        batch_op.drop_column('hours_per_week')
