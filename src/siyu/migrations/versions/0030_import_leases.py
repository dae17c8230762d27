"""imports, order_imports: the run's upload, and who is working on it (a lease), for the worker's sweep

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03

``imports.rows_done`` is where a customer import resumes, as ``order_imports.rows_done`` is;
``upload`` and ``encoding`` are what the worker reads, so a run the worker was killed in can be
queued again without its uploader; ``attempt`` is bumped by each worker that takes the run and
``progress_at`` is when that worker last took it or committed a batch (see
``siyu.services.order_imports.LEASE``, ``siyu.services.imports``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('imports') as batch:
        batch.add_column(sa.Column('rows_done', sa.Integer(), server_default='0', nullable=False))
    for table in ('imports', 'order_imports'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('upload', sa.String(length=500), nullable=True))
            batch.add_column(sa.Column('encoding', sa.String(length=32), nullable=True))
            batch.add_column(sa.Column('attempt', sa.Integer(), server_default='0', nullable=False))
            batch.add_column(sa.Column('progress_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    for table in ('imports', 'order_imports'):
        with op.batch_alter_table(table) as batch:
            for name in ('progress_at', 'attempt', 'encoding', 'upload'):
                batch.drop_column(name)
    with op.batch_alter_table('imports') as batch:
        batch.drop_column('rows_done')
