"""Scenario authoring: drafts, validation, optimistic locking, publishing, 试评分 and 试玩.

A draft's document is checked by :func:`scenarios.linter.check_document`, the same function the
file linter runs, so a draft is publishable exactly when the library linter would pass it. Saving
never requires a valid document; publishing does.

Publishing stores the canonical document as a new ``ContentVersion`` (``origin`` authored, via
:func:`simulator.content.upsert_content`) and records a ``ContentPublication``. Attempts keep the
content row they played, so an earlier attempt still shows the version it played. A content load
never replaces authored content (see :mod:`simulator.content`).
"""

from __future__ import annotations

import copy
import difflib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import abort
from sqlalchemy import update

import scenarios
import scoring
from scenarios import authoring as scenario_authoring
from scenarios.linter import check_document
from scenarios.loader import parse_yaml_text
from scenarios.manuals import manual_headings, normalise, section_has_text
from scenarios.model import SCENARIO_ID_RE, Problem, ValidationError

from ..content import ContentItem, current_content, current_version, upsert_content
from ..extensions import db
from ..models import (
    Attempt,
    ContentPublication,
    ContentVersion,
    DraftStatus,
    Origin,
    ScenarioDraft,
    User,
    utcnow,
)
from ..play.scorer import score_reply
from . import sources

PREVIEW_KIND = "scenario_preview"
MAX_YAML_BYTES = 512 * 1024
MAX_SAMPLES_PER_NODE = 20
MAX_REPLY_CHARS = 1000


class AuthorError(ValueError):
    """A request the author cannot make as it stands; the message (Chinese) says why. Nothing changed."""


class ConflictError(AuthorError):
    """Another save reached the draft first (optimistic locking)."""

    def __init__(self, draft: ScenarioDraft, edited_from: int) -> None:
        self.draft = draft
        self.edited_from = edited_from
        who = draft.updated_by.display_name if draft.updated_by else "另一位培训师"
        super().__init__(
            f"{who} 刚刚保存了这份草稿(第 {draft.revision} 版),您是在第 {edited_from} 版上修改的。"
            "为了不覆盖对方的修改,这次没有保存。您的修改仍保留在下方表单中;"
            "请对照对方的版本(差异见下),确认后再点「保存草稿」,将以您的内容保存为新的一版。"
        )


# ------------------------------------------------------------------------------------------------
# Problems shown beside fields
# ------------------------------------------------------------------------------------------------


@dataclass
class ProblemIndex:
    """The problems of a document, each placed at the most precise field the editor shows."""

    problems: list[Problem]
    placed: dict[str, list[Problem]] = field(default_factory=dict)
    unplaced: list[Problem] = field(default_factory=list)

    @classmethod
    def build(cls, problems: Iterable[Problem], field_paths: Iterable[str]) -> ProblemIndex:
        index = cls(list(problems))
        paths = sorted(set(field_paths), key=len, reverse=True)
        for problem in index.problems:
            target = next((p for p in paths if p and _within(problem.path, p)), None)
            if target is None:
                index.unplaced.append(problem)
            else:
                index.placed.setdefault(target, []).append(problem)
        return index

    def at(self, path: str) -> list[Problem]:
        return self.placed.get(path, [])

    def __len__(self) -> int:
        return len(self.problems)


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


# ------------------------------------------------------------------------------------------------
# Drafts
# ------------------------------------------------------------------------------------------------


def check(data: Any) -> tuple[list[Problem], scenarios.Scenario | None]:
    """Every linter problem of a draft document, and the scenario when the schema passed."""
    name = f"{data.get('id')}.yaml" if isinstance(data, dict) and isinstance(data.get("id"), str) else "草稿"
    return check_document(data, name, extra_sources=sources.extra_sources())


def open_drafts() -> list[ScenarioDraft]:
    """Drafts not archived, most recently saved first."""
    return list(db.session.execute(
        db.select(ScenarioDraft).where(ScenarioDraft.status != DraftStatus.ARCHIVED.value)
        .order_by(ScenarioDraft.updated_at.desc(), ScenarioDraft.id.desc())
    ).scalars())


def published_scenarios() -> list[ContentVersion]:
    return current_content("scenario")


