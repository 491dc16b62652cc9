"""contentio: the one strict YAML reader for content files (scenarios, question banks, quiz definitions).

The bottom layer under scenarios and quizzes (and importable without loading scoring).

PyYAML's ``safe_load`` silently keeps the last of two equal keys (``answer: B`` then ``answer: C``
loads as C). Every content loader reads through :func:`load_strict`, which refuses them, and turns
:class:`YamlError` into a :class:`Problem` with the file name.

:class:`Problem` is the one shape of "something is wrong with this content": the scenario linter's
problems are it, and the bank linter's (``LintProblem``, with a severity), the XLSX importer's
(``RowError``, with the Excel row) and the GIFT importer's (``GiftProblem``, with the line) are
subclasses that add their location and keep their Chinese wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file.

    Attributes:
        file: The file name (``<data>`` when checking plain data, ``""`` when there is none).
        path: Where inside the file, e.g. ``nodes.n3.branches[1].to`` or a column header (empty for the
            whole file).
        message: What is wrong, in Chinese.
    """

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        location = f"{self.file}: {self.path}" if self.path else self.file
        return f"{location}: {self.message}"


class YamlError(ValueError):
    """The text is not valid YAML or repeats a key. ``line`` is 1-based (None when unknown)."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        self.problem = problem
        self.line = line
        super().__init__(f"第 {line} 行:{problem}" if line is not None else problem)


class _DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: PyYAML reports it itself
                duplicate = False
            if duplicate:
                raise _DuplicateKeyError(
                    "while constructing a mapping", node.start_mark, f"重复的键 '{key}'", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def load_strict(text: str) -> Any:
    """Parse YAML text, refusing duplicate keys.

    Raises:
        YamlError: Not YAML, or a key repeated in one mapping; the line is given when known.
    """
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlError(problem, mark.line + 1 if mark is not None else None) from exc
