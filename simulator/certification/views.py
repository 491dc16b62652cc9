"""Certification pages: 我的认证 (trainee), the cohort matrix (trainer / HR / admin), certificates as
PDF, and the public verification page with its Open Badges 2.0 JSON."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..models import Role, User, utcnow
from ..security import any_role, public, roles_required
from . import pdf, service
from .chart import radar
from .evaluate import STATUS_LABELS, recommend, skill_profile, weakest
from .models import Certificate  # importing the module registers the tables

bp = Blueprint("certify", __name__)

STAFF = (Role.TRAINER, Role.HR, Role.ADMIN)
DECIDERS = (Role.TRAINER, Role.ADMIN)
NOTICE_TEXT = {
    "earned": "恭喜!您已取得「{level}」证书,有效期至 {expires}。",
    "renewed": "「{level}」复认证完成,新证书有效期至 {expires}。",
    "renewal_open": "「{level}」证书的复认证窗口已开放,请在 {expires} 前完成复认证要求。",
    "expiring": "「{level}」证书将于 {expires} 到期,还剩 {days} 天。",
    "expired": "「{level}」证书已于 {expires} 过期,请重新完成认证要求。",
    "revoked": "「{level}」证书已被撤销。",
}
PUBLIC_STATUS = {"valid": "有效", "expired": "已过期", "revoked": "已撤销"}


class ReasonForm(FlaskForm):
    reason = TextAreaField("原因", validators=[DataRequired("请填写原因。"), Length(max=service.REASON_MAX)])


class ActionForm(FlaskForm):
    """An empty form: its CSRF token protects one-button actions."""


# --------------------------------------------------------------------------------------------
# Time zone and template helpers
# --------------------------------------------------------------------------------------------


def display_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("DISPLAY_TZ") or "Asia/Shanghai")


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC time in the site's time zone (``DISPLAY_TZ``)."""
    if moment is None:
        return "—"
    return moment.replace(tzinfo=UTC).astimezone(display_tz()).strftime(fmt)