def withdrawn(kind: str = "scenario") -> list[str]:
    """Keys of ``kind`` a trainer withdrew (撤下 / 停用) that are not current again."""
    current = {row.key for row in current_content(kind)}
    latest: dict[str, str] = {}
    for key, action in db.session.execute(
        db.select(ContentPublication.key, ContentPublication.action)
        .where(ContentPublication.kind == kind, ContentPublication.action.in_(("publish", "unpublish")))
        .order_by(ContentPublication.id)
    ):
        latest[key] = action
    return sorted(key for key, action in latest.items() if action == "unpublish" and key not in current)


def withdrawn_scenarios() -> list[str]:
    return withdrawn("scenario")


def publications(key: str | None = None, limit: int = 20) -> list[ContentPublication]:
    query = db.select(ContentPublication).where(ContentPublication.kind == "scenario")
    if key is not None:
        query = query.where(ContentPublication.key == key)
    return list(db.session.execute(query.order_by(ContentPublication.id.desc()).limit(limit)).scalars())


def get_draft(draft_id: int) -> ScenarioDraft:
    return db.get_or_404(ScenarioDraft, draft_id)


def _title_of(data: Any) -> str:
    title = data.get("title") if isinstance(data, dict) else None
    return str(title)[:200] if title else ""


def _new_draft(
    user: User, data: dict[str, Any], *, target_key: str | None, base: ContentVersion | None
) -> ScenarioDraft:
    now = utcnow()
    draft = ScenarioDraft(
        data=data, samples=[], title=_title_of(data), target_key=target_key,
        base_content_id=base.id if base is not None else None, status=DraftStatus.DRAFT.value, revision=1,
        created_by_id=user.id, updated_by_id=user.id, created_at=now, updated_at=now,
    )
    db.session.add(draft)
    db.session.commit()
    return draft


def _used_keys() -> set[str]:
    keys = set(db.session.execute(
        db.select(ContentVersion.key).where(ContentVersion.kind == "scenario").distinct()
    ).scalars())
    keys |= {key for key in db.session.execute(db.select(ScenarioDraft.target_key)).scalars() if key}
    return keys


def _free_id(wanted: str) -> str:
    used = _used_keys() | {
        d.data.get("id") for d in open_drafts() if isinstance(d.data, dict) and isinstance(d.data.get("id"), str)
    }
    candidate, n = wanted, 2
    while candidate in used:
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate


def create_blank(user: User, scenario_id: str) -> ScenarioDraft:
    """新建: a new draft from the blank template.

    Raises:
        AuthorError: The id is not a valid scenario id or is taken.
    """
    scenario_id = (scenario_id or "").strip()
    if not SCENARIO_ID_RE.match(scenario_id):
        raise AuthorError("情景 id 只能用小写字母、数字和连字符,例如 lift-noise-night。")
    if scenario_id in _used_keys():
        raise AuthorError(f"情景 id '{scenario_id}' 已被使用,请换一个。")
    return _new_draft(user, scenario_authoring.blank_document(scenario_id), target_key=None, base=None)


def create_copy(user: User, key: str) -> ScenarioDraft:
    """新建 from a copy of a published scenario: a new scenario (new id) starting from its document."""
    row = current_version("scenario", key)
    if row is None:
        abort(404)
    data = copy.deepcopy(row.data)
    data["id"] = _free_id(f"{key}-copy")
    data["title"] = f"{data.get('title', key)}(副本)"
    return _new_draft(user, data, target_key=None, base=None)


def create_edit(user: User, key: str) -> ScenarioDraft:
    """编辑 a published scenario: its open draft if there is one, else a new draft of its current version."""
    row = current_version("scenario", key)
    if row is None:
        abort(404)
    existing = db.session.execute(
        db.select(ScenarioDraft).where(
            ScenarioDraft.target_key == key, ScenarioDraft.status == DraftStatus.DRAFT.value
        ).order_by(ScenarioDraft.id.desc())
    ).scalars().first()
    if existing is not None:
        return existing
    return _new_draft(user, copy.deepcopy(row.data), target_key=key, base=row)


