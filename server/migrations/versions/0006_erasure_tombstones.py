"""erasure tombstones and anonymous upload allowances (issue 11)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:30:00

`erased_responses`: the sha256 of each erased response's id, so a resent copy is answered `erased` and never
stored again. `upload_allowances`: the bytes flyer visitors uploaded per hour, per address (a keyed hash) and
per flyer, counted in the database so that every server worker shares the caps.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erased_responses',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_erased_responses'))
    )
    op.create_table('upload_allowances',
    sa.Column('bucket', sa.String(length=80), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('bucket', 'hour', name=op.f('pk_upload_allowances'))
    )


def downgrade():
    op.drop_table('upload_allowances')
    op.drop_table('erased_responses')
