"""Authoring of questions (题目编写) and quiz definitions (测验编写), on the ``author`` blueprint."""

from __future__ import annotations

import time

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from quizzes.types import question_from_dict
from scenarios.authoring import dump_yaml

from ..content import current_version
from ..security import roles_required
from . import questions as qa
from . import service, sources
from .views import AUTHORS, bp


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _refused(status: int) -> int:
    """htmx swaps only 2xx answers: a refused save re-renders the form with 200 for htmx, else ``status``."""
    return 200 if _is_htmx() else status


def _done(url: str):
    """After a save: htmx is told to load the page (``HX-Redirect``); a plain form gets a 303."""
    if _is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def _question_page(form: qa.QuestionForm, status: int = 200, *, error: str = "", preview=None, data=None):
    return render_template(
        "author/question.html",
        f=form,
        c=qa.choices(),
        sections=service.known_sections(),
        error=error,
        preview=preview,
        history=qa.versions("question", form.key) if form.key else [],
        yaml_text=dump_yaml(data) if data else "",
    ), status


@bp.route("/questions/")
@roles_required(*AUTHORS)
def questions():
    """The bank by topic, with 编辑 / 停用 / 预览, and 新建 of every type."""
    return render_template(
        "author/questions.html", by_topic=qa.questions_by_topic(), c=qa.choices(), retired=service.withdrawn("question")
    )


@bp.route("/questions/new")
@roles_required(*AUTHORS)
def new_question():
    """A blank question of the chosen type."""
    qtype = request.args.get("type", "single")
    if qtype not in qa.question_forms():
        abort(404)
    return _question_page(qa.question_form({"type": qtype, "difficulty": 1, "topic": request.args.get("topic", "")}))


@bp.route("/questions/<key>")
@roles_required(*AUTHORS)
def edit_question(key: str):
    """The editor of a current question, with its preview."""
    row = current_version("question", key)
    if row is None:
        abort(404)
    return _question_page(
        qa.question_form(row.data, key=key, base_version=row.version),
        preview=question_from_dict(row.data, require_source=False),
        data=row.data,
    )


@bp.route("/questions/save", methods=["POST"])
@roles_required(*AUTHORS)
def save_question():
    """Save a question (new, or a new version of one); every problem is shown beside its field."""
    key = request.form.get("key") or None
    base_version = request.form.get("base_version", "")
    try:
        if request.form.get("mode") == "yaml":
            data = qa.question_from_yaml(request.form.get("yaml", ""))
        else:
            data = qa.question_from_form(request.form)
    except qa.QuestionFormError as exc:
        form = qa.question_form({"type": request.form.get("type", "single")}, key=key, base_version=base_version)
        form.values.update({k: v for k, v in request.form.items() if k in form.values})
        return _question_page(form, _refused(422), error=str(exc) + " 没有保存任何修改。")
    form = qa.question_form(data, key=key, base_version=base_version)
    form.problems = qa.check(data, key)
    if form.errors:
        return _question_page(form, _refused(422), error=f"有 {len(form.errors)} 个问题,没有保存。", data=data)
    if request.form.get("action") == "preview":
        return _question_page(form, preview=question_from_dict(data), data=data)
    try:
        row = qa.save_question(data, key, base_version, current_user)
    except qa.StaleError as exc:
        return _question_page(form, _refused(409), error=str(exc), data=data)
    if row is None:
        flash("没有修改,未产生新版本。", "info")
    else:
        flash(f"已保存题目 {row.key} 的新版本 {row.version};已经作答过的测验仍显示当时的版本。", "info")
    return _done(url_for("author.edit_question", key=data["id"]))


@bp.route("/questions/<key>/retire", methods=["POST"])
@roles_required(*AUTHORS)
def retire_question(key: str):
    """停用: the question is no longer drawn; answers already given keep it."""
    try:
        service.unpublish(key, current_user, kind="question")
    except service.AuthorError as exc:
        flash(str(exc), "error")
    else:
        flash(f"题目 {key} 已停用,今后不再抽到;已有的作答记录保留。", "info")
    return redirect(url_for("author.questions"), code=303)


@bp.route("/questions/<key>/restore", methods=["POST"])
@roles_required(*AUTHORS)
def restore_question(key: str):
    """Undo 停用."""
    try:
        service.republish(key, current_user, kind="question")
    except service.AuthorError as exc:
        flash(str(exc), "error")
    else:
        flash(f"题目 {key} 已恢复。", "info")
    return redirect(url_for("author.questions"), code=303)


# -- quiz definitions --------------------------------------------------------------------------------


