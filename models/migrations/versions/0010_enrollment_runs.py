"""enrollment runs of the console (招生录取): uploads, commitment, seed, published files

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-02 13:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('enrollment_runs',
    sa.Column('run_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('zone_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('applications_name', sa.String(length=200), nullable=False),
    sa.Column('capacities_name', sa.String(length=200), nullable=False),
    sa.Column('applications', sa.LargeBinary(), nullable=False),
    sa.Column('capacities', sa.LargeBinary(), nullable=False),
    sa.Column('applicants', sa.Integer(), nullable=False),
    sa.Column('schools', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=True),
    sa.Column('committed_by', sa.String(length=100), nullable=True),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seed', sa.String(length=200), nullable=True),
    sa.Column('drawn_by', sa.String(length=100), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('outputs', sa.LargeBinary(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_enrollment_runs'))
    )


def downgrade() -> None:
    op.drop_table('enrollment_runs')
