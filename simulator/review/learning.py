"""A corrected reply becomes a labelled example or a node reference; the scorer retrains in the background.

Where corrections live, so nothing is lost on a restart or a fresh clone: every example a trainer
saves is a ``scorer_example`` row (the ``scoring.corpus.Example`` as JSON); every new reference is a
new authored version of the scenario (``content_version``). A retraining job reads all saved rows,
trains on the repository's corpus plus them (:func:`scoring.learn.retrain`, which builds the model's
memory of corrections from the examples it is given), writes the model to ``SCORER_FOLDER`` and
records a ``scorer_version`` row with the regression report. Nothing is saved until the trainer has
seen that report and pressed 保存; the saved version then scores every new reply
(:mod:`simulator.play.scorer`), and ``Turn.scorer_version`` records it. ``scoring/models/`` (the
repository's model) is never written by the app.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Mapping

import scenarios
from scoring import Rubric, get_encoder, get_model
from scoring.corpus import CorpusError, Example, load_corpus
from scoring.learn import correction, retrain
from scoring.train import NodeInfo, default_store, library_nodes

from ..content import ContentItem, current_version, upsert_content
from ..extensions import db
from ..jobs import JobContext, JobError, job_kind, submit
from ..models import ContentPublication, Job, Origin, ScorerExample, ScorerVersion, Turn, TurnReview, User, utcnow
from ..play.content import scenario_of
from ..play.scorer import active_model, active_version, scorer_folder
from .corrections import ReviewError, _audit

GRADES = {"不合格": 0, "合格": 1, "良好": 2, "优秀": 3}
KINDS = {"example": "评分样例", "reference": "参考答复"}


def training_nodes() -> dict[tuple[str, str], NodeInfo]:
    """The nodes the scorer trains on: the repository's library, overridden by the current content here
    (so a reference a trainer added, or an authored scenario, counts)."""
    nodes = dict(library_nodes())
    from ..content import current_content

    for row in current_content("scenario"):
        scenario = scenario_of(row)
        for node_id, node in scenario.nodes.items():
            nodes[(scenario.id, node_id)] = NodeInfo(tuple(node.references), Rubric.from_spec(node.rubric))
    return nodes


def saved_rows() -> list[ScorerExample]:
    """Every saved example and reference, oldest first."""
    return list(db.session.execute(
        db.select(ScorerExample).where(ScorerExample.status == "saved").order_by(ScorerExample.id)
    ).scalars())


def _example(row: ScorerExample) -> Example:
    return Example.from_dict(row.data, id=row.example_id)


def promote(user: User, turn: Turn, kind: str) -> tuple[ScorerExample, Job]:
    """Make a reviewed turn's reply a pending example (or reference) and start its regression report.

    Raises:
        ReviewError: The turn is not reviewed, has no reply, or the example is invalid (nothing saved).
    """
    if kind not in KINDS:
        raise ReviewError("只能设为评分样例或参考答复。")
    if not turn.reply:
        raise ReviewError("这一轮没有回复,不能作为样例。")
    reviewed = db.session.execute(
        db.select(TurnReview.id).where(TurnReview.turn_id == turn.id, TurnReview.blind.is_(False)).limit(1)
    ).scalar_one_or_none()
    if reviewed is None:
        raise ReviewError("请先复核这一轮(评分无误或改分),再把回复设为样例。")
    attempt = turn.attempt
    scenario = scenario_of(attempt.content)
    if kind == "example":
        breakdown = turn.breakdown or {}
        try:
            example = correction(
                reply=turn.reply, scenario=scenario.id, node=turn.node, author=user.username,
                grade=GRADES[turn.band], nodes=training_nodes(),
                items={h["item"]: h.get("span") or "" for h in breakdown.get("hits", [])},
                blockers={b["id"]: b.get("span") or "" for b in breakdown.get("blockers", [])},
            )
        except CorpusError as error:
            raise ReviewError(f"无法生成评分样例:{error}") from None
        data, example_id, grade = example.to_dict(), example.id, example.grade
    else:
        current = current_version("scenario", scenario.id)
        node = scenario_of(current).nodes.get(turn.node) if current is not None else None
        if node is None:
            raise ReviewError("当前情景中已没有这个节点,不能添加参考答复。")
        if turn.reply in node.references:
            raise ReviewError("这条回复已经是该节点的参考答复。")
        data, example_id, grade = {"reference": turn.reply}, f"reference:{turn.id}", None
    row = ScorerExample(
        kind=kind, example_id=example_id, turn_id=turn.id, author_id=user.id, site_id=user.site_id,
        scenario_key=scenario.id, node=turn.node, reply=turn.reply, grade=grade, data=data, status="pending",
    )
    db.session.add(row)
    _audit(user, "promote", f"scorer_example.{kind}", None, {"example": example_id, "grade": grade},
           attempt=attempt, turn=turn)
    db.session.commit()
    job = submit("review_retrain", user=user, candidate_id=row.id)
    return row, job


def _scope(nodes: Mapping[tuple[str, str], NodeInfo], corpus: list[Example], keep: set[str], config) -> tuple:
    """Restrict training to ``SCORER_RETRAIN_SCENARIOS`` (tests: a fast retrain) plus the examples' scenarios."""
    scope = config.get("SCORER_RETRAIN_SCENARIOS")
    if not scope:
        return dict(nodes), corpus
    wanted = set(scope) | keep
    return ({k: v for k, v in nodes.items() if k[0] in wanted}, [e for e in corpus if e.scenario in wanted])


