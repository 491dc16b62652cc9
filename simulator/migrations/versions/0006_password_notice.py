"""password_notice: one-time passwords shown once from the server, never in the session cookie

Revision ID: 0006_password_notice
Revises: 0005_turn_scorer_version
Create Date: 2026-12-02 06:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_password_notice'
down_revision = '0005_turn_scorer_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'password_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('display_name', sa.String(length=60), nullable=False),
        sa.Column('password', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['admin_id'], ['user.id'], name=op.f('fk_password_notice_admin_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_notice')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_notice_token_hash')),
    )
    with op.batch_alter_table('password_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_notice_admin_id'), ['admin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_notice_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('password_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_notice_expires_at'))
        batch_op.drop_index(batch_op.f('ix_password_notice_admin_id'))
    op.drop_table('password_notice')