def parse_yaml_upload(text: str | bytes, name: str = "YAML") -> dict[str, Any]:
    """Read a YAML document typed or uploaded by a trainer, strictly (duplicate keys refused).

    Raises:
        AuthorError: Not UTF-8, too large, not YAML, or not a mapping.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            raise AuthorError(f"文件太大(超过 {MAX_YAML_BYTES // 1024} KB),不像是一个情景文件。")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise AuthorError("文件不是 UTF-8 编码的文本,无法作为 YAML 读取。") from exc
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise AuthorError(f"内容太大(超过 {MAX_YAML_BYTES // 1024} KB)。")
    if "\x00" in text:
        raise AuthorError("内容包含二进制数据,不是 YAML 文本。")
    try:
        data = parse_yaml_text(text, name)
    except ValidationError as exc:
        problem = exc.problems[0]
        where = f"(第 {problem.path.removeprefix('line ')} 行)" if problem.path.startswith("line ") else ""
        raise AuthorError(f"YAML 无法读取{where}:{problem.message}。没有保存任何修改。") from exc
    if not isinstance(data, dict):
        raise AuthorError("YAML 的最外层应为映射(schema_version、id、title……),没有保存任何修改。")
    return data


def import_yaml(user: User, content: bytes, filename: str) -> ScenarioDraft:
    """Import a scenario file as a draft: an edit of the published scenario with that id, else a new one."""
    data = parse_yaml_upload(content, filename or "YAML")
    key = data.get("id") if isinstance(data.get("id"), str) else None
    row = current_version("scenario", key) if key else None
    return _new_draft(user, data, target_key=key if row is not None else None, base=row)


def save(draft: ScenarioDraft, data: dict[str, Any], edited_from: int, user: User) -> ScenarioDraft:
    """Save a draft's document, valid or not, if nobody saved it since ``edited_from``. Commits.

    The check and the write are one conditional ``UPDATE ... WHERE revision = edited_from``, so two
    trainers saving at the same moment cannot both win.

    Raises:
        AuthorError: The draft is archived.
        ConflictError: Another save came first (nothing saved).
    """
    if draft.status == DraftStatus.ARCHIVED.value:
        raise AuthorError("这份草稿已归档,不能再修改。")
    result = db.session.execute(
        update(ScenarioDraft)
        .where(ScenarioDraft.id == draft.id, ScenarioDraft.revision == edited_from)
        .values(
            data=data, title=_title_of(data), revision=edited_from + 1, updated_by_id=user.id,
            updated_at=utcnow(), status=DraftStatus.DRAFT.value,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(draft)
    if result.rowcount != 1:
        raise ConflictError(draft, edited_from)
    return draft


def archive(draft: ScenarioDraft, user: User) -> None:
    """Close a draft (it leaves the list; the published scenario, if any, stays as it is)."""
    draft.status = DraftStatus.ARCHIVED.value
    draft.updated_by_id = user.id
    draft.updated_at = utcnow()
    db.session.add(ContentPublication(
        kind="scenario", key=draft.target_key or str(draft.data.get("id", "")), action="archive",
        draft_id=draft.id, user_id=user.id,
    ))
    db.session.commit()


# ------------------------------------------------------------------------------------------------
# Publishing
# ------------------------------------------------------------------------------------------------


@dataclass
class PublishCheck:
    """What publishing a draft would do: problems that stop it, and the diff to review."""

    problems: list[Problem]
    scenario: scenarios.Scenario | None
    key: str
    current: ContentVersion | None
    diff: list[tuple[str, str]]

    @property
    def ok(self) -> bool:
        return not self.problems and self.scenario is not None


def publish_check(draft: ScenarioDraft) -> PublishCheck:
    """Run the linter and the key rules, and diff the draft against the published version."""
    problems, scenario = check(draft.data)
    key = str(draft.data.get("id", "")) if isinstance(draft.data, dict) else ""
    if draft.status == DraftStatus.ARCHIVED.value:
        problems.append(Problem("草稿", "", "草稿已归档"))
    if draft.target_key is not None and key != draft.target_key:
        problems.append(Problem(f"{key}.yaml", "id", f"编辑已发布的情景时不能修改 id(应为 '{draft.target_key}')"))
    if draft.target_key is None and key in _used_keys():
        problems.append(Problem(
            f"{key}.yaml", "id", f"id '{key}' 已被另一个情景使用;请换一个新 id,或在该情景上点「编辑」"
        ))
    current = current_version("scenario", key) if key else None
    before = scenario_authoring.dump_yaml(current.data).splitlines() if current is not None else []
    after_data = scenario.to_dict() if scenario is not None else draft.data
    after = scenario_authoring.dump_yaml(after_data).splitlines()
    label = f"已发布版本 {current.version}" if current is not None else "(尚未发布)"
    diff = []
    for line in difflib.unified_diff(before, after, label, "本草稿", lineterm="", n=2):
        kind = "meta" if line.startswith(("---", "+++", "@@")) else {"+": "add", "-": "del"}.get(line[:1], "same")
        diff.append((kind, line))
    return PublishCheck(problems, scenario, key, current, diff)


def publish(draft: ScenarioDraft, edited_from: int, user: User) -> ContentVersion:
    """Publish the draft as the new current version of its scenario. Commits once.

    Raises:
        ConflictError: The draft changed since the trainer reviewed the diff.
        AuthorError: The draft has problems (the linter's or the key rules'), or nothing changed.
    """
    if draft.revision != edited_from:
        raise ConflictError(draft, edited_from)
    result = publish_check(draft)
    if not result.ok:
        raise AuthorError(f"草稿还有 {len(result.problems)} 个问题,修正后才能发布。")
    scenario = result.scenario
    assert scenario is not None
    if result.current is not None and result.current.version == scenario.version:
        raise AuthorError("草稿与已发布的版本完全相同,无需发布。")
    upsert_content("scenario", [ContentItem(
        "scenario", scenario.id, scenario.title, scenario.to_dict(), f"authored:draft-{draft.id}", scenario.version,
    )], origin=Origin.AUTHORED)
    row = current_version("scenario", scenario.id)
    assert row is not None
    draft.target_key = scenario.id
    draft.base_content_id = row.id
    draft.status = DraftStatus.PUBLISHED.value
    draft.updated_at = utcnow()
    db.session.add(ContentPublication(
        kind="scenario", key=scenario.id, action="publish", content_id=row.id, draft_id=draft.id, user_id=user.id,
    ))
    db.session.commit()
    return row


def unpublish(key: str, user: User, kind: str = "scenario") -> None:
    """Withdraw content (a scenario from the catalogue, a question from the bank); its versions and
    attempts stay. A later content load does not bring a shipped key back once a trainer withdrew it.

    Raises:
        AuthorError: Nothing of that key is current, or a certification programme requirement needs it
            (:func:`simulator.certification.service.dependants`).
    """
    rows = db.session.execute(
        db.select(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.key == key)
    ).scalars().all()
    current = next((row for row in rows if row.is_current), None)
    if current is None:
        raise AuthorError("这项内容当前没有发布。")
    from ..certification.service import dependants

    needed = dependants(kind, key)
    if needed:
        what, verb = ("情景", "撤下") if kind == "scenario" else ("题目", "停用")
        raise AuthorError(
            f"不能{verb}{what} {key}:{'、'.join(needed)}依赖它,{verb}后学员无法完成该要求。"
            f"请先修改认证计划,再来{verb}。"
        )
    for row in rows:
        row.is_current = False
    db.session.add(ContentPublication(kind=kind, key=key, action="unpublish", content_id=current.id, user_id=user.id))
    db.session.commit()


def republish(key: str, user: User, kind: str = "scenario") -> ContentVersion:
    """Make withdrawn content current again, at the version it had when withdrawn.

    Raises:
        AuthorError: The key was not withdrawn (or is current again).
    """
    last = db.session.execute(
        db.select(ContentPublication).where(
            ContentPublication.kind == kind, ContentPublication.key == key, ContentPublication.action == "unpublish",
        ).order_by(ContentPublication.id.desc())
    ).scalars().first()
    if last is None or last.content is None or current_version(kind, key) is not None:
        raise AuthorError("这项内容没有被撤下,无需恢复。")
    last.content.is_current = True
    db.session.add(
        ContentPublication(kind=kind, key=key, action="publish", content_id=last.content.id, user_id=user.id)
    )
    db.session.commit()
    return last.content


# ------------------------------------------------------------------------------------------------
# 试玩 (preview play) and 试评分 (try-out scoring)
# ------------------------------------------------------------------------------------------------


def start_preview(draft: ScenarioDraft, user: User, mode: str = "practice") -> Attempt:
    """Start a 试玩 of the draft: a real attempt on a preview content row, flagged ``preview``.

    The content row has kind ``scenario_preview`` (never current, never in the catalogue); the attempt
    is played through the same play pages, engine, scorer and timers as a trainee's.

    Raises:
        AuthorError: The draft does not pass the schema check (it cannot be played yet).
    """
    problems, scenario = check(draft.data)
    if scenario is None:
        raise AuthorError(f"草稿有 {len(problems)} 个结构问题,修正后才能试玩。")
    if mode not in ("practice", "assessment"):
        mode = "practice"
    data = scenario.to_dict()
    row = db.session.execute(
        db.select(ContentVersion).where(
            ContentVersion.kind == PREVIEW_KIND, ContentVersion.key == scenario.id,
            ContentVersion.version == scenario.version,
        )
    ).scalar_one_or_none()
    if row is None:
        row = ContentVersion(
            kind=PREVIEW_KIND, key=scenario.id, version=scenario.version, title=scenario.title, data=data,
            source_path=f"draft:{draft.id}", is_current=False, origin=Origin.AUTHORED.value, loaded_at=utcnow(),
        )
        db.session.add(row)
        db.session.flush()
    seed = secrets.randbelow(2**31)
    now = utcnow()
    attempt = Attempt(
        user_id=user.id, content_id=row.id, scenario_key=scenario.id, scenario_version=scenario.version,
        mode=mode, seed=seed, state=scenarios.start(scenario, seed).to_dict(), node_started_at=now,
        started_at=now, preview=True,
    )
    db.session.add(attempt)
    draft.preview_content_id = row.id
    db.session.commit()
    return attempt


def preview_attempts(draft: ScenarioDraft, user: User, limit: int = 5) -> list[Attempt]:
    """The user's recent 试玩 attempts of this draft's scenario."""
    key = draft.data.get("id") if isinstance(draft.data, dict) else None
    return list(db.session.execute(
        db.select(Attempt).join(ContentVersion, Attempt.content_id == ContentVersion.id).where(
            Attempt.user_id == user.id, Attempt.preview.is_(True), ContentVersion.kind == PREVIEW_KIND,
            Attempt.scenario_key == key,
        ).order_by(Attempt.id.desc()).limit(limit)
    ).scalars())


def _node_inputs(data: Any, node_id: str) -> tuple[list[str], Any]:
    nodes = data.get("nodes") if isinstance(data, dict) else None
    node = nodes.get(node_id) if isinstance(nodes, dict) else None
    if not isinstance(node, dict):
        raise AuthorError(f"草稿里没有节点 '{node_id}'。")
    references = [r for r in node.get("references") or [] if isinstance(r, str) and r.strip()]
    rubric = node.get("rubric")
    if not references:
        raise AuthorError(f"节点 '{node_id}' 还没有参考答复,无法试评分。")
    try:
        scoring.Rubric.from_spec(rubric, path=f"nodes.{node_id}.rubric")
    except (ValueError, TypeError) as exc:
        raise AuthorError(f"节点 '{node_id}' 的评分表有问题,先修正再试评分:{exc}") from exc
    return references, rubric


def _clean_reply(reply: str) -> str:
    reply = (reply or "").replace("\r\n", "\n").strip()
    if not reply:
        raise AuthorError("请先输入一条示例回复。")
    if len(reply) > MAX_REPLY_CHARS:
        raise AuthorError(f"示例回复太长了({len(reply)} 字),请控制在 {MAX_REPLY_CHARS} 字以内。")
    return reply


def try_reply(draft: ScenarioDraft, node_id: str, reply: str) -> scoring.ScoreResult:
    """Score a sample reply at a node with the draft's references and rubric, as play does.

    Raises:
        AuthorError: Empty or too long reply, unknown node, or a node that cannot be scored yet.
    """
    reply = _clean_reply(reply)
    references, rubric = _node_inputs(draft.data, node_id)
    return score_reply(reply, references, rubric)


@dataclass
class SampleResult:
    """A kept regression example and how the draft scores it now."""

    index: int
    node: str
    reply: str
    expected: str
    band: str = ""
    score: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.band == self.expected


def add_sample(draft: ScenarioDraft, node_id: str, reply: str, expected: str) -> None:
    """Keep a sample reply with the band it should get as a regression example of the node. Commits.

    Raises:
        AuthorError: Bad reply, unknown node or band, or too many examples on the node.
    """
    reply = _clean_reply(reply)
    if expected not in scoring.BANDS:
        raise AuthorError(f"预期等级应为 {' / '.join(scoring.BANDS)} 之一。")
    _node_inputs(draft.data, node_id)
    db.session.refresh(draft, with_for_update=True)
    samples = list(draft.samples or [])
    if sum(1 for s in samples if s.get("node") == node_id) >= MAX_SAMPLES_PER_NODE:
        raise AuthorError(f"每个节点最多保存 {MAX_SAMPLES_PER_NODE} 条回归样例。")
    samples.append({"node": node_id, "reply": reply, "expected": expected})
    draft.samples = samples
    db.session.commit()


def remove_sample(draft: ScenarioDraft, index: int) -> None:
    db.session.refresh(draft, with_for_update=True)
    samples = list(draft.samples or [])
    if not 0 <= index < len(samples):
        raise AuthorError("这条样例已经不存在了。")
    del samples[index]
    draft.samples = samples
    db.session.commit()


def sample_results(draft: ScenarioDraft) -> list[SampleResult]:
    """Score every kept example with the draft as it is now (green when the band is the expected one)."""
    results = []
    for index, sample in enumerate(draft.samples or []):
        result = SampleResult(index, str(sample.get("node", "")), str(sample.get("reply", "")),
                              str(sample.get("expected", "")))
        try:
            references, rubric = _node_inputs(draft.data, result.node)
            scored = score_reply(result.reply, references, rubric)
            result.band, result.score = scored.band, scored.score
        except AuthorError as exc:
            result.error = str(exc)
        results.append(result)
    return results


# ------------------------------------------------------------------------------------------------
# Sources offered in the editor
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionChoice:
    """A heading the section picker offers; ``citable`` is False for a title with no text under it."""

    title: str
    citable: bool = True


def known_sections() -> dict[str, list[SectionChoice]]:
    """Citable source file -> the headings the section picker offers.

    A shipped manual offers every heading found in it (:func:`scenarios.manuals.manual_headings`) in
    the manual's order, then any other section current content cites (verified by the linter);
    a heading with only a title under it (most chapters of manual 003) is marked not citable, so the
    picker shows it as 仅标题 and the trainer writes ``general`` instead. An uploaded source offers the
    headings found in it, as uploaded.
    """
    cited: dict[str, set[str]] = {}

    def add(source: Any) -> None:
        if isinstance(source, dict) and isinstance(source.get("file"), str) and isinstance(source.get("section"), str):
            cited.setdefault(source["file"], set()).add(source["section"])

    for kind in ("scenario", "question"):
        for row in current_content(kind):
            data = row.data if isinstance(row.data, dict) else {}
            add(data.get("source"))
            for extra in data.get("also_sources") or []:
                add(extra)
    manuals_dir = scenarios.MANUALS_DIR
    manuals = sorted(p.name for p in manuals_dir.glob("*.txt")) if manuals_dir.is_dir() else []
    sections: dict[str, list[SectionChoice]] = {}
    for name in manuals:
        headings = manual_headings(name, manuals_dir)
        folded = {normalise(title) for title in headings}
        headings += sorted(title for title in cited.pop(name, set()) if normalise(title) not in folded)
        sections[name] = [SectionChoice(title, section_has_text(name, title, manuals_dir)) for title in headings]
    uploaded = sources.uploaded_sections()
    for name in sorted(set(cited) | set(uploaded)):
        titles = cited.get(name, set()) | set(uploaded.get(name, []))
        sections[name] = [SectionChoice(title) for title in sorted(titles)]
    return dict(sorted(sections.items()))