@job_kind("review_retrain", label="重新训练评分模型")
def retrain_job(ctx: JobContext, *, candidate_id: int | None = None) -> dict:
    """Retrain on the corpus, the saved examples and the candidate; keep the model and its report, unsaved."""
    from flask import current_app

    candidate = db.session.get(ScorerExample, candidate_id) if candidate_id else None
    if candidate_id and (candidate is None or candidate.status != "pending"):
        raise JobError("这个样例已经处理过了。")
    ctx.progress(0, 3, "读取语料和已保存的样例")
    saved = saved_rows()
    examples = [_example(row) for row in saved if row.kind == "example"]
    nodes = training_nodes()
    if candidate is not None and candidate.kind == "example":
        examples.append(_example(candidate))
    elif candidate is not None:
        info = nodes.get((candidate.scenario_key, candidate.node))
        if info is None:
            raise JobError("情景中已没有这个节点。")
        nodes[(candidate.scenario_key, candidate.node)] = NodeInfo((*info.references, candidate.reply), info.rubric)
    keep = {e.scenario for e in examples} | ({candidate.scenario_key} if candidate else set())
    nodes, corpus = _scope(nodes, load_corpus(), keep, current_app.config)
    ctx.progress(1, 3, "训练评分模型(约一分钟)")
    encoder = get_encoder()
    base = active_model() or get_model(encoder.name)
    model, report = retrain(examples, base=base, store=default_store(encoder), nodes=nodes, corpus=corpus)
    ctx.progress(2, 3, "保存模型与回归报告")
    row = ScorerVersion(
        version=model.version, folder="", basis=[r.id for r in saved], candidate_id=candidate_id, job_id=ctx.job_id,
        created_by_id=ctx.user_id,
        report={**report.to_dict(), "improved": [c.example for c in report.improved],
                "worsened": [c.example for c in report.worsened]},
    )
    db.session.add(row)
    db.session.flush()
    row.folder = f"{row.id}-{model.version}"
    model.save(scorer_folder() / row.folder)
    db.session.commit()
    return {"scorer_version": row.id, "version": model.version, "changed": len(report.changed),
            "improved": len(report.improved), "worsened": len(report.worsened)}


def rebuild(user: User) -> Job:
    """Retrain from the saved examples alone (after a fresh clone, or a new repository corpus)."""
    return submit("review_retrain", user=user, candidate_id=None)


def report_of(example: ScorerExample) -> ScorerVersion | None:
    """The latest retrained version made for a candidate (its regression report)."""
    return db.session.execute(
        db.select(ScorerVersion).where(ScorerVersion.candidate_id == example.id).order_by(ScorerVersion.id.desc())
    ).scalars().first()


