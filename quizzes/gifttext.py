"""GIFT text escaping for export, shared by :mod:`quizzes.gift` and each question type's ``to_gift``."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape GIFT's control characters (``#=~{}:`` and backslash) and newlines in one text."""
    out = text.replace("\\", "\\\\")
    for char in "#=~{}:":
        out = out.replace(char, "\\" + char)
    out = out.replace("\r", "").replace("\n", "\\n")
    if out.startswith("["):
        out = "[moodle]" + out  # keep a leading "[html]..." literal instead of reading it as a marker
    return out


def percent(weight: float) -> str:
    """A weight 0.5 as GIFT's ``50``."""
    return f"{weight * 100:.5f}".rstrip("0").rstrip(".")


def answer_line(prefix: str, text: str, feedback: str) -> str:
    """One answer line (``\\t=text#feedback``); a text opening with ``%`` gets an explicit weight."""
    body = escape(text)
    if prefix in ("~", "=") and body.startswith("%"):
        prefix = f"{prefix}%{percent(1.0 if prefix == '=' else 0.0)}%"
    line = f"\t{prefix}{body}"
    if feedback:
        line += "#" + escape(feedback)
    return line


def general_lines(explanation: str) -> list[str]:
    """The general feedback line (``\\t####...``), or nothing without an explanation."""
    return [f"\t####{escape(explanation)}"] if explanation else []
