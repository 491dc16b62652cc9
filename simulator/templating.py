"""Template globals: htmx source, role navigation, labels."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context, url_for
from flask_login import current_user
from markupsafe import Markup

from .config import DEFAULT_DISPLAY_TZ
from .models import ROLE_LABELS, Role

# (endpoint, label, roles) in menu order; an entry shows only when its endpoint is registered.
NAVIGATION = [
    ("main.home", "首页", set(Role)),
    ("play.catalogue", "情景演练", {Role.TRAINEE}),
    ("quiz.index", "知识测验", {Role.TRAINEE}),
    ("certify.mine", "我的认证", {Role.TRAINEE}),
    ("play.review", "学员演练记录", {Role.TRAINER, Role.HR}),
    ("reports.dashboard", "考核报表", {Role.HR, Role.ADMIN}),
    ("quiz.analysis", "题目分析", {Role.TRAINER}),
    ("review.index", "评分复核", {Role.TRAINER, Role.ADMIN}),
    ("certify.cohort", "认证总览", {Role.TRAINER, Role.HR, Role.ADMIN}),
    ("quiz.bank", "题库管理", {Role.TRAINER, Role.ADMIN}),
    ("main.content", "内容库", {Role.TRAINER, Role.ADMIN}),
    ("author.index", "内容编写", {Role.TRAINER, Role.ADMIN}),
    ("admin.users", "用户管理", {Role.ADMIN}),
    ("admin.roster_import", "花名册导入", {Role.ADMIN}),
]


def htmx_script_tag(app: Flask) -> Markup:
    version = app.config["HTMX_VERSION"]
    if app.config.get("HTMX_SOURCE") == "cdn":
        src = f"https://cdn.jsdelivr.net/npm/htmx.org@{version}/dist/htmx.min.js"
        return Markup(f'<script src="{src}" integrity="{app.config["HTMX_CDN_SRI"]}" crossorigin="anonymous"></script>')
    src = url_for("static", filename=f"vendor/htmx-{version}.min.js")
    return Markup(f'<script src="{src}"></script>')


def to_local(value: datetime | None, tz_name: str | None = None) -> datetime | None:
    """A stored naive-UTC time in the display time zone (``DISPLAY_TZ``, Asia/Shanghai by default)."""
    if value is None:
        return None
    if tz_name is None:
        tz_name = current_app.config["DISPLAY_TZ"] if has_app_context() else DEFAULT_DISPLAY_TZ
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz_name))


def format_localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Jinja filter ``localtime``: the time in the display zone, formatted; empty for None."""
    local = to_local(value)
    return local.strftime(fmt) if local is not None else ""


def source_title(file: str | None) -> str:
    """How a cited file is shown: an uploaded document by its title (``site-<sha12>.txt`` is only the
    name content cites), a shipped manual by its file name. Uploaded titles are read once per request."""
    from flask import g

    if not file or not str(file).startswith("site-"):
        return file or ""
    titles = g.get("_source_titles")
    if titles is None:
        from .extensions import db
        from .models import SourceDocument

        titles = g._source_titles = dict(db.session.execute(db.select(SourceDocument.file, SourceDocument.title)).all())
    title = titles.get(file)
    return f"《{title}》" if title else file


def register_templating(app: Flask) -> None:
    app.add_template_filter(format_localtime, "localtime")
    app.add_template_global(source_title, "source_title")
    from .play.labels import stage_label

    app.add_template_filter(stage_label, "stage_label")

    @app.context_processor
    def _globals():
        nav = []
        if current_user.is_authenticated:
            role = Role(current_user.role)
            nav = [
                (endpoint, label)
                for endpoint, label, roles in NAVIGATION
                if role in roles and endpoint in app.view_functions
            ]
        return {
            "navigation": nav,
            "has_endpoint": lambda name: name in app.view_functions,
            "htmx_script": lambda: htmx_script_tag(app),
            "ROLE_LABELS": ROLE_LABELS,
        }