def latest_job(example: ScorerExample) -> Job | None:
    """The last retraining job started for a candidate."""
    jobs = db.session.execute(
        db.select(Job).where(Job.kind == "review_retrain").order_by(Job.created_at.desc())
    ).scalars()
    return next((job for job in jobs if (job.params or {}).get("candidate_id") == example.id), None)


def activate(user: User, version: ScorerVersion) -> None:
    """Make a retrained version the one that scores new replies (its basis must be the saved set)."""
    if version.basis != [row.id for row in saved_rows()]:
        raise ReviewError("已保存的样例在此期间有变化,这份回归报告已过期,请重新生成。")
    if not (scorer_folder() / version.folder).is_dir():
        raise ReviewError("这个模型的文件已不在服务器上,请重新训练。")
    previous = active_version()
    for row in db.session.execute(db.select(ScorerVersion).where(ScorerVersion.active.is_(True))).scalars():
        row.active = False
    version.active = True
    version.activated_at = utcnow()
    _audit(user, "activate", "scorer.version", previous.version if previous else None, version.version)


def save(user: User, example: ScorerExample) -> ScorerVersion:
    """Save a pending example (or reference) after its regression report, and activate its model. Commits.

    Raises:
        ReviewError: No report yet, the report is out of date, or the example was already decided.
    """
    if example.status != "pending":
        raise ReviewError("这个样例已经处理过了。")
    version = report_of(example)
    if version is None:
        raise ReviewError("回归报告还没有生成,请稍候。")
    item = _with_reference(example) if example.kind == "reference" else None  # checked before any write
    activate(user, version)  # checks the basis first: nothing is written if it is stale
    example.status = "saved"
    example.decided_at = utcnow()
    version.basis = [*version.basis, example.id]
    _audit(user, "save", f"scorer_example.{example.kind}", "pending", "saved", turn_id=example.turn_id)
    if item is not None:
        upsert_content("scenario", [item], origin=Origin.AUTHORED)  # commits everything above with it
        row = current_version("scenario", item.key)
        # authoring's publish history says who made this scenario version, as for a published draft
        db.session.add(ContentPublication(kind="scenario", key=item.key, action="publish",
                                          content_id=row.id if row else None, user_id=user.id))
    db.session.commit()
    return version


def discard(user: User, example: ScorerExample) -> None:
    """Drop a pending example and the model trained for it. Commits."""
    if example.status != "pending":
        raise ReviewError("这个样例已经处理过了。")
    example.status = "discarded"
    example.decided_at = utcnow()
    for version in db.session.execute(
        db.select(ScorerVersion).where(ScorerVersion.candidate_id == example.id, ScorerVersion.active.is_(False))
    ).scalars():
        shutil.rmtree(scorer_folder() / version.folder, ignore_errors=True)
    _audit(user, "discard", f"scorer_example.{example.kind}", "pending", "discarded", turn_id=example.turn_id)
    db.session.commit()


def _with_reference(example: ScorerExample) -> ContentItem:
    """The scenario's current content with the example's reply added to its node's references."""
    row = current_version("scenario", example.scenario_key)
    if row is None:
        raise ReviewError("这个情景已下线,不能再添加参考答复。")
    data = copy.deepcopy(row.data)
    node = data.get("nodes", {}).get(example.node)
    if node is None:
        raise ReviewError("情景中已没有这个节点。")
    if example.reply not in node.setdefault("references", []):
        node["references"].append(example.reply)
    scenario = scenarios.Scenario.from_dict(data, file=row.source_path or row.key)
    return ContentItem("scenario", scenario.id, row.title, scenario.to_dict(), row.source_path, scenario.version)


def pending_and_saved(user: User) -> list[ScorerExample]:
    """The examples of the user's site, newest first."""
    return list(db.session.execute(
        db.select(ScorerExample).where(ScorerExample.site_id == user.site_id).order_by(ScorerExample.id.desc())
    ).scalars())
