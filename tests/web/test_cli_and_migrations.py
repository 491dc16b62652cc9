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


def test_origin_migration_gives_back_what_content_load_took(tmp_path):
    """Upgrading marks imports as authored and makes the newest import current again (issue 14.1)."""
    from flask_migrate import upgrade

    from simulator import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    with app.app_context():
        upgrade(revision="0001_initial")
        rows = [  # id, key, version, source_path, is_current: what the old content load left behind
            (1, "shipped-1", "s1", "quizzes/bank/a.yaml", True),
            (2, "shipped-1", "edit", "导入:bank.xlsx", False),
            (3, "imported-1", "i1", "导入:bank.xlsx", False),
            (4, "shipped-2", "s2", "quizzes/bank/a.yaml", True),
        ]
        with db.engine.begin() as connection:
            for row in rows:
                connection.exec_driver_sql(
                    "INSERT INTO content_version (id, kind, key, version, title, data, source_path, is_current,"
                    " loaded_at) VALUES (?, 'question', ?, ?, '', '{}', ?, ?, '2026-11-30 00:00:00')",
                    row,
                )
        upgrade()
        with db.engine.connect() as connection:
            got = connection.exec_driver_sql(
                "SELECT id, origin, is_current, shipped_current FROM content_version ORDER BY id"
            ).all()
        db.engine.dispose()
    assert [tuple(r) for r in got] == [
        (1, "shipped", 0, 1),
        (2, "authored", 1, 0),
        (3, "authored", 1, 0),
        (4, "shipped", 1, 1),
    ]
