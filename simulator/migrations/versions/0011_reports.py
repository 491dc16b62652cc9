"""reports: user hire date and post, group HR site assignments, export audit, per-turn skill tallies

Revision ID: 0011_reports
Revises: 0010_certification
Create Date: 2026-12-02 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_reports'
down_revision = '0010_certification'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hired_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('position', sa.String(length=40), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_user_hired_on'), ['hired_on'], unique=False)

    op.create_table('hr_site',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_hr_site_site_id_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_hr_site_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'site_id', name=op.f('pk_hr_site'))
    )
    op.create_table('report_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_report_export_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_export'))
    )
    with op.batch_alter_table('report_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_export_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_export_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_export_user_id'), ['user_id'], unique=False)
    op.create_table('turn_skill',
    sa.Column('turn_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=40), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('misses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_turn_skill_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['turn_id'], ['turn.id'], name=op.f('fk_turn_skill_turn_id_turn'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('turn_id', 'skill', name=op.f('pk_turn_skill'))
    )
    with op.batch_alter_table('turn_skill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_turn_skill_attempt_id'), ['attempt_id'], unique=False)
    # Existing turns get their tallies here; new ones as they are recorded (simulator/reports/skills.py).
    _backfill_turn_skills(op.get_bind())


def _backfill_turn_skills(connection):
    """A frozen copy of simulator.reports.skills.skill_rows, so this revision never depends on later code."""
    turn = sa.table('turn', sa.column('id', sa.Integer), sa.column('attempt_id', sa.Integer), sa.column('breakdown', sa.JSON))
    turn_skill = sa.table('turn_skill', sa.column('turn_id', sa.Integer), sa.column('skill', sa.String),
                          sa.column('attempt_id', sa.Integer), sa.column('hits', sa.Integer), sa.column('misses', sa.Integer))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(turn.c.id, turn.c.attempt_id, turn.c.breakdown).where(turn.c.id > last).order_by(turn.c.id).limit(2000)
        ).all()
        if not rows:
            return
        values = []
        for turn_id, attempt_id, breakdown in rows:
            tally = {}
            for key, slot in (('hits', 0), ('misses', 1)):
                for item in (breakdown or {}).get(key) or []:
                    skill = (item or {}).get('skill') or ''
                    if skill:
                        tally.setdefault(skill[:40], [0, 0])[slot] += 1
            values += [{'turn_id': turn_id, 'attempt_id': attempt_id, 'skill': skill, 'hits': h, 'misses': m}
                       for skill, (h, m) in tally.items()] or [
                {'turn_id': turn_id, 'attempt_id': attempt_id, 'skill': '', 'hits': 0, 'misses': 0}]
        connection.execute(turn_skill.insert(), values)
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('turn_skill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_turn_skill_attempt_id'))
    op.drop_table('turn_skill')
    with op.batch_alter_table('report_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_export_user_id'))
        batch_op.drop_index(batch_op.f('ix_report_export_job_id'))
        batch_op.drop_index(batch_op.f('ix_report_export_created_at'))
    op.drop_table('report_export')
    op.drop_table('hr_site')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_hired_on'))
        batch_op.drop_column('position')
        batch_op.drop_column('hired_on')
