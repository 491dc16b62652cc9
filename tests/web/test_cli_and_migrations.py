from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from simulator.extensions import db
from simulator.models import User


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_seed_demo_is_idempotent_and_prints_passwords_once(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "demo-trainee" in first.output and "密码" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "已存在" in second.output
    with app.app_context():
        users = db.session.execute(db.select(User).where(User.username.like("demo-%"))).scalars().all()
        assert sorted(u.role for u in users) == ["admin", "hr", "trainee", "trainer"]
        password_line = next(line for line in first.output.splitlines() if "demo-admin" in line)
        password = password_line.split("密码")[-1].strip()
        admin = next(u for u in users if u.username == "demo-admin")
        assert admin.check_password(password) and password not in admin.password_hash
