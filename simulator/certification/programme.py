"""Certification programmes as content: the YAML format, its validation and the reference check.

A programme file (``simulator/certification/programmes/<id>.yaml``) declares an ordered ladder of
levels; each level lists its requirements, how long a certificate stays valid, what renewal needs and
whether a trainer must approve. The file is validated with pydantic; every problem is reported in
Chinese with the file and the path inside it (``levels[1].requirements[2].count``). Nothing here
imports Flask or the database: the evaluation (:mod:`.evaluate`) and the linter take the parsed
:class:`Programme`.

Requirement kinds (``kind``):

* ``roleplay``: passed 考核 (assessment-mode) role-plays, either the named ``scenarios`` (each passed)
  or ``count`` different scenarios of a ``category``, each with a final score of at least ``min_score``;
* ``quiz``: the named quiz passed within its attempt limit;
* ``skill_average``: per-skill minimum averages over the assessment turns of the last ``months``;
* ``previous_level``: the level before this one held and valid.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from contentio import YamlError, load_strict
from scoring.messages import SKILL_LABELS

PROGRAMMES_DIR = Path(__file__).resolve().parent / "programmes"
SCHEMA_VERSION = 1
CATEGORIES = {"complaint": "投诉处理", "emergency": "应急处置", "inquiry": "咨询答复"}
ID_PATTERN = r"^[a-z][a-z0-9-]*$"


class ProgrammeError(ValueError):
    """A programme file is invalid. ``problems`` lists ``(path, reason)``; the message names the file."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = list(problems)
        lines = [f"{file}: {path}: {reason}" if path else f"{file}: {reason}" for path, reason in self.problems]
        super().__init__("\n".join(lines))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    file: str = Field(min_length=1)
    section: str = Field(min_length=1)


class RoleplayRequirement(_Strict):
    kind: Literal["roleplay"]
    id: str = Field(pattern=ID_PATTERN)
    scenarios: tuple[str, ...] = ()
    category: Literal["complaint", "emergency", "inquiry"] | None = None
    count: int = Field(default=1, ge=1, le=20)
    min_score: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _one_selector(self) -> RoleplayRequirement:
        if bool(self.scenarios) == (self.category is not None):
            raise ValueError("须且只能给出 scenarios(指定情景)或 category(按类别计数)之一")
        if len(set(self.scenarios)) != len(self.scenarios):
            raise ValueError("scenarios 中有重复的情景")
        return self


class QuizRequirement(_Strict):
    kind: Literal["quiz"]
    id: str = Field(pattern=ID_PATTERN)
    quiz: str = Field(min_length=1)


class SkillAverageRequirement(_Strict):
    kind: Literal["skill_average"]
    id: str = Field(pattern=ID_PATTERN)
    skills: dict[str, int]
    months: int = Field(ge=1, le=36)
    min_turns: int = Field(default=3, ge=1, le=100)

    @field_validator("skills")
    @classmethod
    def _known_skills(cls, skills: dict[str, int]) -> dict[str, int]:
        if not skills:
            raise ValueError("至少列出一项技能")
        unknown = sorted(set(skills) - set(SKILL_LABELS))
        if unknown:
            raise ValueError(f"未知技能 {', '.join(unknown)};可用的技能:{', '.join(SKILL_LABELS)}")
        for skill, minimum in skills.items():
            if not 0 <= minimum <= 100:
                raise ValueError(f"技能 {skill} 的最低平均分须在 0–100 之间")
        return skills


class PreviousLevelRequirement(_Strict):
    kind: Literal["previous_level"]
    id: str = Field(pattern=ID_PATTERN)


Requirement = Annotated[
    RoleplayRequirement | QuizRequirement | SkillAverageRequirement | PreviousLevelRequirement,
    Field(discriminator="kind"),
]


class Renewal(_Strict):
    window_days: int = Field(ge=1, le=365)
    requirements: tuple[str, ...] = Field(min_length=1)


class Level(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=30)
    description: str = ""
    source: Source | None = None
    validity_months: int = Field(ge=1, le=120)
    approval: Literal["auto", "trainer"] = "auto"
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    renewal: Renewal

    def requirement(self, requirement_id: str) -> Requirement:
        return next(r for r in self.requirements if r.id == requirement_id)

    @model_validator(mode="after")
    def _consistent(self) -> Level:
        ids = [r.id for r in self.requirements]
        for index, requirement_id in enumerate(ids):
            if requirement_id in ids[:index]:
                raise ValueError(_at(f"requirements[{index}].id", f"要求的 id 重复:{requirement_id}"))
        for index, wanted in enumerate(self.renewal.requirements):
            if wanted not in ids:
                raise ValueError(_at(f"renewal.requirements[{index}]", f"引用了本级不存在的要求 {wanted}"))
        return self


