"""partnerships between teams: invitations, grants, support requests; partners' clip proposals, lent phones

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:40:00

A partner team helps an owner team with one campaign or all of its campaigns, with only the grants the owner
gave (`partnership_grants`, each with when and by whom). A partner's recording is a `proposed` clip, and its
translation a `text_proposals` row, until the owner approves it (existing clips are `live`). A phone a partner lends collects for one campaign of the owner.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partnerships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_team_id', sa.Integer(), nullable=False),
    sa.Column('partner_team_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=True),
    sa.Column('accepted_by', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.Column('credited', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ended_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_partnerships_owner', 'partnerships', ['owner_team_id', 'ended_at'], unique=False)
    op.create_index('ix_partnerships_partner', 'partnerships', ['partner_team_id', 'ended_at'], unique=False)
    op.create_table('partnership_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('grant', sa.String(length=16), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('given_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['given_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_partnership_grants_partnership_id'), 'partnership_grants', ['partnership_id'],
                    unique=False)
    op.create_table('partnership_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_team_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    op.create_table('support_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_support_requests_partnership_id'), 'support_requests', ['partnership_id'],
                    unique=False)
    op.create_table('text_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('slot', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('proposed_by_team_id', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_by_team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_text_proposals_campaign_id'), 'text_proposals', ['campaign_id'], unique=False)
    with op.batch_alter_table('clips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='live', nullable=False))
        batch_op.add_column(sa.Column('proposed_by_team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_clips_proposed_by_team_id_teams', 'teams', ['proposed_by_team_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_clips_approved_by_users', 'users', ['approved_by'], ['id'],
                                    ondelete='SET NULL')
    for table in ('devices', 'enrolment_codes'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('campaign_id', sa.Uuid(), nullable=True))
            batch_op.add_column(sa.Column('lent_by_team_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_campaign_id_campaigns', 'campaigns', ['campaign_id'], ['id'],
                                        ondelete='CASCADE')
            batch_op.create_foreign_key(f'fk_{table}_lent_by_team_id_teams', 'teams', ['lent_by_team_id'], ['id'],
                                        ondelete='SET NULL')


def downgrade():
    for table in ('enrolment_codes', 'devices'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_lent_by_team_id_teams', type_='foreignkey')
            batch_op.drop_constraint(f'fk_{table}_campaign_id_campaigns', type_='foreignkey')
            batch_op.drop_column('lent_by_team_id')
            batch_op.drop_column('campaign_id')
    op.execute("DELETE FROM clips WHERE state <> 'live'")
    with op.batch_alter_table('clips', schema=None) as batch_op:
        batch_op.drop_constraint('fk_clips_approved_by_users', type_='foreignkey')
        batch_op.drop_constraint('fk_clips_proposed_by_team_id_teams', type_='foreignkey')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('proposed_by_team_id')
        batch_op.drop_column('state')
    op.drop_index(op.f('ix_text_proposals_campaign_id'), table_name='text_proposals')
    op.drop_table('text_proposals')
    op.drop_index(op.f('ix_support_requests_partnership_id'), table_name='support_requests')
    op.drop_table('support_requests')
    op.drop_table('partnership_invitations')
    op.drop_index(op.f('ix_partnership_grants_partnership_id'), table_name='partnership_grants')
    op.drop_table('partnership_grants')
    op.drop_index('ix_partnerships_partner', table_name='partnerships')
    op.drop_index('ix_partnerships_owner', table_name='partnerships')
    op.drop_table('partnerships')
