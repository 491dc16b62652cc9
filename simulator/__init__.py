"""Guanjia Trainer (管家实训): the Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from .config import check_production, check_settings, default_config, load_environment
from .extensions import csrf, db, limiter, login_manager, migrate

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then ``instance/config.py``, then the environment, then ``test_config``.

    Args:
        test_config: settings that override everything else (tests).

    Returns:
        The configured application. Nothing heavy (no model, no content) is loaded here.

    Raises:
        ConfigError: production mode with the development secret.
    """
    instance_path = os.environ.get("GUANJIA_INSTANCE_PATH") or str(REPO_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        static_folder=str(REPO_ROOT / "static"),
    )
    app.config.from_mapping(default_config(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    load_environment(app.config)
    if test_config is not None:
        app.config.from_mapping(test_config)
    check_settings(app.config)
    check_production(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if int(app.config.get("PROXY_FIX_X_FOR") or 0) > 0:
        # Only then is X-Forwarded-For believed (the client address the login limit keys on).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"

    from . import models  # noqa: F401  (register tables with the metadata)
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .author.views import bp as author_bp
    from .certification.views import bp as certify_bp
    from .cli import register_cli
    from .errors import register_error_handlers
    from .headers import register_security_headers
    from .jobs import init_app as init_jobs
    from .jobs.views import bp as jobs_bp
    from .main.views import bp as main_bp
    from .play.views import bp as play_bp
    from .quiz.views import bp as quiz_bp
    from .reports.views import bp as reports_bp
    from .review.views import bp as review_bp
    from .security import enforce_roles
    from .templating import register_templating

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(play_bp)
    app.register_blueprint(quiz_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(author_bp)
    init_jobs(app)
    app.register_blueprint(certify_bp)

    app.before_request(enforce_roles)
    register_error_handlers(app)
    register_templating(app)
    register_cli(app)

    register_security_headers(app)

    if app.config["SCORING_WARMUP"]:
        _start_scoring_warmup(app)
    return app


def _start_scoring_warmup(app: Flask) -> None:
    """Load the embedding model off the request path (once per process; replies wait on its lock)."""
    from .warmup import start_background_warmup

    start_background_warmup()
