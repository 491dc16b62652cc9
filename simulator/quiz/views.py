"""Quizzes in the browser: the trainee's list, taking an attempt (htmx), results; trainers' bank and item analysis."""

from __future__ import annotations

import io
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.utils import secure_filename

from quizzes import TYPE_LABELS, BankImportError, template_bytes
from quizzes.xlsx import MAX_LISTED_ERRORS

from ..errors import render_error
from ..models import Role
from ..security import roles_required
from . import service
from .forms import BankImportForm, GiftConfirmForm

bp = Blueprint("quiz", __name__, url_prefix="/quiz")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRAINERS = (Role.TRAINER, Role.ADMIN)


def _htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


@bp.errorhandler(service.QuizError)
def _quiz_error(error: service.QuizError):
    if error.status == 404:
        return render_error(404, error.message)
    if _htmx():
        return render_template("quiz/_message.html", message=error.message, level="error"), error.status
    flash(error.message, "error")
    return redirect(url_for("quiz.index"), code=303)


# -- trainee ----------------------------------------------------------------------------------------
@bp.route("/")
@roles_required(Role.TRAINEE)
def index():
    """The quizzes the trainee can take, with attempts used and best results, and their history."""
    return render_template(
        "quiz/index.html",
        summaries=service.quiz_summaries(current_user),
        history=service.attempt_history(current_user),
        mode_labels=service.MODE_LABELS,
    )


@bp.route("/<quiz_key>/start", methods=["POST"])
@roles_required(Role.TRAINEE)
def start(quiz_key: str):
    """Start (or resume) an attempt and go to its first question."""
    attempt = service.start_attempt(current_user, quiz_key)
    return redirect(url_for("quiz.take", attempt_id=attempt.id), code=303)


@bp.route("/attempt/<int:attempt_id>", defaults={"position": None})
@bp.route("/attempt/<int:attempt_id>/q/<int:position>")
@roles_required(Role.TRAINEE)
def take(attempt_id: int, position: int | None):
    """One question of an open attempt (the whole page, or the question panel for htmx)."""
    attempt = service.get_own_attempt(current_user, attempt_id)
    if attempt.submitted_at is None and service.is_expired(attempt):
        service.submit_attempt(attempt, auto=True)
        flash("作答时间已到,系统已自动交卷。", "info")
    if attempt.submitted_at is not None:
        if _htmx():
            return _htmx_redirect(url_for("quiz.result", attempt_id=attempt.id))
        return redirect(url_for("quiz.result", attempt_id=attempt.id), code=303)
    context = _take_context(attempt, position)
    if _htmx():
        return render_template("quiz/_panel_swap.html", **context)
    return render_template("quiz/take.html", **context)


@bp.route("/attempt/<int:attempt_id>/q/<int:position>", methods=["POST"])
@roles_required(Role.TRAINEE)
def answer(attempt_id: int, position: int):
    """Save the answer to one question as it is given (htmx on change; a plain post goes to the next question)."""
    attempt = service.get_own_attempt(current_user, attempt_id)
    drawn = service.drawn_questions(attempt)
    if not 1 <= position <= len(drawn):
        return render_error(404, "题目不存在。")
    response = service.parse_response(drawn[position - 1], request.form, request.form.getlist)
    try:
        saved = service.save_answer(attempt, position - 1, response)
    except service.TimeUp as error:
        flash(error.message, "error")
        target = url_for("quiz.result", attempt_id=attempt.id)
        if _htmx():
            return _htmx_redirect(target, render_template("quiz/_message.html", message=error.message), 409)
        return redirect(target, code=303)
    if not _htmx():
        following = min(position + 1, len(drawn)) if request.args.get("next") else position
        return redirect(url_for("quiz.take", attempt_id=attempt.id, position=following), code=303)
    context = _take_context(attempt, position)
    return render_template("quiz/_saved.html", saved=saved, **context)


@bp.route("/attempt/<int:attempt_id>/submit", methods=["POST"])
@roles_required(Role.TRAINEE)
def submit(attempt_id: int):
    """Hand the attempt in: grade it and show the results."""
    attempt = service.get_own_attempt(current_user, attempt_id)
    late = attempt.submitted_at is None and service.is_expired(attempt)
    service.submit_attempt(attempt, auto=late)
    if late:
        flash("作答时间已到,系统已按截止时间自动交卷。", "info")
    return redirect(url_for("quiz.result", attempt_id=attempt.id), code=303)


@bp.route("/attempt/<int:attempt_id>/result")
@roles_required(Role.TRAINEE)
def result(attempt_id: int):
    """Score, pass/fail, and per question the answer given, the key, the explanation and the source."""
    attempt = service.get_own_attempt(current_user, attempt_id)
    if attempt.submitted_at is None:
        if not service.is_expired(attempt):
            flash("本次测验尚未交卷。", "info")
            return redirect(url_for("quiz.take", attempt_id=attempt.id), code=303)
        service.submit_attempt(attempt, auto=True)
    items = service.review(attempt)
    return render_template(
        "quiz/result.html",
        attempt=attempt,
        quiz=service.quiz_definition(attempt),
        items=items,
        correct=sum(1 for item in items if item.status == "correct"),
        mode_labels=service.MODE_LABELS,
    )


