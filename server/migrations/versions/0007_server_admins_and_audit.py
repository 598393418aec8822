"""server administrators, forced password changes, and an audit log of every administrative action

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:40:00

`users.server_admin` is the right to manage every account and team (given only with `wijkstem
grant-server-admin`); `users.password_change_required` makes a user choose a new password at the next sign-in
after someone else set it. Audit events may now concern no team (an account in no team), and keep the acting
account's teams at the time (`actor_teams`).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('server_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('password_change_required', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_teams', sa.String(length=300), nullable=False, server_default=''))
        batch_op.alter_column('team_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM audit_events WHERE team_id IS NULL")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('team_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('actor_teams')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_change_required')
        batch_op.drop_column('server_admin')
