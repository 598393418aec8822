"""results, reach and reporting back: running totals, the neighbourhood's make-up, public results pages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 01:05:25

Existing responses start uncounted (``counted_hidden`` NULL); the results pages count them on first view,
or `wijkstem results refresh` does it ahead of time.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: Responses the running totals are out of step with (the same SQL as `server.results.models.out_of_step`).
PENDING = "counted_hidden IS NULL OR counted_hidden != (review_state = 'hidden')"


def upgrade():
    op.create_table('answer_rollups',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('question_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('buurt', sa.String(length=100), nullable=False),
    sa.Column('age_bracket', sa.String(length=8), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_answer_rollups_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'question_key', 'value', 'language', 'channel', 'source_id', 'buurt', 'age_bracket', name=op.f('pk_answer_rollups'))
    )
    op.create_table('neighbourhood_profiles',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('source_note', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_neighbourhood_profiles_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_neighbourhood_profiles_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_neighbourhood_profiles'))
    )
    op.create_table('public_reports',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('next_steps', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_public_reports_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_public_reports')),
    sa.UniqueConstraint('code', name=op.f('uq_public_reports_code'))
    )
    op.create_table('response_rollups',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('buurt', sa.String(length=100), nullable=False),
    sa.Column('age_bracket', sa.String(length=8), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_response_rollups_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'day', 'language', 'channel', 'source_id', 'buurt', 'age_bracket', name=op.f('pk_response_rollups'))
    )
    op.create_table('neighbourhood_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('dimension', sa.String(length=80), nullable=False),
    sa.Column('group_key', sa.String(length=100), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['neighbourhood_profiles.campaign_id'], name=op.f('fk_neighbourhood_groups_campaign_id_neighbourhood_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_neighbourhood_groups')),
    sa.UniqueConstraint('campaign_id', 'dimension', 'group_key', name=op.f('uq_neighbourhood_groups_campaign_id'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_hidden', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_responses_rollup_pending', ['campaign_id', 'id'], unique=False,
                              postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_rollup_pending')
        batch_op.drop_column('counted_hidden')

    op.drop_table('neighbourhood_groups')
    op.drop_table('response_rollups')
    op.drop_table('public_reports')
    op.drop_table('neighbourhood_profiles')
    op.drop_table('answer_rollups')
