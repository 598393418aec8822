"""voice notes' timed copies: the recording remuxed so that its header states its duration

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:00:00

`voice_notes.timed_name` names the copy of a recording whose file stated no duration (MediaRecorder's WebM,
WebKit's fragmented MP4), remuxed without re-encoding when the upload completed; exports hand it out instead of
the original, which stays as the phone sent it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('voice_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timed_name', sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table('voice_notes', schema=None) as batch_op:
        batch_op.drop_column('timed_name')
