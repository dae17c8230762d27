"""import rows expected, error codes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The row count estimated from the file when it was uploaded, so a run shows "rows done / total".
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rows_expected', sa.Integer(), nullable=True))
        # Why a run failed and why a row was bad, as error code + values, so the console translates them.
        batch_op.add_column(sa.Column('message_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('message_params', sa.JSON(), nullable=True))
    with op.batch_alter_table('import_errors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_errors', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('code')
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('message_params')
        batch_op.drop_column('message_code')
        batch_op.drop_column('rows_expected')
