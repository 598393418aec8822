"""clips: campaign texts and app phrases read aloud; question prompts become clips ``q:<question>``

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 15:00:00

Each `prompt_audio` row becomes a clip with the same id (so an installed app's prompt URL keeps working),
recorded for the question's text in the draft as it is now. Its duration is unknown (the sound was stored as
recorded); a new recording in the studio is normalised and measured.
"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

CLIP_COLUMNS = ("id", "team_id", "campaign_id", "key", "language", "text_sha256", "content_type", "sha256",
                "size", "duration_ms", "storage_name", "synthetic", "recorded_by", "created_at")
PROMPT_COLUMNS = ("id", "campaign_id", "question_key", "language", "content_type", "sha256", "size",
                  "storage_name", "created_at")

prompts = sa.table('prompt_audio', sa.column('id', sa.Uuid()), sa.column('campaign_id', sa.Uuid()),
                   sa.column('question_key', sa.String()), sa.column('language', sa.String()),
                   sa.column('content_type', sa.String()), sa.column('sha256', sa.String()),
                   sa.column('size', sa.Integer()), sa.column('storage_name', sa.String()),
                   sa.column('created_at', sa.DateTime(timezone=True)))
campaigns = sa.table('campaigns', sa.column('id', sa.Uuid()), sa.column('team_id', sa.Integer()),
                     sa.column('definition', sa.JSON()))
clips = sa.table('clips', sa.column('id', sa.Uuid()), sa.column('team_id', sa.Integer()),
                 sa.column('campaign_id', sa.Uuid()), sa.column('key', sa.String()),
                 sa.column('language', sa.String()), sa.column('text_sha256', sa.String()),
                 sa.column('content_type', sa.String()), sa.column('sha256', sa.String()),
                 sa.column('size', sa.Integer()), sa.column('duration_ms', sa.Integer()),
                 sa.column('storage_name', sa.String()), sa.column('synthetic', sa.Boolean()),
                 sa.column('recorded_by', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)))


def question_text(definition: dict, key: str, language: str) -> str:
    question = next((q for q in definition.get("questions", []) if q.get("key") == key), None)
    return ((question or {}).get("text") or {}).get(language) or ""


def upgrade():
    op.create_table('clips',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('storage_name', sa.String(length=128), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_clips_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_clips_recorded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_clips_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clips'))
    )
    with op.batch_alter_table('clips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clips_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_clips_team_campaign', ['team_id', 'campaign_id'], unique=False)

    connection = op.get_bind()
    rows = connection.execute(sa.select(prompts, campaigns.c.team_id, campaigns.c.definition)
                              .join(campaigns, campaigns.c.id == prompts.c.campaign_id)).mappings().all()
    if rows:
        op.bulk_insert(clips, [{
            **{name: row[name] for name in PROMPT_COLUMNS if name != "question_key"},
            "team_id": row["team_id"], "key": f"q:{row['question_key']}",
            "text_sha256": hashlib.sha256(question_text(row["definition"], row["question_key"],
                                                        row["language"]).strip().encode()).hexdigest(),
            "duration_ms": None, "synthetic": False, "recorded_by": None,
        } for row in rows])

    with op.batch_alter_table('prompt_audio', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompt_audio_campaign_id'))
    op.drop_table('prompt_audio')


def downgrade():
    op.create_table('prompt_audio',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('question_key', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_prompt_audio_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_audio'))
    )
    with op.batch_alter_table('prompt_audio', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_audio_campaign_id'), ['campaign_id'], unique=False)

    connection = op.get_bind()
    rows = connection.execute(sa.select(clips).where(clips.c.campaign_id.is_not(None),
                                                     clips.c.key.like("q:%"))).mappings().all()
    spoken = [row for row in rows if row["key"].count(":") == 1]
    if spoken:
        op.bulk_insert(prompts, [{
            **{name: row[name] for name in PROMPT_COLUMNS if name != "question_key"},
            "question_key": row["key"][2:],
        } for row in spoken])

    with op.batch_alter_table('clips', schema=None) as batch_op:
        batch_op.drop_index('ix_clips_team_campaign')
        batch_op.drop_index(batch_op.f('ix_clips_campaign_id'))
    op.drop_table('clips')
