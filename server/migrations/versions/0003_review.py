"""review: tags, comments, transcripts, playback copies, the audit log, keyset indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_audit_events_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_audit_events_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_team_created', ['team_id', 'created_at', 'id'], unique=False)

    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_tags_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('campaign_id', 'name', name=op.f('uq_tags_campaign_id'))
    )
    op.create_table('response_tags',
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_tags_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_response_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'tag_id', name=op.f('pk_response_tags'))
    )
    with op.batch_alter_table('response_tags', schema=None) as batch_op:
        batch_op.create_index('ix_response_tags_tag_received', ['tag_id', 'received_at', 'response_id'], unique=False)

    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_review_comments_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_comments_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_comments_response_id'), ['response_id'], unique=False)

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation', sa.Text(), nullable=True))

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_campaign_received')
        batch_op.create_index('ix_responses_campaign_received_id', ['campaign_id', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_responses_campaign_state_received_id', ['campaign_id', 'review_state', 'received_at', 'id'], unique=False)

    with op.batch_alter_table('voice_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('playback_name', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('playback_type', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('audio_deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transcript', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('translation', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('transcript_source', sa.String(length=64), nullable=True))



def downgrade():
    with op.batch_alter_table('voice_notes', schema=None) as batch_op:
        batch_op.drop_column('transcript_source')
        batch_op.drop_column('translation')
        batch_op.drop_column('transcript')
        batch_op.drop_column('audio_deleted_at')
        batch_op.drop_column('playback_type')
        batch_op.drop_column('playback_name')

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_campaign_state_received_id')
        batch_op.drop_index('ix_responses_campaign_received_id')
        batch_op.create_index('ix_responses_campaign_received', ['campaign_id', 'received_at'], unique=False)

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('translation')

    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_comments_response_id'))

    op.drop_table('review_comments')
    with op.batch_alter_table('response_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_response_tags_tag_received')

    op.drop_table('response_tags')
    op.drop_table('tags')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_team_created')

    op.drop_table('audit_events')