@bp.app_template_filter("local_time")
def _local_time_filter(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local_time(moment, fmt)


@bp.app_template_filter("local_date")
def _local_date_filter(moment: datetime | None) -> str:
    return local_time(moment, "%Y-%m-%d")


@bp.app_context_processor
def _certification_globals():
    return {"certification_notices": _home_notices, "CERT_STATUS_LABELS": STATUS_LABELS}


def _home_notices() -> list[dict]:
    """The signed-in trainee's open certification notices (the home page shows them)."""
    if not current_user.is_authenticated or current_user.role != Role.TRAINEE.value:
        return []
    now = utcnow()
    service.refresh([current_user.id], now)
    notices = []
    for notice in service.open_notices(current_user):
        cert = notice.certificate
        kind = "renewed" if notice.kind == "earned" and cert.renewal_of_id else notice.kind
        days = max(0, (cert.expires_at - now).days) if cert.expires_at else 0
        text = NOTICE_TEXT[kind].format(level=cert.level_name, expires=local_time(cert.expires_at, "%Y-%m-%d"),
                                        days=days)
        notices.append({"id": notice.id, "kind": notice.kind, "text": text})
    return notices


# --------------------------------------------------------------------------------------------
# Trainee: 我的认证
# --------------------------------------------------------------------------------------------


@bp.route("/certification/")
@roles_required(Role.TRAINEE)
def mine():
    """The trainee's progress per level, skill profile, recommendation and certificates."""
    now = utcnow()
    service.refresh([current_user.id], now)
    standing = service.standings([current_user.id], now)[current_user.id]
    programmes = [p for p, _ in standing.programmes]
    months = max((p.profile_months for p in programmes), default=6)
    min_score = max((p.recommend_min_score for p in programmes), default=60)
    profile = skill_profile(standing.evidence.skills, now, months)
    cat = service.catalogue()
    certificates = db.session.execute(
        db.select(Certificate).where(Certificate.user_id == current_user.id, Certificate.issued_at.is_not(None))
        .order_by(Certificate.issued_at.desc())
    ).scalars().all()
    return render_template(
        "certification/mine.html", standing=standing, now=now, profile=profile, chart=radar(profile),
        weakest=weakest(profile), months=months,
        recommendation=recommend(profile, standing.evidence.attempts, cat, min_score),
        certificates=certificates, form=ActionForm(), staff=False,
    )


@bp.route("/certification/notices/<int:notice_id>/dismiss", methods=["POST"])
@roles_required(Role.TRAINEE)
def dismiss(notice_id: int):
    """Hide one home-page notice."""
    if not service.dismiss_notice(current_user, notice_id):
        abort(404)
    return redirect(url_for("main.home"), code=303)


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------


def _readable_certificate(cert_id: int) -> Certificate:
    """The holder's own certificate, or one of a trainee of a staff user's site(s); else 404."""
    cert = db.session.get(Certificate, cert_id)
    if cert is None or cert.issued_at is None:
        abort(404)
    if current_user.role == Role.TRAINEE.value:
        if cert.user_id != current_user.id:
            abort(404)
        return cert
    if service.managed_certificate(current_user, cert_id) is None:
        abort(404)
    return cert


def verify_url(cert: Certificate) -> str:
    return url_for("certify.verify", code=cert.code, _external=True)


@bp.route("/certification/certificates/<int:cert_id>.pdf")
@any_role
def certificate_pdf(cert_id: int):
    """The certificate as a PDF with the Chinese font embedded and a QR code of the verify page."""
    cert = _readable_certificate(cert_id)
    try:
        font = pdf.find_font(current_app.config.get("CERT_FONT_PATH"))
    except pdf.FontMissing as error:
        current_app.logger.error("certificate font missing: %s", error)
        return render_template("errors/error.html", status=503, title="证书暂时无法生成", message=str(error)), 503
    programme = service.programme_versions().get(cert.programme_version)
    text = pdf.CertificateText(
        programme_title=programme.title if programme else "岗位认证",
        issuer=programme.issuer if programme else "管家实训",
        level_name=cert.level_name, holder_name=cert.holder_name, holder_username=cert.holder_username,
        site_name=cert.site_name, issued_on=local_time(cert.issued_at, "%Y年%m月%d日"),
        expires_on=local_time(cert.expires_at, "%Y年%m月%d日"), code=cert.code, verify_url=verify_url(cert),
        renewal=cert.renewal_of_id is not None,
    )
    body = pdf.render(text, font, created=cert.issued_at.replace(tzinfo=UTC))
    response = current_app.response_class(body, mimetype="application/pdf")
    filename = f"certificate-{cert.level_key}-{cert.holder_username}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/verify/<code>")
@public
def verify(code: str):
    """Public verification: valid / expired / revoked, the level, the dates and the masked name only."""
    cert = service.by_code(code)
    if cert is None:
        return render_template("certification/verify.html", cert=None), 404
    status = cert.public_status(utcnow())
    programme = service.programme_versions().get(cert.programme_version)
    response = current_app.make_response(render_template(
        "certification/verify.html", cert=cert, status=status, status_label=PUBLIC_STATUS[status],
        masked=service.mask_name(cert.holder_name), programme_title=programme.title if programme else "",
    ))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# Open Badges 2.0 hosted verification: the assertion, its BadgeClass and the Issuer profile.
OB_CONTEXT = "https://w3id.org/openbadges/v2"


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


@bp.route("/badges/assertions/<code>.json")
@public
def badge_assertion(code: str):
    """The certificate as an Open Badges 2.0 hosted Assertion (410 Gone once revoked)."""
    cert = service.by_code(code)
    if cert is None:
        abort(404)
    assertion_id = url_for("certify.badge_assertion", code=cert.code, _external=True)
    if cert.revoked_at is not None:
        return jsonify({"@context": OB_CONTEXT, "id": assertion_id, "type": "Assertion", "revoked": True}), 410
    salt = hashlib.sha256(f"salt:{cert.code}".encode()).hexdigest()[:16]
    identity = "sha256$" + hashlib.sha256((verify_url(cert) + salt).encode()).hexdigest()
    body = {
        "@context": OB_CONTEXT,
        "type": "Assertion",
        "id": assertion_id,
        "recipient": {"type": "url", "hashed": True, "salt": salt, "identity": identity},
        "badge": url_for("certify.badge_class", programme_id=cert.programme_key, level_id=cert.level_key,
                         _external=True),
        "verification": {"type": "hosted"},
        "issuedOn": _iso(cert.issued_at),
        "expires": _iso(cert.expires_at),
        "evidence": verify_url(cert),
    }
    return _json(body)


