"""Command line: ``python -m scoring score`` (JSON Lines) and ``python -m scoring explain``.

Each input line is ``{"reply": "...", "references": ["..."], "rubric": "complaint"}``; ``rubric`` may
also be an inline rubric object. A line may instead (or also) name ``"scenario"`` and ``"node"`` ids of
the library: the node's references and rubric (with its facts and dangers) are then used where the
line gives none. ``score`` writes one JSON line per input, in order; ``explain`` prints the same for
a person to read. A bad line gets ``{"error": "..."}``, the other lines are still scored, and the
exit code is 1 at the end. ``python -m scoring train`` builds the learned model from the repository's
data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from scoring import messages
from scoring.engine import _prepare, score_many
from scoring.result import ScoreResult


def _parse(lines: list[str]) -> list[tuple[int, dict[str, Any] | None, str | None]]:
    parsed: list[tuple[int, dict[str, Any] | None, str | None]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.append((number, None, messages.ERR_CLI_JSON.format(line=number, error=exc.msg)))
            continue
        if not isinstance(data, dict):
            parsed.append((number, None, messages.ERR_CLI_OBJECT.format(line=number)))
            continue
        if "scenario" in data or "node" in data:
            info = _library().get((str(data.get("scenario")), str(data.get("node"))))
            if info is None:
                parsed.append((number, None, messages.ERR_CLI_NODE.format(
                    line=number, scenario=data.get("scenario"), node=data.get("node"))))
                continue
            data = {**data}
            data.setdefault("references", list(info.references))
            data.setdefault("rubric", info.rubric)
        try:
            _prepare(data.get("reply"), data.get("references", []), data.get("rubric", "complaint"))
        except ValueError as exc:
            parsed.append((number, None, messages.ERR_CLI_FIELD.format(line=number, error=exc)))
            continue
        parsed.append((number, data, None))
    return parsed


_LIBRARY: dict | None = None


def _library() -> dict:
    global _LIBRARY
    if _LIBRARY is None:
        from scoring.train import library_nodes

        _LIBRARY = library_nodes()
    return _LIBRARY


def _explain(result: ScoreResult) -> str:
    lines = [messages.EXPLAIN_HEADER.format(score=result.score, band=result.band, decided_by=result.decided_by)]
    if result.semantic.index >= 0:
        lines.append(
            messages.EXPLAIN_SEMANTIC.format(
                index=result.semantic.index + 1, raw=result.semantic.raw, calibrated=result.semantic.calibrated
            )
        )
    if result.hits:
        lines.append(messages.EXPLAIN_HITS)
        lines += [f"  + {h.label}({h.item}):“{h.span}” [{h.via} {h.confidence:.2f}] {h.evidence}" for h in result.hits]
    if result.misses:
        lines.append(messages.EXPLAIN_MISSES)
        lines += [f"  - {m.label}({m.item})" for m in result.misses]
    if result.blockers:
        lines.append(messages.EXPLAIN_BLOCKERS)
        lines += [f"  ! {b.label}({b.id}):“{b.span}”,{b.reason} [{b.stage}] {b.evidence}" for b in result.blockers]
    for fact in result.wrong_facts:
        evidence = f" {fact.evidence}" if fact.evidence else ""
        lines.append(f"  ✗ {fact.span} → {fact.label} [{fact.stage}]{evidence}")
    lines.append(messages.EXPLAIN_TONE.format(label=result.tone.label))
    lines.append(messages.EXPLAIN_FEEDBACK.format(feedback=result.feedback))
    return "\n".join(lines)


def run(command: str, stdin: TextIO, stdout: TextIO) -> int:
    """Score every JSON line of ``stdin`` and write the results to ``stdout``.

    Args:
        command: ``"score"`` (JSON Lines out) or ``"explain"`` (text for people).
        stdin: Input stream of JSON Lines.
        stdout: Output stream.

    Returns:
        0 when every line was scored, 1 when any line had an error.
    """
    parsed = _parse(stdin.read().splitlines())
    valid = [data for _, data, error in parsed if error is None and data is not None]
    results = iter(
        score_many([(d["reply"], d.get("references", []), d.get("rubric", "complaint")) for d in valid])
        if valid
        else []
    )
    failed = False
    for number, _data, error in parsed:
        if error is not None:
            failed = True
            if command == "score":
                stdout.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")
            else:
                stdout.write(messages.EXPLAIN_ERROR.format(line=number, error=error) + "\n\n")
            continue
        result = next(results)
        if command == "score":
            stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            stdout.write(_explain(result) + "\n\n")
    stdout.flush()
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m scoring``."""
    parser = argparse.ArgumentParser(
        prog="python -m scoring", description="Score trainee replies (JSON Lines on stdin)."
    )
    parser.add_argument(
        "command", choices=("score", "explain", "train"),
        help="score: JSON Lines out; explain: readable text; train: build the learned model",
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "train":
        from scoring.train import main as train_main

        return train_main(rest)
    return run(args.command, sys.stdin, sys.stdout)
