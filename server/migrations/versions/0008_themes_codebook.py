"""themes: a campaign's codebook, themes on responses and fragments, bulk batches, quotes (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:34:58

`themes` per campaign (name and description per language, colour); `theme_links` put a theme on a whole
response or on a fragment of an answer, transcript or translation (offsets and the exact words); every link
goes with its response, answer or voice note (ON DELETE CASCADE), so erasure removes it. `theme_batches`
record a bulk attach so that undo removes exactly what it added. `quotes` are fragments chosen for the public
page, with their texts per language and a second person's approval.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_themes_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes'))
    )
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_themes_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('theme_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_batches_theme_id_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_theme_batches_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_batches'))
    )
    with op.batch_alter_table('theme_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_batches_theme_id'), ['theme_id'], unique=False)

    op.create_table('theme_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('source_kind', sa.String(length=24), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('voice_note_id', sa.Uuid(), nullable=True),
    sa.Column('start_offset', sa.Integer(), nullable=True),
    sa.Column('end_offset', sa.Integer(), nullable=True),
    sa.Column('quoted_text', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_theme_links_answer_id_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['batch_id'], ['theme_batches.id'], name=op.f('fk_theme_links_batch_id_theme_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_theme_links_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_links_theme_id_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_theme_links_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['voice_note_id'], ['voice_notes.id'], name=op.f('fk_theme_links_voice_note_id_voice_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_links'))
    )
    with op.batch_alter_table('theme_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_links_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theme_links_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theme_links_response_id'), ['response_id'], unique=False)
        batch_op.create_index('ix_theme_links_theme_response', ['theme_id', 'response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theme_links_voice_note_id'), ['voice_note_id'], unique=False)

    op.create_table('quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('marked_by', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_quotes_approved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_quotes_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['theme_links.id'], name=op.f('fk_quotes_link_id_theme_links'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by'], ['users.id'], name=op.f('fk_quotes_marked_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('link_id', name=op.f('uq_quotes_link_id'))
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_campaign_id'), ['campaign_id'], unique=False)



def downgrade():
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_campaign_id'))

    op.drop_table('quotes')
    with op.batch_alter_table('theme_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_links_voice_note_id'))
        batch_op.drop_index('ix_theme_links_theme_response')
        batch_op.drop_index(batch_op.f('ix_theme_links_response_id'))
        batch_op.drop_index(batch_op.f('ix_theme_links_batch_id'))
        batch_op.drop_index(batch_op.f('ix_theme_links_answer_id'))

    op.drop_table('theme_links')
    with op.batch_alter_table('theme_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_batches_theme_id'))

    op.drop_table('theme_batches')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_themes_campaign_id'))

    op.drop_table('themes')
