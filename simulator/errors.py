"""Error pages in Chinese (full page, or a fragment for htmx requests)."""

from __future__ import annotations

import math
import time

from flask import Flask, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db, limiter

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理,请返回上一页重试。"),
    403: ("无权访问", "您的账号角色无权访问此页面。如需权限,请联系管理员。"),
    404: ("页面不存在", "您访问的页面不存在或已被删除。"),
    405: ("请求方式不被允许", "该页面不支持这种操作方式。"),
    413: ("文件过大", "上传的文件超过 8 MB 上限,请拆分后再上传。"),
    429: ("操作过于频繁", "尝试次数过多,请稍后再试。"),
    500: ("服务器出错了", "系统遇到意外错误,您的数据没有丢失。请稍后重试,若仍有问题请联系管理员。"),
}


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, status=status, title=title, message=detail or message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(400, "页面已过期或安全校验失败(CSRF),请刷新页面后重新提交。")

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded):
        return render_error(429, _rate_limit_message(error))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unhandled error")
        # A failed flush leaves the session unusable until rolled back; the error page reads the
        # signed-in user for its header, so without this it fails too and Werkzeug's bare English
        # 500 is all the user sees (issue 14.3).
        db.session.rollback()
        return render_error(500)


def _rate_limit_message(error: RateLimitExceeded) -> str:
    """Say which limit was reached and how long to wait, in minutes."""
    current = limiter.current_limit
    wait_s = max(0.0, current.reset_at - time.time()) if current else 60.0
    minutes = max(1, math.ceil(wait_s / 60))
    if request.endpoint != "auth.login":
        return f"尝试次数过多,请 {minutes} 分钟后再试。"
    from .auth.views import account_key

    if getattr(error.limit, "key_func", None) is account_key:
        who = "此工号的登录失败次数过多,为保护账号已暂时锁定"
    else:
        who = "从您所在网络发出的登录失败次数过多"
    return f"{who},请 {minutes} 分钟后再试。如忘记密码,请联系管理员重置。"
