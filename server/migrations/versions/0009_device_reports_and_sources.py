"""phones: the time of their last report of what waits on them, and a default source for door-to-door answers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:40:00

`devices.status_reported_at` is when the phone last said what is still waiting on it (each report replaces the
one before, "nothing" included). `devices.default_source_id` is the source (a route, a street, a team) the phone
attributes its door-to-door responses to; `enrolment_codes.source_id` carries the coordinator's choice from the
enrolment code to the device.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_reported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('default_source_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_devices_default_source_id_sources'), 'sources',
                                    ['default_source_id'], ['id'])
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_enrolment_codes_source_id_sources'), 'sources',
                                    ['source_id'], ['id'])


def downgrade():
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrolment_codes_source_id_sources'), type_='foreignkey')
        batch_op.drop_column('source_id')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_devices_default_source_id_sources'), type_='foreignkey')
        batch_op.drop_column('default_source_id')
        batch_op.drop_column('status_reported_at')
