"""jobs: a failure's code, so the workspace can say why in the reader's language; exports prepared in the
background

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:10:00

A job that can name why it failed (`server.jobs.queue.JobFailed`: a recorded prompt that is not speech, say)
keeps that code in `jobs.code`, and its English message (a msgid) in `error`; the workspace shows the message
translated. Other failures keep only their error, as before.

`export_files` holds a large export the ``export_file`` job prepares into the store, until it expires
(`server.exports.files`).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=64), nullable=True))
    op.create_table('export_files',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=128), nullable=False),
    sa.Column('storage_name', sa.String(length=128), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_export_files_campaign_id_campaigns'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_export_files_requested_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_files'))
    )
    with op.batch_alter_table('export_files', schema=None) as batch_op:
        batch_op.create_index('ix_export_files_campaign_user', ['campaign_id', 'requested_by'], unique=False)


def downgrade():
    with op.batch_alter_table('export_files', schema=None) as batch_op:
        batch_op.drop_index('ix_export_files_campaign_user')
    op.drop_table('export_files')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('code')