def _quiz_page(form: qa.QuizForm, status: int = 200, *, error: str = ""):
    from ..certification.service import dependants

    return render_template(
        "author/quiz.html",
        f=form,
        c=qa.choices(),
        sections=service.known_sections(),
        error=error,
        history=qa.versions("quiz", form.key) if form.key else [],
        certified=dependants("quiz", form.key) if form.key else [],
    ), status


@bp.route("/quizzes/")
@roles_required(*AUTHORS)
def quizzes():
    """Quiz definitions, with 新建 and 编辑."""
    from ..content import current_content

    return render_template("author/quizzes.html", rows=current_content("quiz"), modes=qa.MODE_LABELS)


@bp.route("/quizzes/new")
@roles_required(*AUTHORS)
def new_quiz():
    """A blank quiz definition."""
    return _quiz_page(
        qa.quiz_form(
            {
                "mode": "practice",
                "time_limit_s": 600,
                "pass_mark": 60,
                "max_attempts": 0,
                "draw": [{"topic": "", "count": 5}],
            }
        )
    )


@bp.route("/quizzes/<key>")
@roles_required(*AUTHORS)
def edit_quiz(key: str):
    """The editor of a current quiz definition."""
    row = current_version("quiz", key)
    if row is None:
        abort(404)
    return _quiz_page(qa.quiz_form(row.data, key=key, base_version=row.version))


@bp.route("/quizzes/rule")
@roles_required(*AUTHORS)
def quiz_rule():
    """A blank draw rule (htmx 添加抽题规则)."""
    return render_template(
        "author/_rule.html",
        i=time.time_ns() // 1_000_000,
        rule={"topic": "", "count": "1", "types": []},
        c=qa.choices(),
    )


@bp.route("/quizzes/save", methods=["POST"])
@roles_required(*AUTHORS)
def save_quiz():
    """Save a quiz definition as a new version (checked against the current bank)."""
    key = request.form.get("key") or None
    base_version = request.form.get("base_version", "")
    data = qa.quiz_from_form(request.form)
    form = qa.quiz_form(data, key=key, base_version=base_version)
    _quiz, form.problems = qa.check_quiz(data, key)
    if form.problems:
        return _quiz_page(form, _refused(422), error=f"有 {len(form.problems)} 个问题,没有保存。")
    from ..certification.service import dependants

    needed = dependants("quiz", key) if key else []
    if needed and request.form.get("confirm_certification") != "1":
        return _quiz_page(form, _refused(409), error=(
            f"测验 {key} 是{'、'.join(needed)}的要求,修改会改变学员的认证结果;"
            "确认要修改请勾选“我知道这会影响认证”后再保存。没有保存。"
        ))
    try:
        row = qa.save_quiz(data, key, base_version, current_user)
    except qa.StaleError as exc:
        return _quiz_page(form, _refused(409), error=str(exc))
    flash(
        "没有修改,未产生新版本。" if row is None else f"已保存测验 {data['id']} 的新版本;学员下次开始时使用新版本。",
        "info",
    )
    return _done(url_for("author.edit_quiz", key=data["id"]))


# -- uploaded source documents -------------------------------------------------------------------------


@bp.route("/sources/")
@roles_required(*AUTHORS)
def sources_index():
    """The site's uploaded source documents, citable beside the shipped manuals, and the upload form."""
    return render_template("author/sources.html", documents=sources.documents())


@bp.route("/sources/upload", methods=["POST"])
@roles_required(*AUTHORS)
def upload_source():
    """Upload a .txt / .docx / .pdf; refused (nothing stored) when it is not what it claims."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要上传的文件。", "error")
        return redirect(url_for("author.sources_index"), code=303)
    try:
        document = sources.upload(
            current_user, request.form.get("title", ""), upload.filename, upload.read(sources.MAX_UPLOAD_BYTES + 1)
        )
    except sources.SourceError as exc:
        flash(f"上传失败:{exc}没有保存任何内容。", "error")
        return redirect(url_for("author.sources_index"), code=303)
    flash(
        f"已上传「{document.title}」,引用时写 file: {document.file};找到 {len(document.sections)} 个章节标题。", "info"
    )
    return redirect(url_for("author.source", source_id=document.id), code=303)


@bp.route("/sources/<int:source_id>")
@roles_required(*AUTHORS)
def source(source_id: int):
    """One uploaded source: how to cite it, its sections and its text."""
    from ..extensions import db
    from ..models import SourceDocument

    return render_template("author/source.html", d=db.get_or_404(SourceDocument, source_id))