def _take_context(attempt, position: int | None) -> dict:
    drawn = service.drawn_questions(attempt)
    saved = service.answers_by_position(attempt)
    answered = [service.is_answered(saved[i].response) if i in saved else False for i in range(len(drawn))]
    if position is None:
        position = next((i + 1 for i, done in enumerate(answered) if not done), 1)
    position = min(max(position, 1), len(drawn))
    return {
        "attempt": attempt,
        "quiz": service.quiz_definition(attempt),
        "drawn": drawn,
        "position": position,
        "item": drawn[position - 1],
        "current": saved.get(position - 1),
        "answered": answered,
        "seconds_left": service.seconds_left(attempt),
        "mode_labels": service.MODE_LABELS,
    }


def _htmx_redirect(target: str, body: str = "", status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["HX-Redirect"] = target
    return response


# -- trainers: the bank -----------------------------------------------------------------------------
@bp.route("/bank")
@roles_required(*TRAINERS)
def bank():
    """The current question bank by topic and type, downloads and the import form."""
    return _bank_page(BankImportForm(), [], 200)


@bp.route("/bank/template.xlsx")
@roles_required(*TRAINERS)
def bank_template():
    """The XLSX template (Chinese header row, one example row, filling notes)."""
    return _download(template_bytes(), "题库模板.xlsx", XLSX_MIME)


@bp.route("/bank/export.xlsx")
@roles_required(*TRAINERS)
def bank_export_xlsx():
    """The whole current bank as XLSX."""
    return _download(service.bank_xlsx(), "题库导出.xlsx", XLSX_MIME)


@bp.route("/bank/export.gift")
@roles_required(*TRAINERS)
def bank_export_gift():
    """The current bank as Moodle GIFT (ordering and short answers have no GIFT form and are listed at the top)."""
    return _download(service.bank_gift().encode("utf-8"), "题库导出.gift.txt", "text/plain; charset=utf-8")


@bp.route("/bank/import", methods=["POST"])
@roles_required(*TRAINERS)
def bank_import():
    """Import an XLSX bank (all or nothing) or preview a GIFT file before confirming."""
    form = BankImportForm()
    errors: list[str] = []
    total = 0
    if form.validate_on_submit():
        upload = form.file.data
        filename = (upload.filename or "")[:200]
        data = upload.read()
        try:
            if Path(filename).suffix.lower() == ".xlsx":
                outcome = service.import_xlsx_upload(data, secure_filename(filename) or "题库.xlsx")
                _flash_import(outcome)
                return redirect(url_for("quiz.bank"), code=303)
            text = service.decode_text(data)
            preview = service.preview_gift(text)
        except BankImportError as error:
            errors, total = [str(e) for e in error.errors], error.total
        else:
            token = service.stash_gift(text, filename, current_user.id)
            confirm = GiftConfirmForm(formdata=None, token=token)
            return render_template(
                "quiz/gift_preview.html",
                preview=preview,
                problems=preview.problems[:MAX_LISTED_ERRORS],
                form=confirm,
                filename=filename,
            )
    return _bank_page(form, errors, 422, total)


@bp.route("/bank/import/gift", methods=["POST"])
@roles_required(*TRAINERS)
def bank_import_gift():
    """Import the supported questions of a previewed GIFT file (kept on the server), once the trainer confirms."""
    form = GiftConfirmForm()
    errors: list[str] = []
    total = 0
    if form.validate_on_submit():
        try:
            text, filename, stashed = service.take_gift(form.token.data, current_user.id)
            outcome = service.import_gift_text(text, filename)
        except BankImportError as error:
            errors, total = [str(e) for e in error.errors], error.total
        else:
            stashed.unlink(missing_ok=True)
            _flash_import(outcome)
            return redirect(url_for("quiz.bank"), code=303)
    else:
        errors = [message for messages in form.errors.values() for message in messages]
    return _bank_page(BankImportForm(), errors, 422, total)


@bp.route("/bank/<key>/take-shipped", methods=["POST"])
@roles_required(*TRAINERS)
def bank_take_shipped(key: str):
    """Replace this site's edit of a shipped question by the version the system ships now."""
    service.take_shipped_question(key)
    flash(f"题目 {key} 已改用系统题库的版本。", "success")
    return redirect(url_for("quiz.bank", _anchor="local-edits"), code=303)


def _bank_page(form: BankImportForm, errors: list[str], status: int, error_total: int = 0):
    page = render_template(
        "quiz/bank.html",
        type_labels=TYPE_LABELS,
        overview=service.bank_overview(),
        local_edits=service.local_question_edits(),
        form=form,
        errors=errors,
        error_total=error_total,
    )
    return page, status


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=mimetype)


def _flash_import(outcome: service.ImportOutcome) -> None:
    report = outcome.report
    message = (
        f"导入成功:共 {outcome.count} 题,新增 {len(report.added)},更新 {len(report.changed)},未变 {report.unchanged}。"
    )
    if outcome.skipped:
        message += f"另有 {len(outcome.skipped)} 题因题型不支持未导入。"
    flash(message, "success")


# -- trainers: item analysis ------------------------------------------------------------------------
@bp.route("/analysis")
@roles_required(*TRAINERS)
def analysis():
    """Facility and discrimination per question over the submitted attempts of the trainer's site."""
    site_id = None if current_user.role == Role.ADMIN.value else current_user.site_id
    data = service.item_analysis(site_id, request.args.get("quiz", ""))
    return render_template("quiz/analysis.html", analysis=data, all_sites=site_id is None)
