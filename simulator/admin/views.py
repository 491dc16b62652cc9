"""Administration: users, password resets and roster import."""

from __future__ import annotations

import io

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from openpyxl import Workbook

from ..extensions import db
from ..models import Role, Site, User, find_user
from ..security import roles_required
from .forms import ActionForm, RosterForm, UserForm
from .notices import create_notice, take_notice
from .roster import RosterError, apply_roster, generate_initial_password, parse_roster

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    """List users, filterable by site and role."""
    site_id = request.args.get("site", type=int)
    role = request.args.get("role", "")
    query = db.select(User).join(User.site).order_by(Site.name, User.username)
    if site_id:
        query = query.where(User.site_id == site_id)
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    return render_template(
        "admin/users.html",
        users=db.session.execute(query).scalars().all(),
        sites=db.session.execute(db.select(Site).order_by(Site.name)).scalars().all(),
        selected_site=site_id,
        selected_role=role,
        action_form=ActionForm(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create_user():
    """Create one user."""
    form = UserForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        if existing := find_user(username):
            form.username.errors.append(f"工号 {existing.username} 已存在(工号不区分大小写)。")
        else:
            site = _get_or_create_site(form.site.data.strip())
            password = form.password.data or generate_initial_password()
            user = User(username=username, display_name=form.display_name.data.strip(), role=form.role.data, site=site)
            user.set_password(password)
            db.session.add(user)
            if form.password.data:  # the admin typed it: nothing to show
                db.session.commit()
                flash(f"已创建用户 {username}。", "success")
                return redirect(url_for("admin.users"), code=303)
            token = create_notice(current_user.id, "initial", username, user.display_name, password)
            db.session.commit()
            return redirect(url_for("admin.password_notice", token=token), code=303)
    return render_template("admin/user_form.html", form=form), 422 if form.errors else 200


@bp.route("/users/<int:user_id>/toggle", methods=["POST"])
@roles_required(Role.ADMIN)
def toggle_user(user_id: int):
    """Disable or re-enable a user."""
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        if user.id == current_user.id:
            flash("不能停用自己的账号。", "error")
        else:
            user.active = not user.active
            db.session.commit()
            flash(f"已{'启用' if user.active else '停用'}用户 {user.username}。", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    """Give a user a new one-time password."""
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        password = generate_initial_password()
        user.set_password(password)
        token = create_notice(current_user.id, "reset", user.username, user.display_name, password)
        db.session.commit()
        return redirect(url_for("admin.password_notice", token=token), code=303)
    return redirect(url_for("admin.users"), code=303)


@bp.route("/passwords/<token>")
@roles_required(Role.ADMIN)
def password_notice(token: str):
    """Show a new one-time password once (then it is gone from the server), never cached."""
    notice = take_notice(token, current_user.id)
    response = make_response(render_template("admin/password_notice.html", notice=notice), 200 if notice else 410)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/roster", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def roster_import():
    """Bulk import of the HR roster (CSV or XLSX), all or nothing."""
    form = RosterForm()
    errors: list[str] = []
    error_total = 0
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = parse_roster(upload.filename or "", upload.read(), max_rows=current_app.config["ROSTER_MAX_ROWS"])
            result = apply_roster(rows, acting=current_user)
        except RosterError as exc:
            errors, error_total = exc.errors, exc.total
    status = 422 if errors or form.errors else 200
    page = render_template("admin/roster.html", form=form, errors=errors, error_total=error_total, result=result)
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"  # the initial passwords are in this page
    return response


@bp.route("/roster/template.xlsx")
@roles_required(Role.ADMIN)
def roster_template():
    """Download an empty roster with the expected header row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(["工号", "姓名", "项目/管理处", "角色"])
    sheet.append(["GJ1001", "张三", "翠湖花园管理处", "学员"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        as_attachment=True,
        download_name="花名册模板.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _get_or_create_site(name: str) -> Site:
    site = db.session.execute(db.select(Site).filter_by(name=name)).scalar_one_or_none()
    if site is None:
        site = Site(name=name)
        db.session.add(site)
    return site
