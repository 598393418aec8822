"""jobs: a failure's code, so the workspace can say why in the reader's language

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:10:00

A job that can name why it failed (`server.jobs.queue.JobFailed`: a recorded prompt that is not speech, say)
keeps that code in `jobs.code`, and its English message (a msgid) in `error`; the workspace shows the message
translated. Other failures keep only their error, as before.
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


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('code')
