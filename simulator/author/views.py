"""Authoring (情景编写): trainers and admins write, try out and publish scenarios in the browser."""

from __future__ import annotations

import difflib
import time

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

import scoring
from scenarios import authoring as scenario_authoring

from ..models import Role
from ..security import roles_required
from . import editor, service

bp = Blueprint("author", __name__, url_prefix="/author")

AUTHORS = (Role.TRAINER, Role.ADMIN)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.after_request
def _vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def _workspace(draft, data=None, *, notice: str = "", error: str = "", conflict=None, status: int = 200,
               extra_problems=None):
    """The editor workspace (form, problems, graph, samples): the fragment for htmx, else the page."""
    data = draft.data if data is None else data
    problems, scenario = service.check(data)
    problems = list(extra_problems or []) + problems
    model = editor.editor_model(data)
    index = service.ProblemIndex.build(problems, model.field_paths())
    conflict_diff = []
    if conflict is not None:
        conflict_diff = list(difflib.unified_diff(
            scenario_authoring.dump_yaml(conflict.draft.data).splitlines(),
            scenario_authoring.dump_yaml(data).splitlines(),
            f"已保存的第 {conflict.draft.revision} 版({conflict.draft.updated_by.display_name})", "您的修改",
            lineterm="", n=1,
        ))
    context = dict(
        draft=draft, m=model, p=index, scenario=scenario, c=editor.choices(), sections=service.known_sections(),
        mermaid=scenario_authoring.draft_mermaid(data), graph=scenario_authoring.draft_graph(data),
        samples=service.sample_results(draft), notice=notice, error=error, conflict=conflict,
        conflict_diff=conflict_diff, revision=conflict.draft.revision if conflict is not None else draft.revision,
        previews=service.preview_attempts(draft, current_user), bands=scoring.BANDS,
    )
    template = "author/_workspace.html" if _is_htmx() else "author/draft.html"
    return render_template(template, **context), status


@bp.route("/")
@roles_required(*AUTHORS)
def index():
    """Drafts, published scenarios (编辑 / 复制 / 撤下) and 新建 / 导入."""
    return render_template(
        "author/index.html", drafts=service.open_drafts(), published=service.published_scenarios(),
        withdrawn=service.withdrawn_scenarios(), publications=service.publications(),
    )


@bp.route("/drafts/new", methods=["POST"])
@roles_required(*AUTHORS)
def new_draft():
    """新建 (blank), 复制 (a copy of a published scenario) or 编辑 (a published scenario's draft)."""
    try:
        if request.form.get("copy"):
            draft = service.create_copy(current_user, request.form["copy"])
        elif request.form.get("edit"):
            draft = service.create_edit(current_user, request.form["edit"])
        else:
            draft = service.create_blank(current_user, request.form.get("id", ""))
    except service.AuthorError as exc:
        flash(str(exc), "error")
        return redirect(url_for("author.index"), code=303)
    return redirect(url_for("author.draft", draft_id=draft.id), code=303)


@bp.route("/drafts/import", methods=["POST"])
@roles_required(*AUTHORS)
def import_draft():
    """Import a scenario YAML file as a draft."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的 YAML 文件。", "error")
        return redirect(url_for("author.index"), code=303)
    if not upload.filename.lower().endswith((".yaml", ".yml")):
        flash("只能导入 .yaml / .yml 情景文件。", "error")
        return redirect(url_for("author.index"), code=303)
    try:
        draft = service.import_yaml(current_user, upload.read(service.MAX_YAML_BYTES + 1), upload.filename)
    except service.AuthorError as exc:
        flash(str(exc), "error")
        return redirect(url_for("author.index"), code=303)
    flash("已导入为草稿。", "info")
    return redirect(url_for("author.draft", draft_id=draft.id), code=303)


@bp.route("/drafts/<int:draft_id>")
@roles_required(*AUTHORS)
def draft(draft_id: int):
    """The structured editor of a draft."""
    return _workspace(service.get_draft(draft_id))


@bp.route("/drafts/<int:draft_id>", methods=["POST"])
@roles_required(*AUTHORS)
def save(draft_id: int):
    """Save the structured editor (valid or not); a stale revision is refused with the trainer's input kept."""
    draft = service.get_draft(draft_id)
    edited_from = request.form.get("revision", type=int) or 0
    try:
        data = editor.document_from_form(request.form)
    except editor.FormError as exc:
        return _workspace(draft, error="表单有问题,没有保存:" + ";".join(p.message for p in exc.problems),
                          status=200 if _is_htmx() else 422)
    try:
        service.save(draft, data, edited_from, current_user)
    except service.ConflictError as exc:
        return _workspace(draft, data, error=str(exc), conflict=exc, status=200 if _is_htmx() else 409)
    except service.AuthorError as exc:
        return _workspace(draft, data, error=str(exc), status=200 if _is_htmx() else 422)
    if not _is_htmx():
        return redirect(url_for("author.draft", draft_id=draft.id), code=303)
    return _workspace(draft, notice=f"已保存(第 {draft.revision} 版)。")


