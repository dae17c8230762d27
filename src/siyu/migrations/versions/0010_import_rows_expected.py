"""import rows expected

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The row count estimated from the file when it was uploaded, so a run shows "rows done / total".
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rows_expected', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('rows_expected')
