"""Error pages in Chinese (full page, or a fragment for htmx requests)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

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