class Programme(_Strict):
    schema_version: Literal[1]
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    description: str = ""
    issuer: str = Field(min_length=1)
    source: Source | None = None
    profile_months: int = Field(default=6, ge=1, le=36)
    recommend_min_score: int = Field(default=60, ge=0, le=100)
    levels: tuple[Level, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ladder(self) -> Programme:
        ids = [level.id for level in self.levels]
        for index, level_id in enumerate(ids):
            if level_id in ids[:index]:
                raise ValueError(_at(f"levels[{index}].id", f"等级 id 重复:{level_id}"))
        first = self.levels[0]
        for index, requirement in enumerate(first.requirements):
            if requirement.kind == "previous_level":
                reason = f"第一级 {first.id} 没有上一级,不能要求 previous_level"
                raise ValueError(_at(f"levels[0].requirements[{index}]", reason))
        return self

    @cached_property
    def version(self) -> str:
        """sha256 of the canonical JSON, first 12 hex chars (stored on every certificate).

        Cached: the model is frozen, and the evaluation asks for it per trainee and level.
        """
        return programme_hash(self.to_dict())

    def level(self, level_id: str) -> Level | None:
        return next((level for level in self.levels if level.id == level_id), None)

    def previous(self, level_id: str) -> Level | None:
        ids = [level.id for level in self.levels]
        index = ids.index(level_id)
        return self.levels[index - 1] if index > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_dict(cls, data: Any, file: str = "") -> Programme:
        """Validate ``data`` (a parsed YAML mapping).

        Raises:
            ProgrammeError: every problem, in Chinese, with its path.
        """
        try:
            return cls.model_validate(data)
        except PydanticError as exc:
            errors = exc.errors()
            # pydantic also reports a list as too short once its only items failed: keep the real cause
            errors = [e for e in errors if not (e["type"] == "too_short" and _has_inner(e, errors))]
            raise ProgrammeError(file or "<programme>", [_problem(error) for error in errors]) from None


def programme_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


_AT = "\x00"


def _at(path: str, reason: str) -> str:
    """A validator's message that also says where inside the model it applies."""
    return f"{path}{_AT}{reason}"


def _has_inner(error: dict[str, Any], errors: list[dict[str, Any]]) -> bool:
    loc = tuple(error["loc"])
    return any(tuple(other["loc"])[: len(loc)] == loc and len(other["loc"]) > len(loc) for other in errors)


_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知字段(拼写错误?)",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "string_pattern_mismatch": "只能用小写英文字母、数字和连字符,并以字母开头",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "dict_type": "应为映射(mapping)",
    "model_type": "应为映射(mapping)",
    "tuple_type": "应为列表",
    "list_type": "应为列表",
    "too_short": "至少要有一项",
}


def _problem(error: dict[str, Any]) -> tuple[str, str]:
    loc = [part for part in error["loc"] if part not in _KIND_TAGS]
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
        if _AT in reason:
            inner, reason = reason.split(_AT, 1)
            path = f"{path}.{inner}" if path else inner
    elif kind == "literal_error":
        reason = f"只能是 {ctx.get('expected', '')}"
    elif kind in ("greater_than_equal", "greater_than"):
        reason = f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than"):
        reason = f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    elif kind == "union_tag_invalid":
        reason = f"kind 只能是 {ctx.get('expected_tags', '')}"
    elif kind == "union_tag_not_found":
        reason = "缺少 kind(roleplay / quiz / skill_average / previous_level)"
    else:
        reason = _MESSAGES.get(kind, error["msg"])
    return path, reason


_KIND_TAGS = {"roleplay", "quiz", "skill_average", "previous_level"}


def load_programme(path: str | Path) -> Programme:
    """Read and validate one programme file.

    Raises:
        ProgrammeError: the file is not YAML (a repeated key included), not a mapping, or invalid (names the
            file and path).
    """
    path = Path(path)
    try:
        data = load_strict(path.read_text(encoding="utf-8"))
    except YamlError as exc:
        where = f"第 {exc.line} 行" if exc.line is not None else ""
        raise ProgrammeError(path.name, [(where, f"不是有效的 YAML({exc.problem})")]) from None
    if not isinstance(data, dict):
        raise ProgrammeError(path.name, [("", "文件内容应为映射(mapping)")])
    programme = Programme.from_dict(data, path.name)
    if programme.id != path.stem:
        raise ProgrammeError(path.name, [("id", f"应与文件名一致({path.stem})")])
    return programme


def load_programmes(folder: str | Path | None = None) -> dict[str, Programme]:
    """Every programme in ``folder`` (default: the shipped ones), by id; all-or-nothing."""
    folder = Path(folder) if folder is not None else PROGRAMMES_DIR
    return {p.id: p for p in (load_programme(path) for path in sorted(folder.glob("*.yaml")))}


def check_references(
    programme: Programme, scenario_categories: dict[str, str], quiz_keys: set[str] | dict[str, Any], file: str = ""
) -> list[str]:
    """What in ``programme`` names content that does not exist, in Chinese (empty when all is well).

    Also checks the rule that needs the library: every level above the first asks for at least one
    emergency role-play (by category, or a named scenario of that category).

    Args:
        programme: the parsed programme.
        scenario_categories: every loaded scenario id and its category.
        quiz_keys: every loaded quiz definition id.
        file: the file name to prefix (defaults to ``<id>.yaml``).
    """
    file = file or f"{programme.id}.yaml"
    problems = []
    for li, level in enumerate(programme.levels):
        emergency = False
        for ri, requirement in enumerate(level.requirements):
            where = f"{file}: levels[{li}].requirements[{ri}]"
            if requirement.kind == "roleplay":
                for si, key in enumerate(requirement.scenarios):
                    if key not in scenario_categories:
                        problems.append(f"{where}.scenarios[{si}]: 情景 {key} 不存在")
                    elif scenario_categories[key] == "emergency":
                        emergency = True
                if requirement.category == "emergency":
                    emergency = True
            elif requirement.kind == "quiz" and requirement.quiz not in quiz_keys:
                problems.append(f"{where}.quiz: 测验 {requirement.quiz} 不存在")
        if li > 0 and not emergency:
            problems.append(f"{file}: levels[{li}]: 第一级以上的等级({level.name})至少要求一次应急处置考核演练")
    return problems


def lint_shipped() -> list[str]:
    """Load the shipped programmes and check them against the repository's scenarios and quizzes."""
    import quizzes.definitions
    import scenarios

    library = {s.id: s.category for s in scenarios.load_library().values()}
    quiz_keys = set(quizzes.definitions.load_definitions())
    problems: list[str] = []
    for programme in load_programmes().values():
        problems += check_references(programme, library, quiz_keys)
    return problems
