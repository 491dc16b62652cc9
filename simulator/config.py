"""Configuration: defaults, then ``instance/config.py``, then environment variables.

``SECRET_KEY`` and ``DATABASE_URL`` come from the environment or the instance config file. In
production (``GUANJIA_ENV=production``) the app refuses to start with the development secret.
"""

from __future__ import annotations

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-only-insecure-secret-change-me"
DEFAULT_DISPLAY_TZ = "Asia/Shanghai"
HTMX_VERSION = "2.0.11"
# Subresource-integrity hash of https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js,
# identical to the vendored static/vendor/htmx-2.0.11.min.js (computed from the npm package).
HTMX_CDN_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete."""


def default_config(instance_path: str) -> dict:
    """The embedded defaults: SQLite in the instance folder, the bundled model, local htmx."""
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(instance_path) / "guanjia.sqlite3"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed logins only (successes never count), per client address and, separately, per account.
        # The account limit is generous so that one attacker cannot keep a named account locked for long.
        "LOGIN_RATE_LIMIT": "5 per minute;30 per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": "10 per 15 minutes",
        # How many reverse proxies set X-Forwarded-For in front of the app (0: trust no such header).
        "PROXY_FIX_X_FOR": 0,
        "HTMX_SOURCE": "local",  # "local" (vendored copy) or "cdn" (jsDelivr with SRI)
        "HTMX_VERSION": HTMX_VERSION,
        "HTMX_CDN_SRI": HTMX_CDN_SRI,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "GUANJIA_ENV": "development",
        "ROSTER_MAX_ROWS": 5000,
        # Questions in one bank import (XLSX rows or GIFT questions); a bigger file is refused before parsing.
        "QUIZ_IMPORT_MAX_QUESTIONS": 2000,
        # Load the embedding model in a background thread at start, so the first reply is not slow.
        "SCORING_WARMUP": False,
        # Times are stored in UTC and shown in this zone (the `localtime` template filter).
        "DISPLAY_TZ": DEFAULT_DISPLAY_TZ,
        # Background jobs (simulator/jobs): Huey on SQLite in the instance folder unless JOBS_URL says
        # redis://...; JOBS_IMMEDIATE runs a job inside the request that submits it (tests only).
        "JOBS_URL": None,
        "JOBS_IMMEDIATE": False,
        # A TrueType CJK font for certificate PDFs ("path" or "path#index"); default: fonts-wqy-zenhei.
        "CERT_FONT_PATH": "",
        # HR reports' xAPI export (simulator/reports/xapi.py): the LRS endpoint (empty: JSON file only),
        # its basic-auth account, retries with growing waits, and the home page naming accounts and activities.
        "XAPI_LRS_URL": None,
        "XAPI_LRS_USERNAME": None,
        "XAPI_LRS_PASSWORD": None,
        "XAPI_LRS_RETRIES": 3,
        "XAPI_LRS_BACKOFF_S": 1.0,
        "XAPI_HOMEPAGE": None,
    }


def load_environment(config: dict) -> None:
    """Overlay settings from environment variables onto ``config`` (in place)."""
    if os.environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("GUANJIA_WARMUP"):
        config["SCORING_WARMUP"] = os.environ["GUANJIA_WARMUP"].lower() in ("1", "true", "yes")
    for key in (
        "GUANJIA_ENV",
        "HTMX_SOURCE",
        "RATELIMIT_STORAGE_URI",
        "LOGIN_RATE_LIMIT",
        "LOGIN_ACCOUNT_RATE_LIMIT",
        "DISPLAY_TZ",
        "JOBS_URL",
        "CERT_FONT_PATH",
        "XAPI_LRS_URL",
        "XAPI_LRS_USERNAME",
        "XAPI_LRS_PASSWORD",
        "XAPI_HOMEPAGE",
    ):
        if os.environ.get(key):
            config[key] = os.environ[key]
    if os.environ.get("PROXY_FIX_X_FOR"):
        config["PROXY_FIX_X_FOR"] = int(os.environ["PROXY_FIX_X_FOR"])


def normalise_database_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` URLs to the psycopg 3 driver SQLAlchemy expects."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_settings(config: dict) -> None:
    """Refuse settings that would fail later, on every page or every job, with a clear message at start.

    Raises:
        ConfigError: DISPLAY_TZ is not an IANA time zone name.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = config.get("DISPLAY_TZ") or ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"DISPLAY_TZ 设置有误:{name!r} 不是时区名称(应为 IANA 名称,例如 {DEFAULT_DISPLAY_TZ})。"
        ) from exc


def check_production(config: dict) -> None:
    """Refuse unsafe settings in production.

    Raises:
        ConfigError: the secret key is missing, the development default, or too short.
    """
    if config.get("GUANJIA_ENV") != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        raise ConfigError(
            "生产模式拒绝启动:SECRET_KEY 未设置或仍是开发默认值(至少 32 个字符)。"
            "请通过环境变量 SECRET_KEY 或 instance/config.py 设置。"
        )
    config["SESSION_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_SECURE"] = True
