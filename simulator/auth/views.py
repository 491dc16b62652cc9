"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, limiter, login_manager
from ..models import User, find_user, utcnow
from ..security import any_role, public
from .forms import LoginForm, PasswordForm

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Compared against when the account does not exist, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
BAD_CREDENTIALS = "工号或密码不正确,或账号已停用。"


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def account_key() -> str:
    """The account a login names, however it is typed (the limit must not be dodged by case)."""
    return "login-account:" + (request.form.get("username") or "").strip().lower()


def _failed(response) -> bool:
    """Only failed logins count (401): correct logins by many people behind one address never lock."""
    return response.status_code == 401


# Both limits are checked before the password, and charged only after a failure. An exhausted
# account limit refuses that account from every address, so it is generous; the address limit
# stops one client guessing across many accounts.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, methods=["POST"], key_func=account_key, deduct_when=_failed)
@public
def login():
    """Sign in with 工号 and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = find_user(username)
        password_ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is not None and password_ok and user.active:
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")), code=303)
        flash(BAD_CREDENTIALS, "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@any_role
def logout():
    """Sign out, everywhere: the session lives in a signed cookie, so ending it means a new version."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("您已安全退出(本账号在所有设备上的登录均已结束)。", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@any_role
def change_password():
    """Change one's own password (after an admin's reset, for instance)."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确。")
        elif form.new.data == form.current.data:
            form.new.errors.append("新密码不能与当前密码相同。")
        else:
            current_user.set_password(form.new.data)  # ends every other session of this user
            db.session.commit()
            # keep this session signed in under the new version; renew remember-me if it was in use
            login_user(current_user._get_current_object(), remember=bool(request.cookies.get(_remember_cookie())))
            flash("密码已修改。其他设备上的登录已结束,需要用新密码重新登录。", "success")
            return redirect(url_for("main.home"), code=303)
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


def _remember_cookie() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.home")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session, if the session is still valid: its version is the user's current one.

    A password reset or change, or a logout, bumps the version, which ends every earlier session and
    remember-me cookie (a copied cookie included); ids from before versions existed are refused too.
    """
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user
