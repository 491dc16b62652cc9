"""username_case: 工号 unique ignoring case (issue 14.9)

Revision ID: 0008_username_case
Revises: 0007_job
Create Date: 2026-12-02 12:00:00

A roster with ``DEMO-TRAINER`` created a second account beside ``demo-trainer``. Lookups now ignore
case and this index keeps it so. If the database already holds such pairs the upgrade stops and
names them: an admin decides which account stays (rename or delete the other) and runs it again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_username_case'
down_revision = '0007_job'
branch_labels = None
depends_on = None


def upgrade():
    duplicates = op.get_bind().execute(
        sa.text('SELECT lower(username) FROM "user" GROUP BY lower(username) HAVING count(*) > 1')
    ).scalars().all()
    if duplicates:
        raise RuntimeError(
            "以下工号仅大小写不同,对应多个账号,请先改名或删除其中之一再升级:" + "、".join(sorted(duplicates))
        )
    op.create_index('uq_user_username_lower', 'user', [sa.text('lower(username)')], unique=True)


def downgrade():
    op.drop_index('uq_user_username_lower', table_name='user')
