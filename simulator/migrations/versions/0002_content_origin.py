"""content origin: shipped or authored here, and which version the repository ships now

Before this revision every ``flask content load`` retired imported questions and reverted trainers'
edits of shipped ones. Rows are classified by how they were written (imports record
``source_path = "导入:<file>"``), and the newest authored version of a key that a load pushed aside
is made current again, so upgrading gives a site back what the bug took.

Revision ID: 0002_content_origin
Revises: 0001_initial
Create Date: 2026-12-02 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_content_origin'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


content = sa.table(
    'content_version',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('key', sa.String),
    sa.column('source_path', sa.String),
    sa.column('is_current', sa.Boolean),
    sa.column('origin', sa.String),
    sa.column('shipped_current', sa.Boolean),
)


def upgrade():
    with op.batch_alter_table('content_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='shipped', nullable=False))
        batch_op.add_column(sa.Column('shipped_current', sa.Boolean(), server_default=sa.false(), nullable=False))

    bind = op.get_bind()
    bind.execute(content.update().where(content.c.source_path.like('导入:%')).values(origin='authored'))
    bind.execute(
        content.update()
        .where(content.c.origin == 'shipped', content.c.is_current.is_(True))
        .values(shipped_current=True)
    )
    rows = bind.execute(
        sa.select(content.c.id, content.c.kind, content.c.key, content.c.origin, content.c.is_current)
        .order_by(content.c.id)
    ).all()
    by_key = {}
    for row in rows:
        by_key.setdefault((row.kind, row.key), []).append(row)
    for versions in by_key.values():
        authored = [row for row in versions if row.origin == 'authored']
        current = next((row for row in versions if row.is_current), None)
        if not authored or (current is not None and current.id >= authored[-1].id):
            continue
        restore = authored[-1].id
        ids = [row.id for row in versions]
        bind.execute(content.update().where(content.c.id.in_(ids)).values(is_current=False))
        bind.execute(content.update().where(content.c.id == restore).values(is_current=True))


def downgrade():
    with op.batch_alter_table('content_version', schema=None) as batch_op:
        batch_op.drop_column('shipped_current')
        batch_op.drop_column('origin')
