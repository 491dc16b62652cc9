"""Shared fixtures: a fresh app per test on a temporary database, CSRF-aware clients, role logins.

The database is SQLite in a temporary folder by default. When ``TEST_DATABASE_URL`` is set (the
README's test command sets it to a throwaway PostgreSQL server), the same tests run against it.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from simulator import create_app
from simulator.config import normalise_database_url
from simulator.extensions import db
from simulator.models import Role, Site, User

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """Everything that uses the ``app`` fixture touches the database: mark it ``db``."""
    for item in items:
        if "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "RATELIMIT_ENABLED": False,
    # production keeps scrypt; tests hash thousands of times, so use a cheap method
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    # background jobs run inside the request that submits them (tests/web/test_jobs.py also runs a real queue)
    "JOBS_IMMEDIATE": True,
}


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Run the migrations once per session: into a template SQLite file, or into PostgreSQL."""
    url = _postgres_url() or f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite3'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        db.engine.dispose()
    return url


def fresh_database(template_url: str, tmp_path) -> str:
    """A clean database for one test: a copy of the migrated SQLite file, or emptied PostgreSQL tables."""
    if template_url.startswith("sqlite:///"):
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(template_url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    return template_url


def empty_tables() -> None:
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def app(migrated_template, tmp_path, request):
    """A fresh app; ``@pytest.mark.app_config(KEY=value)`` overrides settings for one test.

    Each app gets its own rate-limit storage (``memory://`` is created at ``init_app``), so a test
    with ``RATELIMIT_ENABLED=True`` starts from empty counters whatever ran before it.
    """
    from simulator.play import content as play_content

    # play caches parsed scenarios by content row id, which repeats across the fresh database each test gets
    play_content._scenario_cache.clear()
    url = fresh_database(migrated_template, tmp_path)
    marker = request.node.get_closest_marker("app_config")
    overrides = marker.kwargs if marker else {}
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "JOBS_FOLDER": str(tmp_path / "jobs"),
            "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",  # used only where a test turns JOBS_IMMEDIATE off
            **overrides,
        }
    )
    with app.app_context():
        if not url.startswith("sqlite"):
            empty_tables()
        db.session.add(Site(name="翠湖花园管理处"))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with every state-changing request."""

    def open(self, *args, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if method not in ("GET", "HEAD", "OPTIONS") and not kwargs.pop("no_csrf", False):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """Put a raw token in the session and return its signed form, as Flask-WTF would."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", "test-raw-csrf-token-0123456789")
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)


@pytest.fixture
def client(app):
    app.test_client_class = CSRFClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def gen_user(role: Role | str = Role.TRAINEE, site_name: str = "翠湖花园管理处", **fields) -> User:
    """Create a user (inside an app context) with the test password."""
    site = db.session.execute(db.select(Site).filter_by(name=site_name)).scalar_one_or_none()
    if site is None:
        site = Site(name=site_name)
        db.session.add(site)
    n = next(_counter)
    role = Role(role)
    user = User(
        username=fields.pop("username", f"{role.value}{n:03d}"),
        display_name=fields.pop("display_name", f"测试{role.label}{n}"),
        role=role.value,
        site=site,
        **fields,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


class AuthActions:
    def __init__(self, app, client):
        self.app, self.client = app, client

    def login(self, role: Role | str = Role.TRAINEE, **fields) -> User:
        """Create a user of ``role`` and sign the client in as them."""
        with self.app.app_context():
            user = gen_user(role, **fields)
            username, user_id = user.username, user.id
        response = self.client.post("/auth/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        with self.app.app_context():
            return db.session.get(User, user_id)

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)


def form_errors(html: str) -> list[str]:
    return re.findall(r'class="field-error">([^<]+)<', html)


def shared_path(*parts: str) -> Path:
    """A file in ../shared (beside the repository), where CI and developers keep the manuals."""
    for root in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"../shared/{'/'.join(parts)} not found beside the repository")