def _json(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/ld+json"
    response.headers["Access-Control-Allow-Origin"] = "*"  # badge backpacks fetch these cross-origin
    return response


def _programme_level(programme_id: str, level_id: str):
    for programme, _ in service.current_programmes():
        if programme.id == programme_id and programme.level(level_id) is not None:
            return programme, programme.level(level_id)
    for programme in service.programme_versions().values():
        if programme.id == programme_id and programme.level(level_id) is not None:
            return programme, programme.level(level_id)
    abort(404)


@bp.route("/badges/<programme_id>/<level_id>.json")
@public
def badge_class(programme_id: str, level_id: str):
    """The Open Badges 2.0 BadgeClass of one level."""
    programme, level = _programme_level(programme_id, level_id)
    return _json({
        "@context": OB_CONTEXT,
        "type": "BadgeClass",
        "id": url_for("certify.badge_class", programme_id=programme.id, level_id=level.id, _external=True),
        "name": f"{programme.title} · {level.name}",
        "description": level.description or level.name,
        "image": url_for("certify.badge_image", programme_id=programme.id, level_id=level.id, _external=True),
        "criteria": {"narrative": ";".join(r.id for r in level.requirements)},
        "issuer": url_for("certify.badge_issuer", programme_id=programme.id, _external=True),
    })


@bp.route("/badges/<programme_id>/issuer.json")
@public
def badge_issuer(programme_id: str):
    """The Open Badges 2.0 Issuer profile of a programme."""
    programme = next((p for p, _ in service.current_programmes() if p.id == programme_id), None)
    if programme is None:
        abort(404)
    return _json({
        "@context": OB_CONTEXT,
        "type": "Issuer",
        "id": url_for("certify.badge_issuer", programme_id=programme.id, _external=True),
        "name": programme.issuer,
        "url": url_for("auth.login", _external=True),
    })


@bp.route("/badges/<programme_id>/<level_id>.svg")
@public
def badge_image(programme_id: str, level_id: str):
    """A plain badge image for the BadgeClass."""
    programme, level = _programme_level(programme_id, level_id)
    svg = render_template("certification/badge.svg", programme=programme, level=level)
    return current_app.response_class(svg, mimetype="image/svg+xml")


# --------------------------------------------------------------------------------------------
# Trainer / HR / admin: the cohort matrix and one trainee's breakdown
# --------------------------------------------------------------------------------------------


@bp.route("/certification/cohort")
@roles_required(*STAFF)
def cohort():
    """Trainee × level matrix of the user's site(s), filterable by 即将到期 / 已过期 / 未达标."""
    status_filter = request.args.get("filter") or None
    if status_filter not in (None, *service.STATUS_FILTERS):
        abort(404)
    now = utcnow()
    sites = service.staff_site_ids(current_user)
    trainees = _site_trainee_ids(sites)
    service.refresh(trainees, now)
    rows = service.cohort_rows(sites, now, status_filter)
    levels = [(p.id, level.id, level.name) for p, _ in service.current_programmes() for level in p.levels]
    matrix: dict[int, dict] = {}
    people = []
    for row in rows:
        if row.user_id not in matrix:
            matrix[row.user_id] = {}
            people.append(row)
        matrix[row.user_id][(row.programme_id, row.level_id)] = row
    return render_template(
        "certification/cohort.html", levels=levels, people=people, matrix=matrix, filters=service.STATUS_FILTERS,
        status_filter=status_filter, now=now, row_count=len(rows),
    )


def _site_trainee_ids(sites: list[int] | None) -> list[int]:
    query = db.select(User.id).where(User.role == Role.TRAINEE.value, User.active.is_(True))
    if sites is not None:
        query = query.where(User.site_id.in_(sites))
    return list(db.session.execute(query).scalars())


def _managed_trainee(user_id: int) -> User:
    trainee = db.session.get(User, user_id)
    sites = service.staff_site_ids(current_user)
    if trainee is None or trainee.role != Role.TRAINEE.value or (sites is not None and trainee.site_id not in sites):
        abort(404)
    return trainee


@bp.route("/certification/cohort/<int:user_id>/<programme_id>/<level_id>")
@roles_required(*STAFF)
def breakdown(user_id: int, programme_id: str, level_id: str):
    """Why a trainee is (not) certified at one level: every requirement with evidence, the audit log."""
    trainee = _managed_trainee(user_id)
    now = utcnow()
    standing = service.standings([trainee.id], now)[trainee.id]
    result = standing.level(programme_id, level_id)
    if result is None:
        abort(404)
    certs = db.session.execute(
        db.select(Certificate).where(
            Certificate.user_id == trainee.id, Certificate.programme_key == programme_id,
            Certificate.level_key == level_id,
        ).order_by(Certificate.requested_at.desc(), Certificate.id.desc())
    ).scalars().all()
    return render_template(
        "certification/breakdown.html", trainee=trainee, result=result, certs=certs, now=now,
        events=service.events_for(c.id for c in certs), reason_form=ReasonForm(), form=ActionForm(),
        can_decide=current_user.role in (Role.TRAINER.value, Role.ADMIN.value), staff=True,
    )


def _back_to(cert: Certificate):
    return redirect(url_for("certify.breakdown", user_id=cert.user_id, programme_id=cert.programme_key,
                            level_id=cert.level_key), code=303)


def _decided_certificate(cert_id: int) -> Certificate:
    cert = service.managed_certificate(current_user, cert_id)
    if cert is None:
        abort(404)
    return cert


@bp.route("/certification/certificates/<int:cert_id>/revoke", methods=["POST"])
@roles_required(*DECIDERS)
def revoke(cert_id: int):
    """Revoke a certificate with a reason (trainer or admin)."""
    cert = _decided_certificate(cert_id)
    form = ReasonForm()
    if not form.validate():
        flash("撤销证书须填写原因(不超过 500 字)。", "error")
        return _back_to(cert)
    try:
        service.revoke(cert, current_user, form.reason.data)
    except service.CertificationError as error:
        flash(str(error), "error")
        return _back_to(cert)
    flash(f"已撤销 {cert.holder_name} 的「{cert.level_name}」证书。", "success")
    return _back_to(cert)


@bp.route("/certification/certificates/<int:cert_id>/approve", methods=["POST"])
@roles_required(*DECIDERS)
def approve(cert_id: int):
    """Approve a pending certificate (trainer or admin)."""
    cert = _decided_certificate(cert_id)
    form = ActionForm()
    if not form.validate():
        abort(400)
    try:
        service.approve(cert, current_user)
    except service.CertificationError as error:
        flash(str(error), "error")
        return _back_to(cert)
    flash(f"已批准并颁发 {cert.holder_name} 的「{cert.level_name}」证书。", "success")
    return _back_to(cert)


@bp.route("/certification/certificates/<int:cert_id>/reject", methods=["POST"])
@roles_required(*DECIDERS)
def reject(cert_id: int):
    """Turn down a pending certificate with a reason (trainer or admin)."""
    cert = _decided_certificate(cert_id)
    form = ReasonForm()
    if not form.validate():
        flash("不予批准须填写原因(不超过 500 字)。", "error")
        return _back_to(cert)
    try:
        service.reject(cert, current_user, form.reason.data)
    except service.CertificationError as error:
        flash(str(error), "error")
        return _back_to(cert)
    flash("已记录:不予批准。", "success")
    return _back_to(cert)


# --------------------------------------------------------------------------------------------
# CLI: flask certify run | lint
# --------------------------------------------------------------------------------------------


@bp.cli.command("run")
def run_command() -> None:
    """Issue and renew what is due, record lapses and store notices (safe to run daily and twice)."""
    import click

    click.echo(service.refresh_all().summary())


@bp.cli.command("lint")
def lint_command() -> None:
    """Check the shipped programmes: the format, and that every scenario and quiz they name exists."""
    import click

    from .programme import ProgrammeError, lint_shipped

    try:
        problems = lint_shipped()
    except ProgrammeError as error:
        problems = str(error).splitlines()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("认证方案检查通过。")
