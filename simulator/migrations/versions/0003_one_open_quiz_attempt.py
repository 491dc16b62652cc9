"""one open quiz attempt per user and quiz (a partial unique index)

Concurrent starts used to insert several open attempts and so bypass ``max_attempts``. Any extra open
attempts such a race left behind are submitted empty (score 0) before the index is built; they were
counted as attempts already.

Revision ID: 0003_one_open_quiz_attempt
Revises: 0002_content_origin
Create Date: 2026-12-02 05:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_one_open_quiz_attempt'
down_revision = '0002_content_origin'
branch_labels = None
depends_on = None

attempts = sa.table(
    'quiz_attempt',
    sa.column('id', sa.Integer),
    sa.column('user_id', sa.Integer),
    sa.column('quiz_key', sa.String),
    sa.column('started_at', sa.DateTime),
    sa.column('submitted_at', sa.DateTime),
    sa.column('score', sa.Float),
    sa.column('passed', sa.Boolean),
)


def upgrade():
    bind = op.get_bind()
    open_rows = bind.execute(
        sa.select(attempts.c.id, attempts.c.user_id, attempts.c.quiz_key, attempts.c.started_at)
        .where(attempts.c.submitted_at.is_(None))
        .order_by(attempts.c.id)
    ).all()
    seen = set()
    for row in open_rows:
        if (row.user_id, row.quiz_key) in seen:
            bind.execute(
                attempts.update()
                .where(attempts.c.id == row.id)
                .values(submitted_at=row.started_at, score=0.0, passed=False)
            )
        seen.add((row.user_id, row.quiz_key))
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index(
            'uq_quiz_attempt_open',
            ['user_id', 'quiz_key'],
            unique=True,
            sqlite_where=sa.text('submitted_at IS NULL'),
            postgresql_where=sa.text('submitted_at IS NULL'),
        )


def downgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index('uq_quiz_attempt_open')
