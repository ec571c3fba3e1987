"""a marker account's teacher (阅卷教师): the console opens the marker API for them without a token

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 09:00:00

Written on the h-mkweb branch after main's 0010, beside 0006 (mkcore) and 0007 (mkqc), each written on
'0005': the lead re-chains them at merge.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('teacher_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('teacher_id')
