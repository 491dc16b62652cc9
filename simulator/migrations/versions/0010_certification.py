"""certification: certificates (validity from dates, never a flag), their audit log, trainee notices

Revision ID: 0010_certification
Revises: 0009_review
Create Date: 2026-12-02 12:24:00.381787

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_certification'
down_revision = '0009_review'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('programme_key', sa.String(length=60), nullable=False),
    sa.Column('level_key', sa.String(length=60), nullable=False),
    sa.Column('level_name', sa.String(length=60), nullable=False),
    sa.Column('programme_version', sa.String(length=64), nullable=False),
    sa.Column('programme_content_id', sa.Integer(), nullable=True),
    sa.Column('issue_key', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('holder_name', sa.String(length=60), nullable=False),
    sa.Column('holder_username', sa.String(length=40), nullable=False),
    sa.Column('site_name', sa.String(length=100), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('renewal_of_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_certificate_approved_by_id_user')),
    sa.ForeignKeyConstraint(['programme_content_id'], ['content_version.id'], name=op.f('fk_certificate_programme_content_id_content_version')),
    sa.ForeignKeyConstraint(['renewal_of_id'], ['certificate.id'], name=op.f('fk_certificate_renewal_of_id_certificate')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_certificate_revoked_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_certificate_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code')),
    sa.UniqueConstraint('issue_key', name=op.f('uq_certificate_issue_key'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_user_id'), ['user_id'], unique=False)

    op.create_table('certification_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_certification_event_actor_id_user')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_certification_event_certificate_id_certificate')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_certification_event_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_event')),
    sa.UniqueConstraint('certificate_id', 'kind', name='uq_certification_event_certificate_id_kind')
    )
    with op.batch_alter_table('certification_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_certification_event_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certification_event_user_id'), ['user_id'], unique=False)

    op.create_table('certification_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('dismissed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_certification_notice_certificate_id_certificate')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_certification_notice_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_notice')),
    sa.UniqueConstraint('certificate_id', 'kind', name='uq_certification_notice_certificate_id_kind')
    )
    with op.batch_alter_table('certification_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_notice_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('certification_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_notice_user_id'))

    op.drop_table('certification_notice')
    with op.batch_alter_table('certification_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_certification_event_certificate_id'))
        batch_op.drop_index(batch_op.f('ix_certification_event_at'))

    op.drop_table('certification_event')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_user_id'))

    op.drop_table('certificate')
