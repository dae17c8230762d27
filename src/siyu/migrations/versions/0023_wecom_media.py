"""wecom_media: materials' media ids in each tenant's WeCom, with their expiry

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

WeCom sends images, videos, files and mini-program covers by media id (media/upload; moments:
media/upload_attachment), valid 3 days. services/wecom_media keeps one id per material, upload
kind and file, re-uploading when it expires, when the material changes or when WeCom refuses it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siyu.adapters.db.tables.base import UTCDateTime

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wecom_media',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=12), nullable=False),
    sa.Column('part', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=False),
    sa.Column('uploaded_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'material_id'], ['materials.tenant_id', 'materials.id'], name=op.f('fk_wecom_media_tenant_id_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_wecom_media_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wecom_media')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_wecom_media_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'material_id', 'purpose', 'part', name=op.f('uq_wecom_media_tenant_id_material_id_purpose_part'))
    )


def downgrade() -> None:
    op.drop_table('wecom_media')
