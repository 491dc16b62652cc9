"""turn.scorer_version: the learned scorer's version that scored each turn

Revision ID: 0005_turn_scorer_version
Revises: 0004_user_session_version
Create Date: 2026-12-02 06:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_turn_scorer_version'
down_revision = '0004_user_session_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('turn', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scorer_version', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('turn', schema=None) as batch_op:
        batch_op.drop_column('scorer_version')