@bp.route("/drafts/<int:draft_id>/check", methods=["POST"])
@roles_required(*AUTHORS)
def check(draft_id: int):
    """Redraw the graph and the problem list from the unsaved form (htmx, on every change; saves nothing)."""
    service.get_draft(draft_id)
    try:
        data = editor.document_from_form(request.form)
    except editor.FormError as exc:
        problems, data = exc.problems, {}
    else:
        problems, _scenario = service.check(data)
    return render_template(
        "author/_live.html", p=service.ProblemIndex.build(problems, []), live=True, oob=True,
        mermaid=scenario_authoring.draft_mermaid(data), graph=scenario_authoring.draft_graph(data),
    )


@bp.route("/drafts/<int:draft_id>/yaml", methods=["GET", "POST"])
@roles_required(*AUTHORS)
def yaml_tab(draft_id: int):
    """The YAML tab: the same document as text; saving goes through the same checks."""
    draft = service.get_draft(draft_id)
    text, error, status, revision = scenario_authoring.dump_yaml(draft.data), "", 200, draft.revision
    if request.method == "POST":
        text = request.form.get("yaml", "")
        edited_from = request.form.get("revision", type=int) or 0
        try:
            data = service.parse_yaml_upload(text)
            service.save(draft, data, edited_from, current_user)
        except service.ConflictError as exc:
            error, status, revision = str(exc), 409, exc.draft.revision
        except service.AuthorError as exc:
            error, status, revision = str(exc), 422, edited_from
        else:
            flash(f"已保存(第 {draft.revision} 版)。", "info")
            target = url_for("author.yaml_tab", draft_id=draft.id)
            if _is_htmx():
                response = Response("", 204)
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target, code=303)
        if _is_htmx():
            status = 200  # htmx swaps only 2xx answers: the refusal is shown in place
    problems, _scenario = service.check(draft.data)
    return render_template(
        "author/yaml.html", draft=draft, text=text, error=error, problems=problems, revision=revision,
    ), status


@bp.route("/drafts/<int:draft_id>/fragment/<kind>")
@roles_required(*AUTHORS)
def fragment(draft_id: int, kind: str):
    """A blank piece of the form (node, branch, item, blocker, source, ending) for 添加 without a reload."""
    draft = service.get_draft(draft_id)
    model = editor.editor_model(draft.data)
    stamp = time.time_ns() // 1_000_000
    context = dict(draft=draft, m=model, p=service.ProblemIndex.build([], []), c=editor.choices(),
                   sections=service.known_sections())
    if kind == "node":
        node = editor.node_form(stamp, f"node{stamp % 10000}", editor.blank_node())
        return render_template("author/_node.html", node=node, **context)
    if kind == "ending":
        ending = editor.EndingForm(prefix=f"e{stamp}", path="", id="", kind="resolved", title="", debrief="", extra="")
        return render_template("author/_ending.html", ending=ending, **context)
    if kind == "also":
        return render_template("author/_also.html", i=stamp, src={"file": "", "section": "", "general": ""}, **context)
    prefix = request.args.get("prefix", "")
    if kind == "branch":
        node_index = _node_index(prefix)
        items = model.nodes[node_index].rubric.items if node_index is not None and node_index < len(model.nodes) else []
        branch = editor.branch_form(f"{prefix}.b{stamp}", "", {"emotion": 0, "to": ""})
        return render_template("author/_branch.html", b=branch, items=items, **context)
    if kind == "item":
        item = editor.ItemForm(f"{prefix}.add{stamp}", "", {key: "" for key in editor.ITEM_FIELDS}, "")
        return render_template("author/_item.html", item=item, **context)
    if kind == "blocker":
        item = editor.ItemForm(f"{prefix}.blk{stamp}", "", {key: "" for key in editor.BLOCKER_FIELDS}, "")
        return render_template("author/_blocker.html", item=item, **context)
    if kind == "rubric-items":
        base = request.args.get(f"{prefix}.base", "")
        rubric = editor.rubric_form(prefix, "", base)
        return render_template("author/_rubric_items.html", r=rubric, **context)
    return Response("未知的表单片段", status=404)


def _node_index(prefix: str) -> int | None:
    digits = prefix.removeprefix("n")
    return int(digits) if digits.isdigit() else None


@bp.route("/drafts/<int:draft_id>/try", methods=["POST"])
@roles_required(*AUTHORS)
def try_reply(draft_id: int):
    """试评分: score a sample reply at a node with the draft's rubric (nothing is stored)."""
    draft = service.get_draft(draft_id)
    node_id, reply = request.form.get("node", ""), request.form.get("reply", "")
    try:
        result = service.try_reply(draft, node_id, reply)
    except service.AuthorError as exc:
        return render_template("author/_try_result.html", error=str(exc), node=node_id, reply=reply,
                               draft=draft, bands=scoring.BANDS), 200 if _is_htmx() else 422
    from ..play.service import decided_label, highlight

    return render_template(
        "author/_try_result.html", result=result, node=node_id, reply=reply, draft=draft, bands=scoring.BANDS,
        segments=highlight(reply, result.to_dict()), decided=decided_label(result.to_dict()),
        skills=scoring.SKILL_LABELS,
    )


@bp.route("/drafts/<int:draft_id>/samples", methods=["POST"])
@roles_required(*AUTHORS)
def add_sample(draft_id: int):
    """Keep a sample reply with its expected band as a regression example of the node."""
    draft = service.get_draft(draft_id)
    try:
        service.add_sample(draft, request.form.get("node", ""), request.form.get("reply", ""),
                           request.form.get("expected", ""))
    except service.AuthorError as exc:
        flash(str(exc), "error")
    else:
        flash("已保存为回归样例:以后每次修改都会重新评分并显示是否仍在预期等级。", "info")
    return redirect(url_for("author.draft", draft_id=draft.id, _anchor="samples"), code=303)


@bp.route("/drafts/<int:draft_id>/samples/<int:index>/delete", methods=["POST"])
@roles_required(*AUTHORS)
def remove_sample(draft_id: int, index: int):
    """Remove a regression example."""
    draft = service.get_draft(draft_id)
    try:
        service.remove_sample(draft, index)
    except service.AuthorError as exc:
        flash(str(exc), "error")
    return redirect(url_for("author.draft", draft_id=draft.id, _anchor="samples"), code=303)


@bp.route("/drafts/<int:draft_id>/preview", methods=["POST"])
@roles_required(*AUTHORS)
def preview(draft_id: int):
    """试玩: play the draft on the trainee's play page, as a preview that never counts."""
    draft = service.get_draft(draft_id)
    try:
        attempt = service.start_preview(draft, current_user, request.form.get("mode", "practice"))
    except service.AuthorError as exc:
        flash(str(exc), "error")
        return redirect(url_for("author.draft", draft_id=draft.id), code=303)
    return redirect(url_for("play.attempt", attempt_id=attempt.id), code=303)


@bp.route("/drafts/<int:draft_id>/publish", methods=["GET", "POST"])
@roles_required(*AUTHORS)
def publish(draft_id: int):
    """Review the diff against the published version, then publish a new version."""
    draft = service.get_draft(draft_id)
    status = 200
    if request.method == "POST":
        try:
            row = service.publish(draft, request.form.get("revision", type=int) or 0, current_user)
        except service.AuthorError as exc:
            flash(str(exc), "error")
            status = 409 if isinstance(exc, service.ConflictError) else 422
        else:
            flash(f"已发布「{row.title}」新版本 {row.version},学员现在可以在情景演练中看到它。", "info")
            return redirect(url_for("author.draft", draft_id=draft.id), code=303)
    return render_template(
        "author/publish.html", draft=draft, check=service.publish_check(draft),
        history=service.publications(draft.target_key) if draft.target_key else [],
    ), status


@bp.route("/drafts/<int:draft_id>/archive", methods=["POST"])
@roles_required(*AUTHORS)
def archive(draft_id: int):
    """Archive a draft."""
    service.archive(service.get_draft(draft_id), current_user)
    flash("草稿已归档。", "info")
    return redirect(url_for("author.index"), code=303)


@bp.route("/scenarios/<key>/unpublish", methods=["POST"])
@roles_required(*AUTHORS)
def unpublish(key: str):
    """Withdraw a scenario from the trainees' catalogue (attempts and versions stay)."""
    try:
        service.unpublish(key, current_user)
    except service.AuthorError as exc:
        flash(str(exc), "error")
    else:
        flash(f"情景 {key} 已撤下,学员将看不到它;已有的演练记录保留。", "info")
    return redirect(url_for("author.index"), code=303)


@bp.route("/scenarios/<key>/republish", methods=["POST"])
@roles_required(*AUTHORS)
def republish(key: str):
    """Put a withdrawn scenario back in the catalogue."""
    try:
        service.republish(key, current_user)
    except service.AuthorError as exc:
        flash(str(exc), "error")
    else:
        flash(f"情景 {key} 已重新发布。", "info")
    return redirect(url_for("author.index"), code=303)


@bp.route("/drafts/<int:draft_id>/export.yaml")
@roles_required(*AUTHORS)
def export_yaml(draft_id: int):
    """Download the draft as a scenario YAML file."""
    draft = service.get_draft(draft_id)
    name = f"{draft.data.get('id') or 'scenario'}.yaml"
    return _download(scenario_authoring.dump_yaml(draft.data), name, "application/yaml")


@bp.route("/drafts/<int:draft_id>/export.twee")
@roles_required(*AUTHORS)
def export_twee(draft_id: int):
    """Download the draft's structure as Twee 3 (for Twine)."""
    draft = service.get_draft(draft_id)
    name = f"{draft.data.get('id') or 'scenario'}.twee"
    return _download(scenario_authoring.to_twee(draft.data), name, "text/plain")


def _download(text: str, name: str, mimetype: str) -> Response:
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "-_.") or "scenario.txt"
    response = Response(text, mimetype=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response

from . import content_views  # noqa: E402,F401  (registers the question and quiz routes on this blueprint)
